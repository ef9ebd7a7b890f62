-- Price lists (PostgreSQL). Kept in step with ../sqlite/1001_price_lists.sql: same tables,
-- columns and indexes; only types and collations differ. Ids use COLLATE "C", as in
-- 1000_catalog.sql, so that they compare bytes exactly as SQLite does.

-- A list of per-currency prices for some variants, for one customer group or for every
-- shopper, within an optional window (Unix ms, `starts_at <= now < ends_at`).
CREATE TABLE price_lists (
    id                TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT,
    -- A group of the accounts service (`cgrp_…`), NULL for every shopper. No foreign key:
    -- groups live in another service, possibly in another database.
    customer_group_id TEXT COLLATE "C",
    starts_at         BIGINT,
    ends_at           BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);

CREATE TABLE price_list_prices (
    price_list_id TEXT COLLATE "C" NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
    variant_id    TEXT COLLATE "C" NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (price_list_id, variant_id, currency)
);
-- Price resolution looks prices up by variant and currency; deleting a variant finds
-- the rows its ON DELETE CASCADE removes through it too.
CREATE INDEX price_list_prices_variant ON price_list_prices (variant_id, currency);
