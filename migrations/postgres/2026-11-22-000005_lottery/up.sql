-- Intake by lottery (RULES.md §9): a session, its applicants in the order
-- they registered, and the recorded seed and outcome of the draw.

CREATE TABLE intake_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    first_night DATE NOT NULL,
    shelter_ids TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'drawn')),
    seed TEXT,
    women_places INTEGER,
    regular_places INTEGER,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    drawn_at TIMESTAMP,
    drawn_by TEXT
);

CREATE TABLE intake_applicants (
    session_id TEXT NOT NULL REFERENCES intake_sessions(id),
    position INTEGER NOT NULL,
    guest_id TEXT NOT NULL REFERENCES guests(id),
    gender TEXT NOT NULL,
    eligible BOOLEAN,
    code TEXT,
    outcome TEXT,
    stay_id TEXT REFERENCES stays(id),
    registered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, guest_id),
    UNIQUE (session_id, position)
);
