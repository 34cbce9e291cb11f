-- Reports (issue 7): complaints and feedback, the user survey, and the
-- summaries the follow-up report reads instead of 33 million bookings.
--
-- The summaries are kept by triggers in the transaction of every write to
-- `bookings` and `stays`, so they are never behind and no code that writes
-- bookings has to know about them. `nattplats` rebuilds them from the
-- source tables with `db::reports::rebuild_summaries` (after a bulk load
-- that bypassed the triggers); this migration fills them once.

-- Synpunkter och klagomål: recorded per shelter by guests (through staff)
-- or staff. The text may name people, so only coordinators read it.
CREATE TABLE complaints (
    id TEXT PRIMARY KEY NOT NULL,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    night DATE NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('guest', 'staff')),
    kind TEXT NOT NULL CHECK (kind IN ('complaint', 'feedback')),
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'in_progress', 'answered', 'closed')),
    response TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT
);
CREATE INDEX complaints_night ON complaints (night);

-- Answers to the fixed survey, without names, without who entered them and
-- without the time of day (only the night), so an answer cannot be tied to
-- a check-in.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY NOT NULL,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    night DATE NOT NULL,
    questionnaire TEXT NOT NULL,
    safe TEXT CHECK (safe IN ('yes', 'partly', 'no')),
    respected TEXT CHECK (respected IN ('yes', 'partly', 'no')),
    clean TEXT CHECK (clean IN ('yes', 'partly', 'no')),
    informed TEXT CHECK (informed IN ('yes', 'partly', 'no')),
    overall INTEGER CHECK (overall BETWEEN 1 AND 5)
);
CREATE INDEX survey_responses_night ON survey_responses (night);

-- The summaries are WITHOUT ROWID: the table is its primary key's
-- B-tree, so a period is one sequential range.

-- Bookings per night, shelter, place category and kind: how many, how
-- many used (checked in, or a placement) and how many released.
CREATE TABLE report_nights (
    night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    booked INTEGER NOT NULL,
    occupied INTEGER NOT NULL,
    released INTEGER NOT NULL,
    PRIMARY KEY (night, shelter_id, category, kind)
) WITHOUT ROWID;

-- Bed nights per guest per calendar month, per half of the partnership
-- year (1 May to 31 October, 1 November to 30 April) and per partnership
-- year (from 1 May), per
-- organisation and for all ('' ), with the guest's gender, citizenship
-- and date of birth (31 December of the birth year when only the year is
-- known) copied in so that counting unique guests needs no join. A
-- trigger on guests keeps the copy true (pseudonymisation removes the
-- exact birth date here too).
CREATE TABLE report_guest_spans (
    span TEXT NOT NULL CHECK (span IN ('month', 'half', 'year')),
    starts DATE NOT NULL,
    organization_id TEXT NOT NULL,
    guest_id TEXT NOT NULL,
    gender TEXT NOT NULL,
    citizenship TEXT NOT NULL,
    born DATE NOT NULL,
    bed_nights INTEGER NOT NULL,
    PRIMARY KEY (span, starts, organization_id, guest_id)
) WITHOUT ROWID;
CREATE INDEX report_guest_spans_guest ON report_guest_spans (guest_id);
-- The report's question, answered from the index alone and in its order
-- (no sort): one span, counted per organisation, gender, citizenship and
-- date of birth.
CREATE INDEX report_guest_spans_groups ON report_guest_spans
    (span, starts, organization_id, gender, citizenship, born, bed_nights);

-- Stays begun per first night and shelter, and how they ended.
CREATE TABLE report_stays (
    first_night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    stays INTEGER NOT NULL,
    PRIMARY KEY (first_night, shelter_id, outcome)
) WITHOUT ROWID;

-- Nights of stays neither checked in nor released: the no-shows of the
-- past (and the reservations to come). Small next to all bookings.
CREATE INDEX bookings_unclaimed ON bookings (night)
    WHERE checked_in_at IS NULL AND NOT released AND kind = 'stay';
CREATE INDEX referrals_created ON referrals (created_at);

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

-- An update counts as the old row leaving and the new one arriving; only
-- changes that move a count fire it (a lapse, `held`, does not).
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

CREATE TRIGGER report_guests_update AFTER UPDATE OF gender, citizenship, birth_date, birth_year ON guests
BEGIN
    UPDATE report_guest_spans SET
        gender = NEW.gender,
        citizenship = NEW.citizenship,
        born = COALESCE(NEW.birth_date, printf('%04d-12-31', NEW.birth_year))
    WHERE guest_id = NEW.id;
END;

-- A stay's outcome: 'begun' for every stay not voided, and besides
-- 'ended_early' (ended by staff) or 'no_shows' (ended by no-shows).
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

-- Fill the summaries from what is there.
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
