-- Stays and the nights they hold; bans; turn-aways; referrals; idempotency.

CREATE TABLE stays (
    id TEXT PRIMARY KEY NOT NULL,
    guest_id TEXT NOT NULL REFERENCES guests(id),
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    category TEXT NOT NULL CHECK (category IN ('regular', 'women')),
    status TEXT NOT NULL CHECK (status IN ('active', 'ended', 'voided')),
    first_night DATE NOT NULL,
    nights INTEGER NOT NULL CHECK (nights > 0),
    quarantine_nights INTEGER NOT NULL CHECK (quarantine_nights >= 0),
    no_show_limit INTEGER NOT NULL CHECK (no_show_limit > 0),
    end_reason TEXT,
    ended_at TIMESTAMP,
    void_reason TEXT,
    voided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX stays_guest ON stays (guest_id, first_night);

-- One row per guest per night held: a night of a stay, or a single-night
-- placement. `held` is true while the row holds its place; the partial
-- unique indexes are the invariants "one place, one guest, one night" and
-- "one guest, one place, one night".
CREATE TABLE bookings (
    id TEXT PRIMARY KEY NOT NULL,
    guest_id TEXT NOT NULL REFERENCES guests(id),
    place_id TEXT NOT NULL REFERENCES places(id),
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    night DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('stay', 'emergency', 'cold_night')),
    stay_id TEXT REFERENCES stays(id),
    released BOOLEAN NOT NULL,
    held BOOLEAN NOT NULL,
    checked_in_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'stay') = (stay_id IS NOT NULL)),
    CHECK (NOT (held AND released))
);
CREATE UNIQUE INDEX bookings_one_guest_per_place_night ON bookings (place_id, night) WHERE held;
CREATE UNIQUE INDEX bookings_one_place_per_guest_night ON bookings (guest_id, night) WHERE held;
CREATE UNIQUE INDEX bookings_stay_night ON bookings (stay_id, night);
CREATE INDEX bookings_night_shelter ON bookings (night, shelter_id);

CREATE TABLE bans (
    id TEXT PRIMARY KEY NOT NULL,
    guest_id TEXT NOT NULL REFERENCES guests(id),
    shelter_id TEXT REFERENCES shelters(id),
    first_night DATE NOT NULL,
    last_night DATE NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (first_night <= last_night)
);
CREATE INDEX bans_guest ON bans (guest_id, last_night);

-- Refused intakes and placements, without names (RULES.md §8).
CREATE TABLE turnaways (
    id TEXT PRIMARY KEY NOT NULL,
    night DATE NOT NULL,
    shelter_id TEXT REFERENCES shelters(id),
    reason TEXT NOT NULL,
    kind TEXT NOT NULL,
    gender TEXT NOT NULL,
    age_band TEXT NOT NULL,
    citizenship TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX turnaways_night ON turnaways (night);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    guest_id TEXT NOT NULL REFERENCES guests(id),
    reason TEXT NOT NULL,
    acute BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'taken', 'closed')),
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT
);
CREATE INDEX referrals_status ON referrals (status, created_at);

-- The first answer to a request sent with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
