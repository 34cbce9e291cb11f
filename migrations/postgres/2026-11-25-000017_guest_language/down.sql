ALTER TABLE guests DROP COLUMN language;
