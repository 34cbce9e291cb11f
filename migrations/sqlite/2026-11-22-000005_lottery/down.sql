DROP TABLE intake_applicants;
DROP TABLE intake_sessions;
