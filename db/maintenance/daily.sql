-- AudiFi's daily database maintenance, for psql, run by the schema's owner
-- (the role that deploys migrations), e.g. from a scheduled job:
--
--   psql "$PRODUCTION_DATABASE_URL" -X -v ON_ERROR_STOP=1 -f db/maintenance/daily.sql
--
-- Safe to run any number of times a day; a run that fails (a lock not granted
-- within 200 ms, SQLSTATE 55P03) changed nothing and is simply run again.
-- -v today=YYYY-MM-DD runs it as of another day (tests, catching up).
\set ON_ERROR_STOP on
\if :{?today}
\else
SELECT (now() AT TIME ZONE 'UTC')::date AS today \gset
\endif

-- 1. The partition window: the current month and each policy's months ahead.
SELECT count(*) AS months_in_window FROM audifi_ensure_partitions(NULL, :'today');

-- 2. The monthly roll-up of last month, on the first three days of a month
--    (late events are folded in; the retention of raw months waits for it).
SELECT analytics_rollup_month((date_trunc('month', :'today'::date) - interval '1 month')::date) AS events_rolled_up
 WHERE extract(day FROM :'today'::date) <= 3;

-- 3. Retention: each month past its policy is detached CONCURRENTLY (this
--    cannot run inside a function or transaction, hence \gexec: psql runs
--    each generated statement at top level), then dropped.
SELECT detach_statement FROM audifi_expired_partitions(NULL, :'today') \gexec
SELECT audifi_drop_detached_partitions(NULL, :'today') AS dropped;
