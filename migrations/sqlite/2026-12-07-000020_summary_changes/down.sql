-- Back to the row triggers of migrations 000008 and 000009, with the
-- summaries filled again from the bookings and stays as those migrations
-- first filled them (what was still in the log is in them then).
DROP TRIGGER stay_changes_update;
DROP TRIGGER stay_changes_delete;
DROP TRIGGER stay_changes_insert;
DROP TRIGGER booking_changes_update;
DROP TRIGGER booking_changes_delete;
DROP TRIGGER booking_changes_insert;
DROP TABLE stay_changes;
DROP TABLE booking_changes;

CREATE TRIGGER bookings_count_insert AFTER INSERT ON bookings WHEN NEW.held
BEGIN
    INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
    VALUES (NEW.night, NEW.shelter_id,
            (SELECT category FROM places WHERE id = NEW.place_id), 1,
            NEW.kind = 'stay' AND NEW.checked_in_at IS NULL)
    ON CONFLICT (night, shelter_id, category) DO UPDATE
    SET held = held + 1, unconfirmed = unconfirmed + excluded.unconfirmed;
END;

CREATE TRIGGER bookings_count_delete AFTER DELETE ON bookings WHEN OLD.held
BEGIN
    UPDATE held_counts
    SET held = held - 1,
        unconfirmed = unconfirmed - (OLD.kind = 'stay' AND OLD.checked_in_at IS NULL)
    WHERE night = OLD.night AND shelter_id = OLD.shelter_id
      AND category = (SELECT category FROM places WHERE id = OLD.place_id);
END;

CREATE TRIGGER bookings_count_update
AFTER UPDATE OF held, checked_in_at, kind, night, place_id, shelter_id ON bookings
WHEN OLD.held OR NEW.held
BEGIN
    UPDATE held_counts
    SET held = held - 1,
        unconfirmed = unconfirmed - (OLD.kind = 'stay' AND OLD.checked_in_at IS NULL)
    WHERE OLD.held AND night = OLD.night AND shelter_id = OLD.shelter_id
      AND category = (SELECT category FROM places WHERE id = OLD.place_id);
    INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
    SELECT NEW.night, NEW.shelter_id,
           (SELECT category FROM places WHERE id = NEW.place_id), 1,
           NEW.kind = 'stay' AND NEW.checked_in_at IS NULL
    WHERE NEW.held
    ON CONFLICT (night, shelter_id, category) DO UPDATE
    SET held = held + 1, unconfirmed = unconfirmed + excluded.unconfirmed;
END;

