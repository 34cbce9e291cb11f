DROP INDEX guests_family_block;
DROP INDEX guests_given_block;
ALTER TABLE guests DROP COLUMN family_block;
ALTER TABLE guests DROP COLUMN given_block;
