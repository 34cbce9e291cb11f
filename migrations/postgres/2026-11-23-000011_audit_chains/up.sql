-- Several audit chains instead of one (issue 6). With one head row every
-- write of every instance waited for the one before it to commit. Now an
-- act appends to one of 16 chains, each with its own head row (locked
-- while appending), link numbers without gaps and its own hash chain;
-- `seq`, from a sequence, still orders the whole trail (for paging; a
-- rolled-back act leaves a gap in it). Chain 0 holds the entries written
-- before this migration, with their old hashes (link = seq), and takes no
-- new ones.

ALTER TABLE audit_entries ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_entries ADD COLUMN link BIGINT;
ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only;
UPDATE audit_entries SET link = seq;
ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only;
ALTER TABLE audit_entries ALTER COLUMN link SET NOT NULL;
CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain, link);

CREATE SEQUENCE audit_entries_seq;
SELECT setval('audit_entries_seq', COALESCE(MAX(seq), 0) + 1, false) FROM audit_entries;

CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY NOT NULL CHECK (chain BETWEEN 0 AND 16),
    link BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chains (chain, link, hash) SELECT 0, seq, hash FROM audit_head;
INSERT INTO audit_chains (chain, link, hash) SELECT c, 0, '' FROM generate_series(1, 16) AS c;
DROP TABLE audit_head;