CREATE TRIGGER report_bookings_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO report_nights (night, shelter_id, category, kind, booked, occupied, released)
    SELECT NEW.night, NEW.shelter_id, p.category, NEW.kind, 1,
           CASE WHEN NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL) THEN 1 ELSE 0 END,
           CASE WHEN NEW.released THEN 1 ELSE 0 END
    FROM places p WHERE p.id = NEW.place_id
    ON CONFLICT (night, shelter_id, category, kind) DO UPDATE SET
        booked = booked + excluded.booked,
        occupied = occupied + excluded.occupied,
        released = released + excluded.released;
    INSERT INTO report_guest_spans (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
    SELECT k.span,
           CASE k.span WHEN 'month' THEN date(NEW.night, 'start of month')
                WHEN 'year' THEN CASE WHEN CAST(strftime('%m', NEW.night) AS INTEGER) >= 5 THEN strftime('%Y', NEW.night) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', NEW.night) AS INTEGER) - 1) END
                ELSE CASE WHEN CAST(strftime('%m', NEW.night) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', NEW.night) || '-05-01'
                          WHEN CAST(strftime('%m', NEW.night) AS INTEGER) >= 11 THEN strftime('%Y', NEW.night) || '-11-01'
                          ELSE printf('%04d-11-01', CAST(strftime('%Y', NEW.night) AS INTEGER) - 1) END END,
           CASE k.everyone WHEN 1 THEN '' ELSE s.organization_id END,
           NEW.guest_id, g.gender, g.citizenship,
           COALESCE(g.birth_date, printf('%04d-12-31', g.birth_year)), 1
    FROM guests g, shelters s,
         (SELECT 'month' AS span, 0 AS everyone UNION ALL SELECT 'month', 1
          UNION ALL SELECT 'half', 0 UNION ALL SELECT 'half', 1
          UNION ALL SELECT 'year', 0 UNION ALL SELECT 'year', 1) k
    WHERE g.id = NEW.guest_id AND s.id = NEW.shelter_id
      AND NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL)
    ON CONFLICT (span, starts, organization_id, guest_id) DO UPDATE SET
        bed_nights = bed_nights + 1;
END;

CREATE TRIGGER report_bookings_delete AFTER DELETE ON bookings
BEGIN
    UPDATE report_nights SET
        booked = booked - 1,
        occupied = occupied - CASE WHEN NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL) THEN 1 ELSE 0 END,
        released = released - CASE WHEN OLD.released THEN 1 ELSE 0 END
    WHERE night = OLD.night AND shelter_id = OLD.shelter_id AND kind = OLD.kind
      AND category = (SELECT category FROM places WHERE id = OLD.place_id);
    UPDATE report_guest_spans SET bed_nights = bed_nights - 1
    WHERE NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL)
      AND guest_id = OLD.guest_id
      AND organization_id IN ('', (SELECT organization_id FROM shelters WHERE id = OLD.shelter_id))
      AND ((span = 'month' AND starts = date(OLD.night, 'start of month'))
        OR (span = 'half' AND starts = CASE
              WHEN CAST(strftime('%m', OLD.night) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', OLD.night) || '-05-01'
              WHEN CAST(strftime('%m', OLD.night) AS INTEGER) >= 11 THEN strftime('%Y', OLD.night) || '-11-01'
              ELSE printf('%04d-11-01', CAST(strftime('%Y', OLD.night) AS INTEGER) - 1) END)
        OR (span = 'year' AND starts = CASE WHEN CAST(strftime('%m', OLD.night) AS INTEGER) >= 5 THEN strftime('%Y', OLD.night) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', OLD.night) AS INTEGER) - 1) END));
END;

CREATE TRIGGER report_bookings_update AFTER UPDATE OF place_id, shelter_id, night, kind, released, checked_in_at, guest_id ON bookings
WHEN OLD.place_id IS NOT NEW.place_id OR OLD.shelter_id IS NOT NEW.shelter_id
  OR OLD.night IS NOT NEW.night OR OLD.kind IS NOT NEW.kind OR OLD.released IS NOT NEW.released
  OR (OLD.checked_in_at IS NULL) IS NOT (NEW.checked_in_at IS NULL) OR OLD.guest_id IS NOT NEW.guest_id
BEGIN
    UPDATE report_nights SET
        booked = booked - 1,
        occupied = occupied - CASE WHEN NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL) THEN 1 ELSE 0 END,
        released = released - CASE WHEN OLD.released THEN 1 ELSE 0 END
    WHERE night = OLD.night AND shelter_id = OLD.shelter_id AND kind = OLD.kind
      AND category = (SELECT category FROM places WHERE id = OLD.place_id);
    UPDATE report_guest_spans SET bed_nights = bed_nights - 1
    WHERE NOT OLD.released AND (OLD.kind <> 'stay' OR OLD.checked_in_at IS NOT NULL)
      AND guest_id = OLD.guest_id
      AND organization_id IN ('', (SELECT organization_id FROM shelters WHERE id = OLD.shelter_id))
      AND ((span = 'month' AND starts = date(OLD.night, 'start of month'))
        OR (span = 'half' AND starts = CASE
              WHEN CAST(strftime('%m', OLD.night) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', OLD.night) || '-05-01'
              WHEN CAST(strftime('%m', OLD.night) AS INTEGER) >= 11 THEN strftime('%Y', OLD.night) || '-11-01'
              ELSE printf('%04d-11-01', CAST(strftime('%Y', OLD.night) AS INTEGER) - 1) END)
        OR (span = 'year' AND starts = CASE WHEN CAST(strftime('%m', OLD.night) AS INTEGER) >= 5 THEN strftime('%Y', OLD.night) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', OLD.night) AS INTEGER) - 1) END));
    INSERT INTO report_nights (night, shelter_id, category, kind, booked, occupied, released)
    SELECT NEW.night, NEW.shelter_id, p.category, NEW.kind, 1,
           CASE WHEN NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL) THEN 1 ELSE 0 END,
           CASE WHEN NEW.released THEN 1 ELSE 0 END
    FROM places p WHERE p.id = NEW.place_id
    ON CONFLICT (night, shelter_id, category, kind) DO UPDATE SET
        booked = booked + excluded.booked,
        occupied = occupied + excluded.occupied,
        released = released + excluded.released;
    INSERT INTO report_guest_spans (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
    SELECT k.span,
           CASE k.span WHEN 'month' THEN date(NEW.night, 'start of month')
                WHEN 'year' THEN CASE WHEN CAST(strftime('%m', NEW.night) AS INTEGER) >= 5 THEN strftime('%Y', NEW.night) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', NEW.night) AS INTEGER) - 1) END
                ELSE CASE WHEN CAST(strftime('%m', NEW.night) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', NEW.night) || '-05-01'
                          WHEN CAST(strftime('%m', NEW.night) AS INTEGER) >= 11 THEN strftime('%Y', NEW.night) || '-11-01'
                          ELSE printf('%04d-11-01', CAST(strftime('%Y', NEW.night) AS INTEGER) - 1) END END,
           CASE k.everyone WHEN 1 THEN '' ELSE s.organization_id END,
           NEW.guest_id, g.gender, g.citizenship,
           COALESCE(g.birth_date, printf('%04d-12-31', g.birth_year)), 1
    FROM guests g, shelters s,
         (SELECT 'month' AS span, 0 AS everyone UNION ALL SELECT 'month', 1
          UNION ALL SELECT 'half', 0 UNION ALL SELECT 'half', 1
          UNION ALL SELECT 'year', 0 UNION ALL SELECT 'year', 1) k
    WHERE g.id = NEW.guest_id AND s.id = NEW.shelter_id
      AND NOT NEW.released AND (NEW.kind <> 'stay' OR NEW.checked_in_at IS NOT NULL)
    ON CONFLICT (span, starts, organization_id, guest_id) DO UPDATE SET
        bed_nights = bed_nights + 1;
END;

CREATE TRIGGER report_stays_insert AFTER INSERT ON stays WHEN NEW.status <> 'voided'
BEGIN
    INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
    SELECT NEW.first_night, NEW.shelter_id, o.outcome, 1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE NEW.status = 'ended' AND NEW.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE NEW.status = 'ended' AND NEW.end_reason IS NOT 'no-shows') o
    WHERE true
    ON CONFLICT (first_night, shelter_id, outcome) DO UPDATE SET stays = stays + 1;
END;

CREATE TRIGGER report_stays_update AFTER UPDATE OF status, end_reason, shelter_id, first_night ON stays
WHEN OLD.status IS NOT NEW.status OR OLD.end_reason IS NOT NEW.end_reason
  OR OLD.shelter_id IS NOT NEW.shelter_id OR OLD.first_night IS NOT NEW.first_night
BEGIN
    UPDATE report_stays SET stays = stays - 1
    WHERE first_night = OLD.first_night AND shelter_id = OLD.shelter_id AND OLD.status <> 'voided'
      AND (outcome = 'begun'
        OR (outcome = 'no_shows' AND OLD.status = 'ended' AND OLD.end_reason = 'no-shows')
        OR (outcome = 'ended_early' AND OLD.status = 'ended' AND OLD.end_reason IS NOT 'no-shows'));
    INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
    SELECT NEW.first_night, NEW.shelter_id, o.outcome, 1 FROM (
        SELECT 'begun' AS outcome
        UNION ALL SELECT 'no_shows' WHERE NEW.status = 'ended' AND NEW.end_reason = 'no-shows'
        UNION ALL SELECT 'ended_early' WHERE NEW.status = 'ended' AND NEW.end_reason IS NOT 'no-shows') o
    WHERE NEW.status <> 'voided'
    ON CONFLICT (first_night, shelter_id, outcome) DO UPDATE SET stays = stays + 1;
END;

DELETE FROM held_counts;
DELETE FROM report_nights;
DELETE FROM report_guest_spans;
DELETE FROM report_stays;
INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
SELECT b.night, b.shelter_id, p.category, COUNT(*),
       SUM(CASE WHEN b.kind = 'stay' AND b.checked_in_at IS NULL THEN 1 ELSE 0 END)
FROM bookings b JOIN places p ON p.id = b.place_id
WHERE b.held
GROUP BY b.night, b.shelter_id, p.category;

INSERT INTO report_nights (night, shelter_id, category, kind, booked, occupied, released)
SELECT b.night, b.shelter_id, p.category, b.kind, COUNT(*),
       SUM(CASE WHEN NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL) THEN 1 ELSE 0 END),
       SUM(CASE WHEN b.released THEN 1 ELSE 0 END)
FROM bookings b JOIN places p ON p.id = b.place_id
GROUP BY b.night, b.shelter_id, p.category, b.kind;

CREATE TEMP TABLE report_fill AS
SELECT date(b.night, 'start of month') AS month, s.organization_id AS org, b.guest_id AS guest_id, COUNT(*) AS n
FROM bookings b JOIN shelters s ON s.id = b.shelter_id
WHERE NOT b.released AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL)
GROUP BY 1, 2, 3;

INSERT INTO report_guest_spans (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
SELECT u.span, u.starts, u.org, u.guest_id, g.gender, g.citizenship,
       COALESCE(g.birth_date, printf('%04d-12-31', g.birth_year)), SUM(u.n)
FROM (
    SELECT 'month' AS span, month AS starts, org, guest_id, n FROM report_fill
    UNION ALL SELECT 'month', month, '', guest_id, n FROM report_fill
    UNION ALL SELECT 'year', CASE WHEN CAST(strftime('%m', month) AS INTEGER) >= 5 THEN strftime('%Y', month) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', month) AS INTEGER) - 1) END, org, guest_id, n FROM report_fill
    UNION ALL SELECT 'year', CASE WHEN CAST(strftime('%m', month) AS INTEGER) >= 5 THEN strftime('%Y', month) || '-05-01'
              ELSE printf('%04d-05-01', CAST(strftime('%Y', month) AS INTEGER) - 1) END, '', guest_id, n FROM report_fill
    UNION ALL SELECT 'half', CASE WHEN CAST(strftime('%m', month) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', month) || '-05-01'
              WHEN CAST(strftime('%m', month) AS INTEGER) >= 11 THEN strftime('%Y', month) || '-11-01'
              ELSE printf('%04d-11-01', CAST(strftime('%Y', month) AS INTEGER) - 1) END, org, guest_id, n FROM report_fill
    UNION ALL SELECT 'half', CASE WHEN CAST(strftime('%m', month) AS INTEGER) BETWEEN 5 AND 10 THEN strftime('%Y', month) || '-05-01'
              WHEN CAST(strftime('%m', month) AS INTEGER) >= 11 THEN strftime('%Y', month) || '-11-01'
              ELSE printf('%04d-11-01', CAST(strftime('%Y', month) AS INTEGER) - 1) END, '', guest_id, n FROM report_fill
) u JOIN guests g ON g.id = u.guest_id
GROUP BY u.span, u.starts, u.org, u.guest_id;
DROP TABLE report_fill;

INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
SELECT first_night, shelter_id, 'begun', COUNT(*) FROM stays WHERE status <> 'voided'
GROUP BY first_night, shelter_id;
INSERT INTO report_stays (first_night, shelter_id, outcome, stays)
SELECT first_night, shelter_id, CASE WHEN end_reason = 'no-shows' THEN 'no_shows' ELSE 'ended_early' END, COUNT(*)
FROM stays WHERE status = 'ended'
GROUP BY 1, 2, 3;
