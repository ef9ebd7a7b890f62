-- Accounts tables (SQLite). Kept in step with ../postgres/7000_accounts.sql: same tables,
-- columns, constraints and indexes; only types differ. Timestamps are Unix milliseconds,
-- booleans 0/1. No column holds a password or a token: passwords are argon2id PHC
-- strings, tokens SHA-256 hex.

CREATE TABLE customers (
    id                          TEXT PRIMARY KEY NOT NULL,
    -- As typed (trimmed), for emails.
    email                       TEXT NOT NULL,
    -- Lower case: one account per address in any case.
    email_normalized            TEXT NOT NULL UNIQUE,
    email_verified_at           INTEGER,
    password_hash               TEXT NOT NULL,
    password_changed_at         INTEGER NOT NULL,
    first_name                  TEXT,
    last_name                   TEXT,
    phone                       TEXT,
    last_login_at               INTEGER,
    -- Last "someone tried to register with your email" notice (throttled).
    existing_attempt_noticed_at INTEGER,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);

CREATE TABLE customer_sessions (
    id                  TEXT PRIMARY KEY NOT NULL,
    customer_id         TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    token_hash          TEXT NOT NULL UNIQUE,
    created_at          INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    CHECK (expires_at <= absolute_expires_at)
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);
CREATE INDEX customer_sessions_expires ON customer_sessions (expires_at);

-- Single-use email-verification and password-reset tokens.
CREATE TABLE customer_tokens (
    token_hash       TEXT PRIMARY KEY NOT NULL,
    customer_id      TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose          TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    -- The address the token was mailed to: it only works while that is the account's.
    email_normalized TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
);
CREATE INDEX customer_tokens_customer ON customer_tokens (customer_id, purpose, created_at);
CREATE INDEX customer_tokens_expires ON customer_tokens (expires_at);

CREATE TABLE customer_addresses (
    id                  TEXT PRIMARY KEY NOT NULL,
    customer_id         TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label               TEXT,
    name                TEXT NOT NULL,
    line1               TEXT NOT NULL,
    line2               TEXT,
    city                TEXT NOT NULL,
    postal_code         TEXT NOT NULL,
    country             TEXT NOT NULL CHECK (length(country) = 2),
    phone               TEXT,
    is_default_shipping INTEGER NOT NULL DEFAULT 0 CHECK (is_default_shipping IN (0, 1)),
    is_default_billing  INTEGER NOT NULL DEFAULT 0 CHECK (is_default_billing IN (0, 1)),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id, created_at);
-- At most one default of each kind per customer.
CREATE UNIQUE INDEX customer_addresses_default_shipping
    ON customer_addresses (customer_id) WHERE is_default_shipping = 1;
CREATE UNIQUE INDEX customer_addresses_default_billing
    ON customer_addresses (customer_id) WHERE is_default_billing = 1;
