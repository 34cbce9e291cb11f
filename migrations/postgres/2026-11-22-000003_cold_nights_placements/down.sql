DROP INDEX place_outages_night;
DROP TABLE placements;
DROP TABLE cold_night_openings;
DROP TABLE cold_nights;
