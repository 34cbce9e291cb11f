-- The kept summaries (`held_counts`, `report_nights`, `report_guest_spans`,
-- `report_stays`) are no longer written by the acts (issue 18). Row
-- triggers updated a handful of shared rows per booking, and on
-- PostgreSQL every desk at a shelter waited for the others' summary rows
-- until their commit. Now a write appends what it changed to a log, and
-- `db::summaries::fold` adds the log into the summaries and deletes it,
-- in one transaction, off the acts' path. A reader adds what is still in
-- the log to what is folded, in one snapshot, so a summary is never
-- behind.
--
-- One row per booking that came or went (an update is the old row going
-- and the new one coming), with its signed share of each summary. The
-- category is the place's at the time of the write.
CREATE TABLE booking_changes (
    seq INTEGER PRIMARY KEY,
    night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    guest_id TEXT NOT NULL,
    booked INTEGER NOT NULL,
    occupied INTEGER NOT NULL,
    released INTEGER NOT NULL,
    held INTEGER NOT NULL,
    unconfirmed INTEGER NOT NULL
);

-- One row per stay that came or went, per outcome it counts in.
CREATE TABLE stay_changes (
    seq INTEGER PRIMARY KEY,
    first_night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    stays INTEGER NOT NULL
);

DROP TRIGGER bookings_count_insert;
DROP TRIGGER bookings_count_delete;
DROP TRIGGER bookings_count_update;
DROP TRIGGER report_bookings_insert;
DROP TRIGGER report_bookings_delete;
DROP TRIGGER report_bookings_update;
DROP TRIGGER report_stays_insert;
DROP TRIGGER report_stays_update;

-- SQLite has no statement triggers: a row trigger appends one row, where
-- before it updated up to nine.
CREATE TRIGGER booking_changes_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT NEW.night, NEW.shelter_id, p.category, NEW.kind, NEW.guest_id, 1,
           NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL),
           NEW.released, NEW.held,
           NEW.held AND NEW.kind = 'stay' AND NEW.checked_in_at IS NULL
    FROM places p WHERE p.id = NEW.place_id;
END;

CREATE TRIGGER booking_changes_delete AFTER DELETE ON bookings
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT OLD.night, OLD.shelter_id, p.category, OLD.kind, OLD.guest_id, -1,
           -(NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL)),
           -OLD.released, -OLD.held,
           -(OLD.held AND OLD.kind = 'stay' AND OLD.checked_in_at IS NULL)
    FROM places p WHERE p.id = OLD.place_id;
END;

-- Only changes that move a share (a booking's `no_show_end` or creation
-- time does not).
CREATE TRIGGER booking_changes_update
AFTER UPDATE OF place_id, shelter_id, night, kind, released, held, checked_in_at, guest_id ON bookings
WHEN OLD.place_id IS NOT NEW.place_id OR OLD.shelter_id IS NOT NEW.shelter_id
  OR OLD.night IS NOT NEW.night OR OLD.kind IS NOT NEW.kind
  OR OLD.released IS NOT NEW.released OR OLD.held IS NOT NEW.held
  OR (OLD.checked_in_at IS NULL) IS NOT (NEW.checked_in_at IS NULL)
  OR OLD.guest_id IS NOT NEW.guest_id
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT OLD.night, OLD.shelter_id, p.category, OLD.kind, OLD.guest_id, -1,
           -(NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL)),
           -OLD.released, -OLD.held,
           -(OLD.held AND OLD.kind = 'stay' AND OLD.checked_in_at IS NULL)
    FROM places p WHERE p.id = OLD.place_id;
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT NEW.night, NEW.shelter_id, p.category, NEW.kind, NEW.guest_id, 1,
           NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL),
           NEW.released, NEW.held,
           NEW.held AND NEW.kind = 'stay' AND NEW.checked_in_at IS NULL
    FROM places p WHERE p.id = NEW.place_id;
END;

-- A stay's outcome: 'begun' for every stay not voided, and besides
-- 'ended_early' (ended by staff) or 'no_shows' (ended by no-shows).
CREATE TRIGGER stay_changes_insert AFTER INSERT ON stays WHEN NEW.status <> 'voided'
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT NEW.first_night, NEW.shelter_id, o.outcome, 1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE NEW.status = 'ended' AND NEW.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE NEW.status = 'ended' AND NEW.end_reason IS NOT 'no-shows') o;
END;

CREATE TRIGGER stay_changes_delete AFTER DELETE ON stays WHEN OLD.status <> 'voided'
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT OLD.first_night, OLD.shelter_id, o.outcome, -1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE OLD.status = 'ended' AND OLD.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE OLD.status = 'ended' AND OLD.end_reason IS NOT 'no-shows') o;
END;

CREATE TRIGGER stay_changes_update AFTER UPDATE OF status, end_reason, shelter_id, first_night ON stays
WHEN OLD.status IS NOT NEW.status OR OLD.end_reason IS NOT NEW.end_reason
  OR OLD.shelter_id IS NOT NEW.shelter_id OR OLD.first_night IS NOT NEW.first_night
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT OLD.first_night, OLD.shelter_id, o.outcome, -1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE OLD.status = 'ended' AND OLD.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE OLD.status = 'ended' AND OLD.end_reason IS NOT 'no-shows') o
    WHERE OLD.status <> 'voided';
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT NEW.first_night, NEW.shelter_id, o.outcome, 1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE NEW.status = 'ended' AND NEW.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE NEW.status = 'ended' AND NEW.end_reason IS NOT 'no-shows') o
    WHERE NEW.status <> 'voided';
END;
