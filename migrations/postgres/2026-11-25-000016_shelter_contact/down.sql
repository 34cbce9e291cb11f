ALTER TABLE shelters DROP COLUMN phone;
ALTER TABLE shelters DROP COLUMN address;
