-- Inventory tables (PostgreSQL). Kept in step with ../sqlite/2000_inventory.sql: same
-- tables, columns, constraints and indexes; only the auto-increment type differs.

-- Where stock is kept. One default location for now; every key carries location_id so
-- that more warehouses need no schema change.
CREATE TABLE stock_locations (
    id         TEXT   PRIMARY KEY NOT NULL,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO stock_locations (id, name, created_at) VALUES ('sloc_default', 'Default location', 0);

-- Stock of one variant at one location. available = on_hand - reserved. The CHECKs are
-- the last line of defence against overselling: no code path can commit a negative count
-- or reserve more than is on hand.
CREATE TABLE inventory_levels (
    variant_id  TEXT   NOT NULL,
    location_id TEXT   NOT NULL REFERENCES stock_locations (id),
    on_hand     BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved    BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at  BIGINT NOT NULL,
    CHECK (reserved <= on_hand),
    PRIMARY KEY (variant_id, location_id)
);

-- Stock held for a reference (an order id) until it is committed, released or expires.
CREATE TABLE reservations (
    id          TEXT   PRIMARY KEY NOT NULL,
    reference   TEXT   NOT NULL,
    location_id TEXT   NOT NULL REFERENCES stock_locations (id),
    status      TEXT   NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired')),
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- One live (active or committed) reservation per reference: this is what makes reserve
-- idempotent across processes. A released or expired one does not block a new attempt.
CREATE UNIQUE INDEX reservations_live_reference ON reservations (reference)
    WHERE status IN ('active', 'committed');
CREATE INDEX reservations_reference ON reservations (reference, created_at);
-- The expiry job's scan.
CREATE INDEX reservations_status_expires ON reservations (status, expires_at);

CREATE TABLE reservation_lines (
    reservation_id TEXT   NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    variant_id     TEXT   NOT NULL,
    location_id    TEXT   NOT NULL REFERENCES stock_locations (id),
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, variant_id, location_id)
);

-- Every change of on_hand, with its cause: the audit trail merchants reconcile against.
-- seq orders movements exactly (ids made in the same millisecond do not).
CREATE TABLE stock_movements (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    variant_id  TEXT    NOT NULL,
    location_id TEXT    NOT NULL REFERENCES stock_locations (id),
    delta       BIGINT  NOT NULL,
    on_hand     BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    actor       TEXT,
    reference   TEXT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX stock_movements_variant ON stock_movements (variant_id, seq);
