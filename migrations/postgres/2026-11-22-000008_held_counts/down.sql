DROP INDEX bookings_unconfirmed;
DROP TRIGGER bookings_count ON bookings;
DROP FUNCTION bookings_count();
DROP TRIGGER places_count ON places;
DROP FUNCTION places_count();
DROP TABLE held_counts;
DROP TABLE place_counts;
