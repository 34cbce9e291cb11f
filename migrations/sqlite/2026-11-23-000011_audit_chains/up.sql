-- Several audit chains instead of one (issue 6). With one head row every
-- write of every instance waited for the one before it to commit. Now an
-- act appends to one of 16 chains, each with its own head row, link
-- numbers without gaps and its own hash chain; `seq` still orders the
-- whole trail (for paging). Chain 0 holds the entries written before this
-- migration, with their old hashes (link = seq), and takes no new ones.

ALTER TABLE audit_entries ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_entries ADD COLUMN link BIGINT NOT NULL DEFAULT 0;
DROP TRIGGER audit_entries_no_update;
UPDATE audit_entries SET link = seq;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, link);

CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY NOT NULL CHECK (chain BETWEEN 0 AND 16),
    link BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chains (chain, link, hash) SELECT 0, seq, hash FROM audit_head;
WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < 16)
INSERT INTO audit_chains (chain, link, hash) SELECT c, 0, '' FROM n;
DROP TABLE audit_head;
