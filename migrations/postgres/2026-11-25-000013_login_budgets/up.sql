-- Login budgets in the database, shared by every instance (issue 14):
-- in each instance's memory an attacker got N x the budget from N
-- instances. Keys are HMAC-SHA256 digests of the username (trimmed, lower
-- case) or of the client address (an IPv6 /64), never the text itself: a
-- mistyped username is often a password, and an address is personal.
-- Times are milliseconds since 1970 (the real time).
--
-- Each budget is a GCRA bucket: `tat` is the instant at which it would
-- be full again; one failed attempt pushes it on by window / budget, and a
-- take is granted while it stays within the window (see
-- src/auth/login_guard.rs). A row whose `tat` has passed is a full
-- budget and may be deleted.
CREATE TABLE login_username_budgets (
    key TEXT PRIMARY KEY NOT NULL,
    tat BIGINT NOT NULL
);

-- `guessing_until`: until when the address counts as one that has been
-- guessing (a window after its last failed attempt); `was_guessing`:
-- whether it already did before its latest attempt (written by the take
-- itself, so one statement both marks the address and tells the attempt
-- how it stood).
CREATE TABLE login_address_budgets (
    key TEXT PRIMARY KEY NOT NULL,
    tat BIGINT NOT NULL,
    guessing_until BIGINT NOT NULL,
    was_guessing BOOLEAN NOT NULL
);
