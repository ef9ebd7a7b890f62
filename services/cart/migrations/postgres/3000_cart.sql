-- Cart tables (PostgreSQL). Kept in step with ../sqlite/3000_cart.sql: same tables, columns,
-- constraints and indexes; only types differ. Money is BIGINT minor units, timestamps
-- Unix milliseconds, booleans 0/1, addresses JSON text.

CREATE TABLE regions (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    tax_rate_bp   BIGINT NOT NULL CHECK (tax_rate_bp >= 0 AND tax_rate_bp <= 10000),
    tax_inclusive BIGINT NOT NULL CHECK (tax_inclusive IN (0, 1)),
    -- Space-separated ISO 3166-1 alpha-2 codes the region ships to.
    countries     TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE shipping_options (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    region_id  TEXT NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    free_above BIGINT CHECK (free_above IS NULL OR free_above >= 0),
    position   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX shipping_options_region ON shipping_options (region_id, position);

CREATE TABLE discounts (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    code         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    -- Basis points for percentage, minor units for fixed.
    value        BIGINT NOT NULL CHECK (value > 0),
    currency     TEXT,
    min_subtotal BIGINT CHECK (min_subtotal IS NULL OR min_subtotal >= 0),
    starts_at    BIGINT,
    ends_at      BIGINT,
    usage_limit  BIGINT CHECK (usage_limit IS NULL OR usage_limit >= 0),
    used_count   BIGINT NOT NULL DEFAULT 0
                 CHECK (used_count >= 0 AND (usage_limit IS NULL OR used_count <= usage_limit)),
    created_at   BIGINT NOT NULL,
    CHECK ((kind = 'percentage' AND value <= 10000 AND currency IS NULL)
        OR (kind = 'fixed' AND currency IS NOT NULL))
);

CREATE TABLE carts (
    id                 TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    region_id          TEXT NOT NULL REFERENCES regions (id),
    currency           TEXT NOT NULL,
    email              TEXT,
    shipping_address   TEXT,
    billing_address    TEXT,
    shipping_option_id TEXT,
    payment_method     TEXT,
    -- The code, not the discount id: a deleted discount shows up as a note on the cart.
    discount_code      TEXT,
    completed_at       BIGINT,
    order_id           TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL
);
CREATE INDEX carts_expires ON carts (expires_at);

CREATE TABLE cart_lines (
    id             TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    cart_id        TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id     TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    product_handle TEXT NOT NULL,
    title          TEXT NOT NULL,
    variant_title  TEXT NOT NULL,
    sku            TEXT NOT NULL,
    image_url      TEXT,
    unit_price     BIGINT NOT NULL CHECK (unit_price >= 0),
    quantity       BIGINT NOT NULL CHECK (quantity >= 1 AND quantity <= 99),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (cart_id, variant_id)
);
