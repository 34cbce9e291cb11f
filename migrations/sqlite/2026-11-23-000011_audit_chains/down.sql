-- Back to one head. Entries of chains 1 to 16 stay, but only chain 0 can
-- be verified by the code before this migration.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, link, hash FROM audit_chains WHERE chain = 0;
DROP TABLE audit_chains;
DROP INDEX audit_entries_chain;
ALTER TABLE audit_entries DROP COLUMN link;
ALTER TABLE audit_entries DROP COLUMN chain;
