-- Notification outbox (SQLite). Kept in step with ../postgres/6000_emails.sql.
-- One row per email to send; the mailer drains it. `dedupe_key` is
-- "{event_id}:{template}", so a re-delivered event never queues a second email.

CREATE TABLE emails (
    id              TEXT PRIMARY KEY NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    order_id        TEXT NOT NULL,
    template        TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    sent_at         BIGINT,
    created_at      BIGINT NOT NULL
);
-- The mailer's scan: due rows that are not finished.
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_order ON emails (order_id, created_at);
