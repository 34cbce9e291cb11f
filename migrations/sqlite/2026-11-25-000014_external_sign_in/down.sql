ALTER TABLE users DROP COLUMN external_sign_in;
