-- Incidents of threats and violence, the guests involved, and which
-- incidents a ban rests on. Referrals exist since the stays migration.

CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    shelter_id TEXT NOT NULL REFERENCES shelters(id),
    night DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('threat', 'violence')),
    description TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX incidents_night ON incidents (night);

CREATE TABLE incident_guests (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    guest_id TEXT NOT NULL REFERENCES guests(id),
    PRIMARY KEY (incident_id, guest_id)
);
CREATE INDEX incident_guests_guest ON incident_guests (guest_id);

CREATE TABLE ban_grounds (
    ban_id TEXT NOT NULL REFERENCES bans(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (ban_id, incident_id)
);

CREATE INDEX referrals_guest ON referrals (guest_id);
