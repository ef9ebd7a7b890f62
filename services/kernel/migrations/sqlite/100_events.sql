-- Transactional outbox: a service writes its events in the same transaction as the state
-- change, so an event exists if and only if the change committed.
CREATE TABLE outbox_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    topic        TEXT    NOT NULL,
    aggregate_id TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    request_id   TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX outbox_events_aggregate ON outbox_events (aggregate_id, seq);

-- What each consumer did with each event: the memory that makes consumers idempotent
-- (an event marked done is never handed to that consumer again) and the retry schedule.
CREATE TABLE event_deliveries (
    consumer        TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    status          TEXT   NOT NULL CHECK (status IN ('processing', 'retry', 'done', 'dead')),
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (consumer, status, next_attempt_at);

-- Per consumer: every event at or below this sequence number is settled (done or dead).
CREATE TABLE event_consumers (
    consumer    TEXT   PRIMARY KEY,
    settled_seq BIGINT NOT NULL
);
