DROP INDEX referrals_guest;
DROP TABLE ban_grounds;
DROP TABLE incident_guests;
DROP TABLE incidents;
