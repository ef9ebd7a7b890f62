-- Cart tables (SQLite). Kept in step with ../postgres/3000_cart.sql: same tables, columns,
-- constraints and indexes; only types differ. Money is BIGINT minor units, timestamps
-- Unix milliseconds, booleans 0/1, addresses JSON text.

CREATE TABLE regions (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    tax_rate_bp   INTEGER NOT NULL CHECK (tax_rate_bp >= 0 AND tax_rate_bp <= 10000),
    tax_inclusive INTEGER NOT NULL CHECK (tax_inclusive IN (0, 1)),
    -- Space-separated ISO 3166-1 alpha-2 codes the region ships to.
    countries     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE shipping_options (
    id         TEXT PRIMARY KEY NOT NULL,
    region_id  TEXT NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    free_above INTEGER CHECK (free_above IS NULL OR free_above >= 0),
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX shipping_options_region ON shipping_options (region_id, position);

CREATE TABLE discounts (
    id           TEXT PRIMARY KEY NOT NULL,
    code         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    -- Basis points for percentage, minor units for fixed.
    value        INTEGER NOT NULL CHECK (value > 0),
    currency     TEXT,
    min_subtotal INTEGER CHECK (min_subtotal IS NULL OR min_subtotal >= 0),
    starts_at    INTEGER,
    ends_at      INTEGER,
    usage_limit  INTEGER CHECK (usage_limit IS NULL OR usage_limit >= 0),
    used_count   INTEGER NOT NULL DEFAULT 0
                 CHECK (used_count >= 0 AND (usage_limit IS NULL OR used_count <= usage_limit)),
    created_at   INTEGER NOT NULL,
    CHECK ((kind = 'percentage' AND value <= 10000 AND currency IS NULL)
        OR (kind = 'fixed' AND currency IS NOT NULL))
);

CREATE TABLE carts (
    id                 TEXT PRIMARY KEY NOT NULL,
    region_id          TEXT NOT NULL REFERENCES regions (id),
    currency           TEXT NOT NULL,
    email              TEXT,
    shipping_address   TEXT,
    billing_address    TEXT,
    shipping_option_id TEXT,
    payment_method     TEXT,
    -- The code, not the discount id: a deleted discount shows up as a note on the cart.
    discount_code      TEXT,
    completed_at       INTEGER,
    order_id           TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL
);
CREATE INDEX carts_expires ON carts (expires_at);

CREATE TABLE cart_lines (
    id             TEXT PRIMARY KEY NOT NULL,
    cart_id        TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id     TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    product_handle TEXT NOT NULL,
    title          TEXT NOT NULL,
    variant_title  TEXT NOT NULL,
    sku            TEXT NOT NULL,
    image_url      TEXT,
    unit_price     INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity       INTEGER NOT NULL CHECK (quantity >= 1 AND quantity <= 99),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (cart_id, variant_id)
);
