-- Why the last payment attempt of a pending order failed (a declined card): the order
-- waits for the shopper to try another card until its reservation expires. Kept in step
-- with ../postgres/5003_payment_error.sql.
ALTER TABLE orders ADD COLUMN payment_error TEXT;
