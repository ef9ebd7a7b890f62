-- Counts every change to a cart (its row or its lines). A change that read the cart
-- before taking the write lock checks that the count is still the one it read, and then
-- need not read the lines again inside the lock.
ALTER TABLE carts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
