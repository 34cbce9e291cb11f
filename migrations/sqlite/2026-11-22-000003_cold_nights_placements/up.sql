-- Cold nights with the overflow places they open, and single-night
-- placements (RULES.md §5, §6). A placement's night is held by a row of
-- bookings (kind emergency or cold_night), under the same invariants.

CREATE TABLE cold_nights (
    night DATE PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    forecast_min_c DOUBLE PRECISION,
    declared_at TIMESTAMP NOT NULL,
    declared_by TEXT NOT NULL
);

CREATE TABLE cold_night_openings (
    night DATE NOT NULL REFERENCES cold_nights(night) ON DELETE CASCADE,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    places INTEGER NOT NULL CHECK (places >= 0),
    PRIMARY KEY (night, shelter_id)
);

CREATE TABLE placements (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL UNIQUE REFERENCES bookings(id),
    guest_id TEXT NOT NULL REFERENCES guests(id),
    kind TEXT NOT NULL CHECK (kind IN ('emergency', 'cold_night')),
    night DATE NOT NULL,
    place_id TEXT NOT NULL REFERENCES places(id),
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX placements_night ON placements (night);
CREATE INDEX place_outages_night ON place_outages (last_night, first_night);
