-- RULES.md §4: a stay ends by no-shows at the moment its
-- `no_show_ends_stay_after`-th consecutive missed night is over, for every
-- question, whether or not anyone has read the stay. Each night of a stay
-- carries the night from which its stay is ended by no-shows unless a
-- check-in comes first (`rules::checkin::no_show_end`, kept by the check-in
-- that changes it). A booking of night N no longer holds its place once
-- no_show_end <= tonight and N >= no_show_end: no job has to run.
ALTER TABLE bookings ADD COLUMN no_show_end DATE;

-- Filled for the nights of active stays: the run of missed nights that
-- ends a stay starts after its last checked-in night (a run before it would
-- have ended the stay before that check-in), and must fit in the stay.
UPDATE bookings
SET no_show_end = (
    SELECT CASE
        WHEN s.no_show_limit > 0
         AND julianday(date(COALESCE(
                 (SELECT MAX(c.night) FROM bookings c
                  WHERE c.stay_id = s.id AND c.checked_in_at IS NOT NULL),
                 date(s.first_night, '-1 day')),
             '+' || (s.no_show_limit + 1) || ' days'))
             <= julianday(date(s.first_night, '+' || s.nights || ' days'))
        THEN date(COALESCE(
                 (SELECT MAX(c.night) FROM bookings c
                  WHERE c.stay_id = s.id AND c.checked_in_at IS NOT NULL),
                 date(s.first_night, '-1 day')),
             '+' || (s.no_show_limit + 1) || ' days')
    END
    FROM stays s WHERE s.id = bookings.stay_id AND s.status = 'active'
)
WHERE kind = 'stay';

-- The nights that no-shows have released, found per night without reading
-- the night's other bookings (the screens' counts subtract them).
CREATE INDEX bookings_no_show_end ON bookings (night, no_show_end)
WHERE held AND no_show_end IS NOT NULL;
