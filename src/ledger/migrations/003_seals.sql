-- Votes and verdicts carry a seal (a MAC keyed with the ledger key) from schema 3 on. A ledger
-- written before gets one `seals_begin` event, sealed, when it is migrated: events of the sealed
-- kinds before the first one need no seal. This index finds it without a scan.
CREATE INDEX IF NOT EXISTS events_seals_begin ON events (seq) WHERE kind = 'seals_begin';
