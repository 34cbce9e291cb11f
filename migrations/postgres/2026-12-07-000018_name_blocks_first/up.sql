-- The duplicate search asks for one name block and a range of birth
-- years. With the year first in the index, SQLite read every guest born
-- in the range through the birth-year index instead (at a million guests,
-- 150 ms a registration, the writers' turn held all along); with the
-- block first, the block is an equality and the years a range inside it.
DROP INDEX guests_given_block;
DROP INDEX guests_family_block;
CREATE INDEX guests_given_block ON guests (given_block, birth_year);
CREATE INDEX guests_family_block ON guests (family_block, birth_year);
