-- built without blocking writes: runs outside a transaction block
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
