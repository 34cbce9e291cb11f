-- Back to the row triggers of migrations 000008 and 000009, with the
-- summaries filled again from the bookings and stays as those migrations
-- first filled them (what was still in the log is in them then).
DROP TRIGGER stay_changes_update ON stays;
DROP TRIGGER stay_changes_delete ON stays;
DROP TRIGGER stay_changes_insert ON stays;
DROP FUNCTION stay_changes_both();
DROP FUNCTION stay_changes_old();
DROP FUNCTION stay_changes_new();
DROP FUNCTION stay_shares(stays, INTEGER);
DROP TRIGGER booking_changes_update ON bookings;
DROP TRIGGER booking_changes_delete ON bookings;
DROP TRIGGER booking_changes_insert ON bookings;
DROP FUNCTION booking_changes_both();
DROP FUNCTION booking_changes_old();
DROP FUNCTION booking_changes_new();
DROP FUNCTION booking_shares(bookings, INTEGER);
DROP TABLE stay_changes;
DROP TABLE booking_changes;
CREATE OR REPLACE FUNCTION report_guests_changed() RETURNS trigger AS $$
BEGIN
    UPDATE report_guest_spans SET
        gender = NEW.gender,
        citizenship = NEW.citizenship,
        born = COALESCE(NEW.birth_date, make_date(NEW.birth_year, 12, 31))
    WHERE guest_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION bookings_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.held THEN
        UPDATE held_counts
        SET held = held - 1,
            unconfirmed = unconfirmed
                - CASE WHEN OLD.kind = 'stay' AND OLD.checked_in_at IS NULL THEN 1 ELSE 0 END
        WHERE night = OLD.night AND shelter_id = OLD.shelter_id
          AND category = (SELECT category FROM places WHERE id = OLD.place_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.held THEN
        INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
        VALUES (NEW.night, NEW.shelter_id,
                (SELECT category FROM places WHERE id = NEW.place_id), 1,
                CASE WHEN NEW.kind = 'stay' AND NEW.checked_in_at IS NULL THEN 1 ELSE 0 END)
        ON CONFLICT (night, shelter_id, category) DO UPDATE
        SET held = held_counts.held + 1,
            unconfirmed = held_counts.unconfirmed + excluded.unconfirmed;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER bookings_count AFTER INSERT OR DELETE
    OR UPDATE OF held, checked_in_at, kind, night, place_id, shelter_id
    ON bookings FOR EACH ROW EXECUTE FUNCTION bookings_count();

CREATE FUNCTION report_booking(b bookings, sign INTEGER) RETURNS void AS $$
DECLARE
    cat TEXT;
    org TEXT;
    used BOOLEAN := NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL);
