DROP TABLE idempotency_keys;
DROP TABLE referrals;
DROP TABLE turnaways;
DROP TABLE bans;
DROP TABLE bookings;
DROP TABLE stays;
