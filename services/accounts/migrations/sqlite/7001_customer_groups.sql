-- Customer groups (wholesale, VIP, staff…) that price lists can target. A customer may
-- be in several groups. Kept in step between SQLite and PostgreSQL.
CREATE TABLE customer_groups (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    -- Lower case: one group per name in any case.
    name_normalized TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE customer_group_members (
    group_id    TEXT NOT NULL REFERENCES customer_groups (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (group_id, customer_id)
);
CREATE INDEX customer_group_members_customer ON customer_group_members (customer_id);

-- The merchant's customer list pages newest first.
CREATE INDEX customers_created ON customers (created_at, id);
