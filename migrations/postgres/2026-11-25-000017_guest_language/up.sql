-- The language a guest reads, for the slip printed in it (issue 16): one of
-- ro, bg, pl, hu, en, sv (`domain::Language`, checked where it is set);
-- Swedish for the guests registered before.
ALTER TABLE guests ADD COLUMN language TEXT NOT NULL DEFAULT 'sv';
