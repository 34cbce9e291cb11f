-- Privacy (issue 5): when a guest was pseudonymised, by the retention rule
-- or on request. Names, birth date, card number and needs are gone from
-- then on; birth year, gender and citizenship stay for the statistics.
-- The retention rule asks for each guest's latest placement.
ALTER TABLE guests ADD COLUMN pseudonymised_at TIMESTAMP;
CREATE INDEX placements_guest ON placements (guest_id, night);
