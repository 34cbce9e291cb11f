DROP INDEX guests_given_block;
DROP INDEX guests_family_block;
CREATE INDEX guests_given_block ON guests (birth_year, given_block);
CREATE INDEX guests_family_block ON guests (birth_year, family_block);
