-- When the order was confirmed to the shopper (stock secured, and paid or awaiting an
-- offline payment): the confirmation email goes out then, and only a confirmed order's
-- cancellation is emailed. Kept in step with ../sqlite/5001_confirmed_at.sql.
ALTER TABLE orders ADD COLUMN confirmed_at BIGINT;
