-- The customer an order belongs to: the owner of the cart it was placed from, or the
-- account a guest order was attached to (same email, verified). NULL for a guest order.
ALTER TABLE orders ADD COLUMN customer_id TEXT;
CREATE INDEX orders_customer ON orders (customer_id, created_at, id)
    WHERE customer_id IS NOT NULL;
-- Guest orders by email, for attaching them to the account that verified the address.
CREATE INDEX orders_guest_email ON orders (email) WHERE customer_id IS NULL;
