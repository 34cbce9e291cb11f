-- The duplicate search at registration (issue 6): instead of reading every
-- guest born within a year, read those whose folded given or family name
-- begins with the same two letters as the new guest's. Written by the
-- service from the folded names; rows written before this migration get
-- the lower-cased first two letters as stored (the same for names in
-- plain ASCII). Emptied when a guest is pseudonymised.
ALTER TABLE guests ADD COLUMN given_block TEXT NOT NULL DEFAULT '';
ALTER TABLE guests ADD COLUMN family_block TEXT NOT NULL DEFAULT '';
UPDATE guests SET given_block = lower(substr(given_name, 1, 2)),
                  family_block = lower(substr(family_name, 1, 2))
WHERE pseudonymised_at IS NULL;
CREATE INDEX guests_given_block ON guests (birth_year, given_block);
CREATE INDEX guests_family_block ON guests (birth_year, family_block);
