-- Catalog tables (PostgreSQL). Kept in step with ../sqlite/1000_catalog.sql: same tables,
-- columns and indexes; only types and collations differ. Ids and titles use COLLATE "C"
-- so that ORDER BY compares bytes, exactly as SQLite does: keyset pages must agree on
-- both databases.

CREATE TABLE categories (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    parent_id   TEXT COLLATE "C" REFERENCES categories (id) ON DELETE SET NULL,
    handle      TEXT NOT NULL UNIQUE,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE collections (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    handle      TEXT NOT NULL UNIQUE,
    title       TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE products (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    handle          TEXT NOT NULL UNIQUE,
    title           TEXT COLLATE "C" NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    seo_title       TEXT,
    seo_description TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
-- One index per list ordering: store reads filter on status, admin reads do not.
CREATE INDEX products_status_created ON products (status, created_at, id);
CREATE INDEX products_status_title ON products (status, title, id);
CREATE INDEX products_created ON products (created_at, id);
CREATE INDEX products_title ON products (title, id);

CREATE TABLE product_categories (
    product_id  TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id TEXT COLLATE "C" NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, category_id)
);
CREATE INDEX product_categories_category ON product_categories (category_id, product_id);

CREATE TABLE collection_products (
    collection_id TEXT COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    product_id    TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_product ON collection_products (product_id);

CREATE TABLE product_options (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (product_id, name)
);

CREATE TABLE product_option_values (
    option_id TEXT COLLATE "C" NOT NULL REFERENCES product_options (id) ON DELETE CASCADE,
    value     TEXT NOT NULL,
    position  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (option_id, value)
);

CREATE TABLE variants (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    product_id   TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku          TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    weight_grams BIGINT CHECK (weight_grams >= 0),
    position     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX variants_product ON variants (product_id, position);

-- A variant's value must be one of its option's values.
CREATE TABLE variant_option_values (
    variant_id TEXT COLLATE "C" NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    option_id  TEXT COLLATE "C" NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (variant_id, option_id),
    FOREIGN KEY (option_id, value) REFERENCES product_option_values (option_id, value) ON DELETE CASCADE
);
CREATE INDEX variant_option_values_option ON variant_option_values (option_id, value);

CREATE TABLE variant_prices (
    variant_id TEXT COLLATE "C" NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency   TEXT NOT NULL CHECK (length(currency) = 3),
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (variant_id, currency)
);

CREATE TABLE images (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    position   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX images_product ON images (product_id, position);

-- Lowest and highest variant price per product and currency, rewritten in the same
-- transaction as any variant or price change, so price filters and price sorts walk an
-- index instead of aggregating variant_prices per request.
CREATE TABLE product_prices (
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    currency   TEXT NOT NULL,
    min_amount BIGINT NOT NULL,
    max_amount BIGINT NOT NULL,
    PRIMARY KEY (product_id, currency)
);
CREATE INDEX product_prices_sort ON product_prices (currency, min_amount, product_id);
