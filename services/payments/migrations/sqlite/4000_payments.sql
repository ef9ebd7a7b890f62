-- Payments tables (SQLite). Kept in step with ../postgres/4000_payments.sql: same tables,
-- columns, constraints and indexes; only collations differ.

CREATE TABLE payments (
    id              TEXT PRIMARY KEY NOT NULL,
    -- One payment per order: create_payment is idempotent on it.
    order_id        TEXT NOT NULL UNIQUE,
    order_number    TEXT NOT NULL,
    provider        TEXT NOT NULL,
    -- NULL until the provider answered (pi_… for Stripe, the payment id for manual).
    provider_ref    TEXT,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed',
                        'canceled', 'refunded', 'partially_refunded')),
    amount_refunded BIGINT NOT NULL DEFAULT 0
                        CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    -- Stripe's client_secret: handed to the shopper's browser only, never logged.
    client_secret   TEXT,
    failure_reason  TEXT,
    email           TEXT,
    -- The key the provider call is made with, so a retried creation replays it.
    idempotency_key TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_provider_ref ON payments (provider, provider_ref);

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY NOT NULL,
    payment_id      TEXT NOT NULL REFERENCES payments (id),
    -- The provider's refund id (re_… at Stripe); NULL when a webhook reported a refund
    -- without naming it.
    provider_ref    TEXT UNIQUE,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    reason          TEXT,
    status          TEXT NOT NULL,
    -- NULL for refunds made outside Emporium (the Stripe dashboard).
    idempotency_key TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);

-- Webhook events seen, so that each is applied exactly once.
CREATE TABLE payment_webhook_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
