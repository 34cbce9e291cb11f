DROP INDEX placements_guest;
ALTER TABLE guests DROP COLUMN pseudonymised_at;
