-- Delivery order that does not depend on when a transaction commits. `seq` is taken at
-- insert; on PostgreSQL a transaction can commit after one holding a higher seq, and a
-- consumer's watermark that already passed its seq would never see its event. The
-- dispatcher gives each committed event its `position` (one serialised write, under
-- the row lock of `outbox_sequence`), so a late commit gets a position above every
-- watermark. Kept in step with ../postgres/101_event_positions.sql.
ALTER TABLE outbox_events ADD COLUMN position BIGINT;
UPDATE outbox_events SET position = seq;
CREATE UNIQUE INDEX outbox_events_position ON outbox_events (position);
CREATE INDEX outbox_events_unpositioned ON outbox_events (seq) WHERE position IS NULL;
CREATE TABLE outbox_sequence (
    name TEXT   PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO outbox_sequence (name, last)
    SELECT 'outbox', COALESCE(MAX(seq), 0) FROM outbox_events;
-- Watermarks were seqs; positions of existing events equal their seqs.
ALTER TABLE event_consumers RENAME COLUMN settled_seq TO settled_position;
