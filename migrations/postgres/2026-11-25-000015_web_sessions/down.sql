DROP INDEX web_sessions_expires;
DROP INDEX web_sessions_user;
DROP TABLE web_sessions;
