-- Where the ledger stands in the hook's intake (src/ledger/intake.rs): the newest
-- `intake_chained` event, looked up by every fold.
CREATE INDEX IF NOT EXISTS events_intake_marks ON events (seq) WHERE kind = 'intake_chained';
