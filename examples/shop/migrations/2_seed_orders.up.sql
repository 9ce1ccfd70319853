INSERT INTO orders (customer_id, placed_at)
SELECT g % 5000, now() - g * interval '1 minute'
FROM generate_series(1, 200000) g;
