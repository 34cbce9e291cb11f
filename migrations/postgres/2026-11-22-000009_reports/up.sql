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
);

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
);
CREATE INDEX report_guest_spans_guest ON report_guest_spans (guest_id);
-- The report's question, answered from the index alone: one span, counted
-- per organisation, gender, citizenship and date of birth.
CREATE INDEX report_guest_spans_groups ON report_guest_spans
    (span, starts, organization_id, gender, citizenship, born) INCLUDE (bed_nights);

-- Stays begun per first night and shelter, and how they ended.
CREATE TABLE report_stays (
    first_night DATE NOT NULL,
    shelter_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    stays INTEGER NOT NULL,
    PRIMARY KEY (first_night, shelter_id, outcome)
);

-- Nights of stays neither checked in nor released: the no-shows of the
-- past (and the reservations to come). Small next to all bookings.
CREATE INDEX bookings_unclaimed ON bookings (night)
    WHERE checked_in_at IS NULL AND NOT released AND kind = 'stay';
CREATE INDEX referrals_created ON referrals (created_at);


CREATE FUNCTION report_half(night DATE) RETURNS DATE AS $$
    SELECT CASE WHEN extract(month FROM night) BETWEEN 5 AND 10 THEN make_date(extract(year FROM night)::int, 5, 1)
                WHEN extract(month FROM night) >= 11 THEN make_date(extract(year FROM night)::int, 11, 1)
                ELSE make_date(extract(year FROM night)::int - 1, 11, 1) END
$$ LANGUAGE sql IMMUTABLE;

CREATE FUNCTION report_year(night DATE) RETURNS DATE AS $$
    SELECT CASE WHEN extract(month FROM night) >= 5 THEN make_date(extract(year FROM night)::int, 5, 1)
                ELSE make_date(extract(year FROM night)::int - 1, 5, 1) END
$$ LANGUAGE sql IMMUTABLE;

-- Adds (sign 1) or takes away (sign -1) one booking's share.
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
-- Only changes that move a count (a lapse, `held`, does not).
CREATE TRIGGER report_bookings_update AFTER UPDATE ON bookings
    FOR EACH ROW
    WHEN (OLD.place_id IS DISTINCT FROM NEW.place_id OR OLD.shelter_id IS DISTINCT FROM NEW.shelter_id
       OR OLD.night IS DISTINCT FROM NEW.night OR OLD.kind IS DISTINCT FROM NEW.kind
       OR OLD.released IS DISTINCT FROM NEW.released
       OR (OLD.checked_in_at IS NULL) IS DISTINCT FROM (NEW.checked_in_at IS NULL)
       OR OLD.guest_id IS DISTINCT FROM NEW.guest_id)
    EXECUTE FUNCTION report_bookings_changed();

CREATE FUNCTION report_guests_changed() RETURNS trigger AS $$
BEGIN
    UPDATE report_guest_spans SET
        gender = NEW.gender,
        citizenship = NEW.citizenship,
        born = COALESCE(NEW.birth_date, make_date(NEW.birth_year, 12, 31))
    WHERE guest_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER report_guests_update AFTER UPDATE ON guests
    FOR EACH ROW
    WHEN (OLD.gender IS DISTINCT FROM NEW.gender OR OLD.citizenship IS DISTINCT FROM NEW.citizenship
       OR OLD.birth_date IS DISTINCT FROM NEW.birth_date OR OLD.birth_year IS DISTINCT FROM NEW.birth_year)
    EXECUTE FUNCTION report_guests_changed();

-- A stay's outcome: 'begun' for every stay not voided, and besides
-- 'ended_early' (ended by staff) or 'no_shows' (ended by no-shows).
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

-- Fill the summaries from what is there.
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
