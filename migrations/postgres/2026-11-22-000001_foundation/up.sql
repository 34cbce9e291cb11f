-- The foundation: partnerships and their rule sets, organisations,
-- shelters, places, guests and users. Ids are opaque text; instants are
-- UTC; nights are dates.

CREATE TABLE partnerships (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    night_starts_at TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE rule_sets (
    id TEXT PRIMARY KEY NOT NULL,
    partnership_id TEXT NOT NULL REFERENCES partnerships(id),
    effective_from DATE NOT NULL,
    no_show_cutoff TEXT NOT NULL,
    regular_nights INTEGER NOT NULL CHECK (regular_nights > 0),
    women_nights INTEGER NOT NULL CHECK (women_nights > 0),
    quarantine_nights INTEGER NOT NULL CHECK (quarantine_nights >= 0),
    no_show_ends_stay_after INTEGER NOT NULL CHECK (no_show_ends_stay_after > 0),
    booking_horizon_nights INTEGER NOT NULL CHECK (booking_horizon_nights >= 0),
    cold_night_threshold_c DOUBLE PRECISION NOT NULL,
    target_citizenships TEXT NOT NULL,
    target_permit_countries TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (partnership_id, effective_from)
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    partnership_id TEXT NOT NULL REFERENCES partnerships(id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (partnership_id, name)
);

CREATE TABLE shelters (
    id TEXT PRIMARY KEY NOT NULL,
    partnership_id TEXT NOT NULL REFERENCES partnerships(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (partnership_id, name)
);

CREATE TABLE places (
    id TEXT PRIMARY KEY NOT NULL,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    label TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('regular', 'women', 'overflow')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (shelter_id, label)
);
CREATE INDEX places_shelter ON places (shelter_id, category);

CREATE TABLE place_outages (
    id TEXT PRIMARY KEY NOT NULL,
    place_id TEXT NOT NULL REFERENCES places(id),
    first_night DATE NOT NULL,
    last_night DATE NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (first_night <= last_night)
);
CREATE INDEX place_outages_place ON place_outages (place_id, first_night);

CREATE TABLE guests (
    id TEXT PRIMARY KEY NOT NULL,
    card_number TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    birth_date DATE,
    birth_year INTEGER NOT NULL,
    gender TEXT NOT NULL CHECK (gender IN ('woman', 'man', 'other', 'unknown')),
    citizenship TEXT NOT NULL,
    residence_permit_country TEXT,
    needs TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX guests_birth_year ON guests (birth_year);
CREATE INDEX guests_name_key ON guests (name_key);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE user_shelters (
    user_id TEXT NOT NULL REFERENCES users(id),
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    PRIMARY KEY (user_id, shelter_id)
);
