-- The append-only event log. Every row carries hash = SHA-256(previous row's hash ‖ canonical event),
-- 32 raw bytes; the first row chains to 32 zero bytes.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    request TEXT NOT NULL,
    time    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    data    TEXT NOT NULL,
    hash    BLOB NOT NULL
);
CREATE INDEX events_by_request ON events (request, seq);
CREATE INDEX events_requests ON events (seq) WHERE kind = 'request';
CREATE INDEX events_waiting ON events (seq) WHERE kind = 'approval_requested';
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the gate ledger is append-only: events cannot be changed');
END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the gate ledger is append-only: events cannot be deleted');
END;
