-- Emails about customer accounts (PostgreSQL). Kept in step with ../sqlite/6001_email_subject.sql.
-- Every email so far was about an order; verification, password-reset and security notices
-- are about a customer and have none. `order_id` becomes `subject_id`: the id of the
-- aggregate whose event queued the email (`ord_…` or `cus_…`), so every row keeps one
-- and the admin's timeline of an order reads as before.

ALTER TABLE emails RENAME COLUMN order_id TO subject_id;
DROP INDEX emails_order;
CREATE INDEX emails_subject ON emails (subject_id, created_at);
