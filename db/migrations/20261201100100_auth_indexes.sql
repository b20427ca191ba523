-- audifi-db: no-transaction
-- Users and auth, round two (online part): the unique index on the folded
-- email is built CONCURRENTLY (writes to users go on), then the old
-- lower(email) index, which the new one makes redundant and which folded
-- accented letters only under some locales, is dropped CONCURRENTLY.
-- Then the password hash format added NOT VALID in 20261201100000 is
-- validated: SHARE UPDATE EXCLUSIVE, so logins and sign-ups are not blocked.
--
-- Before deploying to a database with data, look for accounts the new rule
-- makes duplicates (the build fails on them and is retried by the next deploy):
--   SELECT audifi_fold_email(email), array_agg(id) FROM users
--   GROUP BY 1 HAVING count(*) > 1;
-- and for hashes the format check refuses:
--   SELECT user_id, algorithm FROM password_credentials
--   WHERE NOT (...the CASE of password_credentials_hash_format...);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_folded_key ON users (audifi_fold_email(email));

DROP INDEX CONCURRENTLY IF EXISTS users_email_lower_key;

ALTER TABLE password_credentials VALIDATE CONSTRAINT password_credentials_hash_format;
