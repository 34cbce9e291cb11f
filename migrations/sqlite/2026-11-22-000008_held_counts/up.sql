-- Counts for the screens (issue 6): how many places each shelter has per
-- category, and how many bookings hold a place per night, shelter and
-- category. Kept by triggers in the transaction of every write to places
-- and bookings, so no code path can forget them and availability's counts
-- are a read of a few thousand rows whatever the size of the system.

CREATE TABLE place_counts (
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    category TEXT NOT NULL,
    places INTEGER NOT NULL CHECK (places >= 0),
    PRIMARY KEY (shelter_id, category)
);

-- `held`: bookings with held = true. `unconfirmed`: of those, nights of
-- stays without a check-in (the ones a no-show can release).
CREATE TABLE held_counts (
    night DATE NOT NULL,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    category TEXT NOT NULL,
    held INTEGER NOT NULL CHECK (held >= 0),
    unconfirmed INTEGER NOT NULL CHECK (unconfirmed >= 0 AND unconfirmed <= held),
    PRIMARY KEY (night, shelter_id, category)
);

INSERT INTO place_counts (shelter_id, category, places)
SELECT shelter_id, category, COUNT(*) FROM places GROUP BY shelter_id, category;

INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
SELECT b.night, b.shelter_id, p.category, COUNT(*),
       SUM(CASE WHEN b.kind = 'stay' AND b.checked_in_at IS NULL THEN 1 ELSE 0 END)
FROM bookings b JOIN places p ON p.id = b.place_id
WHERE b.held
GROUP BY b.night, b.shelter_id, p.category;

CREATE TRIGGER places_count_insert AFTER INSERT ON places
BEGIN
    INSERT INTO place_counts (shelter_id, category, places)
    VALUES (NEW.shelter_id, NEW.category, 1)
    ON CONFLICT (shelter_id, category) DO UPDATE SET places = places + 1;
END;

CREATE TRIGGER places_count_delete AFTER DELETE ON places
BEGIN
    UPDATE place_counts SET places = places - 1
    WHERE shelter_id = OLD.shelter_id AND category = OLD.category;
END;

CREATE TRIGGER places_count_update AFTER UPDATE OF shelter_id, category ON places
BEGIN
    UPDATE place_counts SET places = places - 1
    WHERE shelter_id = OLD.shelter_id AND category = OLD.category;
    INSERT INTO place_counts (shelter_id, category, places)
    VALUES (NEW.shelter_id, NEW.category, 1)
    ON CONFLICT (shelter_id, category) DO UPDATE SET places = places + 1;
END;

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

-- Tonight's reservations made after the no-show cutoff (they do not lapse):
-- few rows, found without reading the night's other bookings.
CREATE INDEX bookings_unconfirmed ON bookings (night, created_at)
WHERE held AND checked_in_at IS NULL;