BEGIN
    SELECT category INTO cat FROM places WHERE id = b.place_id;
    INSERT INTO report_nights AS r (night, shelter_id, category, kind, booked, occupied, released)
    VALUES (b.night, b.shelter_id, cat, b.kind, sign,
            CASE WHEN used THEN sign ELSE 0 END, CASE WHEN b.released THEN sign ELSE 0 END)
    ON CONFLICT (night, shelter_id, category, kind) DO UPDATE SET
        booked = r.booked + EXCLUDED.booked,
        occupied = r.occupied + EXCLUDED.occupied,
        released = r.released + EXCLUDED.released;
    IF used THEN
        SELECT organization_id INTO org FROM shelters WHERE id = b.shelter_id;
        INSERT INTO report_guest_spans AS r (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
        SELECT k.span, CASE k.span WHEN 'month' THEN date_trunc('month', b.night)::date
                                   WHEN 'half' THEN report_half(b.night) ELSE report_year(b.night) END,
               k.org, b.guest_id, g.gender, g.citizenship,
               COALESCE(g.birth_date, make_date(g.birth_year, 12, 31)), sign
        FROM guests g, (VALUES ('month', org), ('month', ''), ('half', org), ('half', ''),
                              ('year', org), ('year', '')) AS k (span, org)
        WHERE g.id = b.guest_id
        ON CONFLICT (span, starts, organization_id, guest_id) DO UPDATE SET
            bed_nights = r.bed_nights + EXCLUDED.bed_nights;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION report_bookings_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM report_booking(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM report_booking(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER report_bookings_insert_delete AFTER INSERT OR DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION report_bookings_changed();

CREATE TRIGGER report_bookings_update AFTER UPDATE ON bookings
    FOR EACH ROW
    WHEN (OLD.place_id IS DISTINCT FROM NEW.place_id OR OLD.shelter_id IS DISTINCT FROM NEW.shelter_id
       OR OLD.night IS DISTINCT FROM NEW.night OR OLD.kind IS DISTINCT FROM NEW.kind
       OR OLD.released IS DISTINCT FROM NEW.released
       OR (OLD.checked_in_at IS NULL) IS DISTINCT FROM (NEW.checked_in_at IS NULL)
       OR OLD.guest_id IS DISTINCT FROM NEW.guest_id)
    EXECUTE FUNCTION report_bookings_changed();

CREATE FUNCTION report_stay(s stays, sign INTEGER) RETURNS void AS $$
BEGIN
    IF s.status = 'voided' THEN
        RETURN;
    END IF;
    INSERT INTO report_stays AS r (first_night, shelter_id, outcome, stays)
    SELECT s.first_night, s.shelter_id, o, sign
    FROM unnest(ARRAY['begun']
        || CASE WHEN s.status = 'ended' AND s.end_reason = 'no-shows' THEN ARRAY['no_shows']
                WHEN s.status = 'ended' THEN ARRAY['ended_early'] ELSE ARRAY[]::text[] END) AS o
    ON CONFLICT (first_night, shelter_id, outcome) DO UPDATE SET stays = r.stays + EXCLUDED.stays;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION report_stays_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM report_stay(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM report_stay(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER report_stays_insert_delete AFTER INSERT OR DELETE ON stays
    FOR EACH ROW EXECUTE FUNCTION report_stays_changed();

CREATE TRIGGER report_stays_update AFTER UPDATE ON stays
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.end_reason IS DISTINCT FROM NEW.end_reason
       OR OLD.shelter_id IS DISTINCT FROM NEW.shelter_id OR OLD.first_night IS DISTINCT FROM NEW.first_night)
    EXECUTE FUNCTION report_stays_changed();

DELETE FROM held_counts;
DELETE FROM report_nights;
DELETE FROM report_guest_spans;
DELETE FROM report_stays;
INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
SELECT b.night, b.shelter_id, p.category, COUNT(*),
       COUNT(*) FILTER (WHERE b.kind = 'stay' AND b.checked_in_at IS NULL)
FROM bookings b JOIN places p ON p.id = b.place_id
WHERE b.held
GROUP BY b.night, b.shelter_id, p.category;

INSERT INTO report_nights (night, shelter_id, category, kind, booked, occupied, released)
SELECT b.night, b.shelter_id, p.category, b.kind, COUNT(*),
       COUNT(*) FILTER (WHERE NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL)),
       COUNT(*) FILTER (WHERE b.released)
FROM bookings b JOIN places p ON p.id = b.place_id
GROUP BY b.night, b.shelter_id, p.category, b.kind;

CREATE TEMP TABLE report_fill AS
SELECT date_trunc('month', b.night)::date AS month, s.organization_id AS org, b.guest_id, COUNT(*)::int AS n
FROM bookings b JOIN shelters s ON s.id = b.shelter_id
WHERE NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL)
GROUP BY 1, 2, 3;

INSERT INTO report_guest_spans (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
SELECT u.span, u.starts, u.org, u.guest_id, g.gender, g.citizenship,
       COALESCE(g.birth_date, make_date(g.birth_year, 12, 31)), SUM(u.n)
FROM (
    SELECT 'month' AS span, month AS starts, org, guest_id, n FROM report_fill
    UNION ALL SELECT 'month', month, '', guest_id, n FROM report_fill
    UNION ALL SELECT 'year', report_year(month), org, guest_id, n FROM report_fill
    UNION ALL SELECT 'year', report_year(month), '', guest_id, n FROM report_fill
    UNION ALL SELECT 'half', report_half(month), org, guest_id, n FROM report_fill
    UNION ALL SELECT 'half', report_half(month), '', guest_id, n FROM report_fill
) u JOIN guests g ON g.id = u.guest_id
GROUP BY u.span, u.starts, u.org, u.guest_id, g.gender, g.citizenship, g.birth_date, g.birth_year;
DROP TABLE report_fill;

INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
SELECT first_night, shelter_id, 'begun', COUNT(*) FROM stays WHERE status <> 'voided'
GROUP BY first_night, shelter_id;
INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
SELECT first_night, shelter_id, CASE WHEN end_reason = 'no-shows' THEN 'no_shows' ELSE 'ended_early' END, COUNT(*)
FROM stays WHERE status = 'ended'
GROUP BY 1, 2, 3;
