-- An order holds its cart (one live order per cart, index orders_live_cart) until it is
-- cancelled before payment: then the cart can be placed again. The column was named
-- for the first case only (a placement that failed). Kept in step with
-- ../postgres/5002_cart_released.sql.
ALTER TABLE orders RENAME COLUMN placement_failed TO cart_released;
UPDATE orders SET cart_released = 1 WHERE status = 'cancelled' AND paid_at IS NULL;
