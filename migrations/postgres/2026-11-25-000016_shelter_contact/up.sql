-- Where a shelter is and how to reach it, for the guest's slip and the
-- desks (issue 16). Both may be unknown.
ALTER TABLE shelters ADD COLUMN address TEXT;
ALTER TABLE shelters ADD COLUMN phone TEXT;
