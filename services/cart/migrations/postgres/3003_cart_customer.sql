-- The customer a cart belongs to (NULL: a guest cart, usable by whoever holds its id).
-- A customer's cart answers only to that customer's session. The index finds the
-- customer's open cart at sign-in, to merge a guest cart into.
ALTER TABLE carts ADD COLUMN customer_id TEXT;
CREATE INDEX carts_customer_open ON carts (customer_id, updated_at)
    WHERE customer_id IS NOT NULL AND completed_at IS NULL;
