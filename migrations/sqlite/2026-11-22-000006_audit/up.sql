-- The audit trail (issue 5): who read or changed what about whom, written
-- in the same transaction as the act. Entries are hash-chained: each
-- entry's hash covers its fields and the hash before it, and the head row
-- holds the last sequence number and hash, so an edited, removed or
-- re-ordered entry is found by `nattplats audit verify`. Triggers refuse
-- UPDATE and DELETE on the entries.

CREATE TABLE audit_entries (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    user_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    action TEXT NOT NULL,
    guest_id TEXT,
    subject_id TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entries_guest ON audit_entries (guest_id, seq);
CREATE INDEX audit_entries_user ON audit_entries (user_id, seq);
CREATE INDEX audit_entries_at ON audit_entries (at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
