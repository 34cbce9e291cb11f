-- What changed the occupancy of a place on a night, in commit order, for
-- the occupancy index each instance keeps in memory (issue 18,
-- `service::occupancy`). A booking that holds or held a place logs its
-- (night, place); a change to shelters, places, outages or cold nights
-- logs a row without either, which makes every instance read it all
-- again. Kept by triggers, so no write path can forget it; each instance
-- deletes the rows it read ten minutes ago, and one that has not caught
-- up for two minutes reads it all again.
CREATE TABLE occupancy_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    night DATE,
    place_id TEXT
);

CREATE TRIGGER bookings_occupancy_insert AFTER INSERT ON bookings WHEN NEW.held
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NEW.night, NEW.place_id);
END;

CREATE TRIGGER bookings_occupancy_delete AFTER DELETE ON bookings WHEN OLD.held
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (OLD.night, OLD.place_id);
END;

CREATE TRIGGER bookings_occupancy_update
AFTER UPDATE OF held, checked_in_at, kind, night, place_id, created_at, no_show_end ON bookings
WHEN OLD.held OR NEW.held
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NEW.night, NEW.place_id);
    INSERT INTO occupancy_changes (night, place_id)
    SELECT OLD.night, OLD.place_id
    WHERE OLD.night <> NEW.night OR OLD.place_id <> NEW.place_id;
END;

CREATE TRIGGER shelters_occupancy_insert AFTER INSERT ON shelters
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER shelters_occupancy_update AFTER UPDATE ON shelters
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER shelters_occupancy_delete AFTER DELETE ON shelters
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER places_occupancy_insert AFTER INSERT ON places
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER places_occupancy_update AFTER UPDATE ON places
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER places_occupancy_delete AFTER DELETE ON places
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER place_outages_occupancy_insert AFTER INSERT ON place_outages
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER place_outages_occupancy_update AFTER UPDATE ON place_outages
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER place_outages_occupancy_delete AFTER DELETE ON place_outages
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_nights_occupancy_insert AFTER INSERT ON cold_nights
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_nights_occupancy_update AFTER UPDATE ON cold_nights
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_nights_occupancy_delete AFTER DELETE ON cold_nights
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_night_openings_occupancy_insert AFTER INSERT ON cold_night_openings
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_night_openings_occupancy_update AFTER UPDATE ON cold_night_openings
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;

CREATE TRIGGER cold_night_openings_occupancy_delete AFTER DELETE ON cold_night_openings
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
END;
