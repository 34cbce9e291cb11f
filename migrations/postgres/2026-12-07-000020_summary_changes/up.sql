-- The kept summaries (`held_counts`, `report_nights`, `report_guest_spans`,
-- `report_stays`) are no longer written by the acts (issue 18). Row
-- triggers updated a handful of shared rows per booking, held until
-- commit, so every desk at a shelter waited for the others' summary rows.
-- Now each statement that writes bookings or stays appends what it
-- changed to a log (statement triggers reading the transition tables: no
-- row is updated, nothing is waited for), and `db::summaries::fold` adds
-- the log into the summaries and deletes it, in one statement, off the
-- acts' path. A reader adds what is still in the log to what is folded,
-- in one snapshot, so a summary is never behind.
--
-- One row per booking that came or went (an update is the old row going
-- and the new one coming), with its signed share of each summary. The
-- category is the place's at the time of the write.
CREATE TABLE booking_changes (
    seq BIGSERIAL PRIMARY KEY,
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
    seq BIGSERIAL PRIMARY KEY,
    first_night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    stays INTEGER NOT NULL
);

DROP TRIGGER bookings_count ON bookings;
DROP FUNCTION bookings_count();
DROP TRIGGER report_bookings_update ON bookings;
DROP TRIGGER report_bookings_insert_delete ON bookings;
DROP FUNCTION report_bookings_changed();
DROP FUNCTION report_booking(bookings, INTEGER);
DROP TRIGGER report_stays_update ON stays;
DROP TRIGGER report_stays_insert_delete ON stays;
DROP FUNCTION report_stays_changed();
DROP FUNCTION report_stay(stays, INTEGER);

-- A booking's signed shares, with its place's category.
CREATE FUNCTION booking_shares(b bookings, sign INTEGER)
RETURNS TABLE (night DATE, shelter_id TEXT, category TEXT, kind TEXT, guest_id TEXT,
               booked INTEGER, occupied INTEGER, released INTEGER, held INTEGER, unconfirmed INTEGER) AS $$
    SELECT b.night, b.shelter_id, p.category, b.kind, b.guest_id, sign,
           CASE WHEN NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL) THEN sign ELSE 0 END,
           CASE WHEN b.released THEN sign ELSE 0 END,
           CASE WHEN b.held THEN sign ELSE 0 END,
           CASE WHEN b.held AND b.kind = 'stay' AND b.checked_in_at IS NULL THEN sign ELSE 0 END
    FROM places p WHERE p.id = b.place_id
$$ LANGUAGE sql STABLE;

CREATE FUNCTION booking_changes_new() RETURNS trigger AS $$
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT s.* FROM new_rows n, booking_shares(n, 1) s;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION booking_changes_old() RETURNS trigger AS $$
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT s.* FROM old_rows o, booking_shares(o, -1) s;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Only rows whose shares moved (a booking's `no_show_end` does not).
CREATE FUNCTION booking_changes_both() RETURNS trigger AS $$
BEGIN
    INSERT INTO booking_changes (night, shelter_id, category, kind, guest_id,
                                 booked, occupied, released, held, unconfirmed)
    SELECT s.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
           LATERAL (SELECT * FROM booking_shares(o, -1) UNION ALL SELECT * FROM booking_shares(n, 1)) s
    WHERE o.place_id IS DISTINCT FROM n.place_id OR o.shelter_id IS DISTINCT FROM n.shelter_id
       OR o.night IS DISTINCT FROM n.night OR o.kind IS DISTINCT FROM n.kind
       OR o.released IS DISTINCT FROM n.released OR o.held IS DISTINCT FROM n.held
       OR (o.checked_in_at IS NULL) IS DISTINCT FROM (n.checked_in_at IS NULL)
       OR o.guest_id IS DISTINCT FROM n.guest_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER booking_changes_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION booking_changes_new();
CREATE TRIGGER booking_changes_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION booking_changes_old();
CREATE TRIGGER booking_changes_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION booking_changes_both();

-- A stay's outcomes with its sign: 'begun' for every stay not voided, and
-- besides 'ended_early' (ended by staff) or 'no_shows' (ended by no-shows).
CREATE FUNCTION stay_shares(s stays, sign INTEGER)
RETURNS TABLE (first_night DATE, shelter_id TEXT, outcome TEXT, stays INTEGER) AS $$
    SELECT s.first_night, s.shelter_id, o, sign
    FROM unnest(ARRAY['begun']
        || CASE WHEN s.status = 'ended' AND s.end_reason = 'no-shows' THEN ARRAY['no_shows']
                WHEN s.status = 'ended' THEN ARRAY['ended_early'] ELSE ARRAY[]::text[] END) AS o
    WHERE s.status <> 'voided'
$$ LANGUAGE sql IMMUTABLE;

CREATE FUNCTION stay_changes_new() RETURNS trigger AS $$
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT x.* FROM new_rows n, stay_shares(n, 1) x;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION stay_changes_old() RETURNS trigger AS $$
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT x.* FROM old_rows o, stay_shares(o, -1) x;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION stay_changes_both() RETURNS trigger AS $$
BEGIN
    INSERT INTO stay_changes (first_night, shelter_id, outcome, stays)
    SELECT x.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
           LATERAL (SELECT * FROM stay_shares(o, -1) UNION ALL SELECT * FROM stay_shares(n, 1)) x
    WHERE o.status IS DISTINCT FROM n.status OR o.end_reason IS DISTINCT FROM n.end_reason
       OR o.shelter_id IS DISTINCT FROM n.shelter_id OR o.first_night IS DISTINCT FROM n.first_night;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER stay_changes_insert AFTER INSERT ON stays
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stay_changes_new();
CREATE TRIGGER stay_changes_delete AFTER DELETE ON stays
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stay_changes_old();
CREATE TRIGGER stay_changes_update AFTER UPDATE ON stays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stay_changes_both();

-- A guest's changed gender, citizenship or birth date (pseudonymisation)
-- is still written into that guest's span rows at once, and the fold
-- writes span rows too: each takes the fold's advisory lock (2, 0) first,
-- the fold alone (and it passes when it cannot) and the guest's change
-- shared, so the two never lock a guest's span rows in opposite orders.
CREATE OR REPLACE FUNCTION report_guests_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(2, 0);
    UPDATE report_guest_spans SET
        gender = NEW.gender,
        citizenship = NEW.citizenship,
        born = COALESCE(NEW.birth_date, make_date(NEW.birth_year, 12, 31))
    WHERE guest_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
