-- Checkout tables (SQLite). Kept in step with ../postgres/5000_checkout.sql: same tables,
-- columns, constraints and indexes; only the types differ. Money is integer minor units,
-- times are Unix milliseconds, booleans are 0/1, addresses are JSON text.

-- Human-friendly order numbers: one counter row incremented in the placing transaction,
-- so numbers are gap-free among committed orders (a rolled-back placement gives its
-- number back).
CREATE TABLE order_counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO order_counters (name, value) VALUES ('order', 1000);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY NOT NULL,
    number             TEXT NOT NULL UNIQUE,
    cart_id            TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled',
                           'delivered', 'cancelled', 'refunded', 'partially_refunded')),
    email              TEXT NOT NULL,
    currency           TEXT NOT NULL,
    region_id          TEXT NOT NULL,
    subtotal           INTEGER NOT NULL CHECK (subtotal >= 0),
    discount_total     INTEGER NOT NULL CHECK (discount_total >= 0),
    shipping_total     INTEGER NOT NULL CHECK (shipping_total >= 0),
    tax_total          INTEGER NOT NULL CHECK (tax_total >= 0),
    total              INTEGER NOT NULL CHECK (total >= 0),
    tax_inclusive      INTEGER NOT NULL CHECK (tax_inclusive IN (0, 1)),
    refunded_total     INTEGER NOT NULL DEFAULT 0
                           CHECK (refunded_total >= 0 AND refunded_total <= total),
    shipping_address   TEXT NOT NULL,
    billing_address    TEXT NOT NULL,
    shipping_option_id TEXT NOT NULL,
    shipping_method    TEXT NOT NULL,
    payment_provider   TEXT NOT NULL,
    payment_id         TEXT,
    reservation_id     TEXT,
    discount_code      TEXT,
    cancel_reason      TEXT,
    -- JSON with the details of a failed placement (the out-of-stock variant), so that a
    -- replayed request answers with the same error.
    cancel_detail      TEXT,
    cancelled_by       TEXT,
    -- 1 when the placement itself failed (out of stock, payment provider down): the cart
    -- stays open and may be checked out again.
    placement_failed   INTEGER NOT NULL DEFAULT 0 CHECK (placement_failed IN (0, 1)),
    needs_attention    INTEGER NOT NULL DEFAULT 0 CHECK (needs_attention IN (0, 1)),
    attention_note     TEXT,
    access_token       TEXT NOT NULL,
    request_id         TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    paid_at            INTEGER,
    cancelled_at       INTEGER
);
-- One live order per cart; a placement that failed does not hold the cart.
CREATE UNIQUE INDEX orders_live_cart ON orders (cart_id) WHERE placement_failed = 0;
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_status_created ON orders (status, created_at, id);
CREATE INDEX orders_reservation ON orders (reservation_id);
CREATE INDEX orders_attention ON orders (needs_attention, created_at);

CREATE TABLE order_lines (
    id            TEXT PRIMARY KEY NOT NULL,
    order_id      TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    variant_id    TEXT NOT NULL,
    product_id    TEXT NOT NULL,
    title         TEXT NOT NULL,
    variant_title TEXT NOT NULL,
    sku           TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    unit_price    INTEGER NOT NULL CHECK (unit_price >= 0),
    line_total    INTEGER NOT NULL CHECK (line_total >= 0),
    UNIQUE (order_id, position)
);

-- Idempotent placement: (cart id, Idempotency-Key) -> the order it made. `payment` keeps
-- the payment session (JSON) so a replay answers like the first response did;
-- `completed_at` is set once the saga's last step (cart completed) ran.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    payment      TEXT,
    completed_at INTEGER,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE fulfillments (
    id              TEXT PRIMARY KEY NOT NULL,
    order_id        TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    carrier         TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url    TEXT,
    created_by      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX fulfillments_order ON fulfillments (order_id, created_at);

-- Refunds applied to orders, by the payment service's refund id: an admin refund and
-- its `payment.refunded` event are applied once.
CREATE TABLE order_refunds (
    refund_id             TEXT PRIMARY KEY NOT NULL,
    order_id              TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount                INTEGER NOT NULL CHECK (amount > 0),
    amount_refunded_total INTEGER NOT NULL CHECK (amount_refunded_total >= 0),
    reason                TEXT,
    created_at            INTEGER NOT NULL
);
CREATE INDEX order_refunds_order ON order_refunds (order_id, created_at);
