-- Sessions of the pages (issue 16), kept in the database so that every
-- instance on it knows them and a sign-out on one holds on all. The row
-- holds the SHA-256 of the session token, never the token: whoever reads
-- the table (a backup, a replica) cannot sign in with what they find.
-- `csrf_token` is the session's token for its forms (not a credential on
-- its own). Instants are UTC and follow the real time, also when the
-- service's clock is manual; a session ends at `expires_at` (a shift after
-- it began), at sign-out (the row is deleted), and as soon as its user is
-- deactivated (every request reads the user).
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    CHECK (created_at <= expires_at)
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
