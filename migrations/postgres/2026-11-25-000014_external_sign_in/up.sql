-- Who may sign in with a token of the city's identity provider: only a
-- user an admin has marked so (issue 14). Before, a provider token whose
-- `sub` was any local username, the bootstrap admin's too, got that
-- user's rights.
ALTER TABLE users ADD COLUMN external_sign_in BOOLEAN NOT NULL DEFAULT FALSE;
