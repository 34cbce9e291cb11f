-- What changed the occupancy of a place on a night, for the occupancy
-- index each instance keeps in memory (issue 18, `service::occupancy`).
-- A booking that holds or held a place logs its (night, place); a change
-- to shelters, places, outages or cold nights logs a row without either,
-- which makes every instance read it all again. Each row carries its
-- transaction's id: an instance reads the rows its last snapshot did not
-- see (`xid` from that snapshot's xmin on, not visible in it), so a
-- transaction that commits out of order is never missed. Kept by
-- statement triggers; each instance deletes the rows it read ten minutes
-- ago, and one that has not caught up for two minutes reads it all again.
CREATE TABLE occupancy_changes (
    seq BIGSERIAL PRIMARY KEY,
    xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
    night DATE,
    place_id TEXT
);

CREATE INDEX occupancy_changes_xid ON occupancy_changes (xid);

CREATE FUNCTION bookings_occupancy_new() RETURNS trigger AS $$
BEGIN
    INSERT INTO occupancy_changes (night, place_id)
    SELECT DISTINCT night, place_id FROM new_rows WHERE held;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION bookings_occupancy_old() RETURNS trigger AS $$
BEGIN
    INSERT INTO occupancy_changes (night, place_id)
    SELECT DISTINCT night, place_id FROM old_rows WHERE held;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION bookings_occupancy_both() RETURNS trigger AS $$
BEGIN
    INSERT INTO occupancy_changes (night, place_id)
    SELECT night, place_id FROM new_rows WHERE held
    UNION
    SELECT night, place_id FROM old_rows WHERE held;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER bookings_occupancy_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_occupancy_new();
CREATE TRIGGER bookings_occupancy_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_occupancy_old();
CREATE TRIGGER bookings_occupancy_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_occupancy_both();

CREATE FUNCTION occupancy_structure() RETURNS trigger AS $$
BEGIN
    INSERT INTO occupancy_changes (night, place_id) VALUES (NULL, NULL);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER shelters_occupancy AFTER INSERT OR UPDATE OR DELETE ON shelters
    FOR EACH STATEMENT EXECUTE FUNCTION occupancy_structure();

CREATE TRIGGER places_occupancy AFTER INSERT OR UPDATE OR DELETE ON places
    FOR EACH STATEMENT EXECUTE FUNCTION occupancy_structure();

CREATE TRIGGER place_outages_occupancy AFTER INSERT OR UPDATE OR DELETE ON place_outages
    FOR EACH STATEMENT EXECUTE FUNCTION occupancy_structure();

CREATE TRIGGER cold_nights_occupancy AFTER INSERT OR UPDATE OR DELETE ON cold_nights
    FOR EACH STATEMENT EXECUTE FUNCTION occupancy_structure();

CREATE TRIGGER cold_night_openings_occupancy AFTER INSERT OR UPDATE OR DELETE ON cold_night_openings
    FOR EACH STATEMENT EXECUTE FUNCTION occupancy_structure();
