DROP INDEX bookings_no_show_end;
ALTER TABLE bookings DROP COLUMN no_show_end;
