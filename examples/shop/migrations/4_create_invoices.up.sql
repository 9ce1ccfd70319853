CREATE TABLE invoices (
    order_id bigint PRIMARY KEY REFERENCES orders (id),
    total_cents bigint NOT NULL CHECK (total_cents >= 0)
);
