-- Access: the application connects as a role that can do what the backend
-- needs and no more, and analytics reads through a read-only role.
--   audifi_app       NOLOGIN; deployment grants it to the backend's login user
--                    (GRANT audifi_app TO <login user>). Reads and writes the
--                    application tables; only SELECT and INSERT on ledgers and
--                    event streams (no UPDATE, DELETE or TRUNCATE); only SELECT
--                    on what triggers or maintenance derive; owns nothing.
--   audifi_readonly  NOLOGIN; SELECT on every AudiFi table.
-- Roles are cluster-wide: they are created only if missing (and a deploy of
-- another database creating them at the same moment is not an error), their
-- attributes are left alone if they exist, and nothing here drops them. The
-- deploying user needs CREATEROLE the first time, on a cluster without them.
-- Tables created later by the deploying user get the same default privileges:
-- a migration adding a ledger revokes UPDATE and DELETE on it. Re-runnable.

DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['audifi_app', 'audifi_readonly'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created meanwhile by a deploy to another database of this cluster
            END;
        END IF;
    END LOOP;
END;
$$;

GRANT USAGE ON SCHEMA public TO audifi_app, audifi_readonly;

-- Application tables: the backend reads and writes them (triggers guard what
-- must not change: derived columns, states, frozen columns).
GRANT SELECT, INSERT, UPDATE, DELETE
    ON users, password_credentials, two_factor_settings, recovery_codes, subscriptions,
       masters, ipos, v_studio_sessions, session_participants, session_decisions,
       coins, liquidity_pools, master_daily_metrics
    TO audifi_app;
-- Ledgers and event streams: append-only, whoever asks.
GRANT SELECT, INSERT
    ON ownership, coin_transactions, session_decision_votes, v_studio_events, engagement_events
    TO audifi_app;
REVOKE UPDATE, DELETE, TRUNCATE
    ON ownership, coin_transactions, session_decision_votes, v_studio_events, engagement_events
    FROM audifi_app;
-- Derived by triggers (SECURITY DEFINER) or written by the owner's jobs.
GRANT SELECT
    ON coin_balances, liquidity_positions, analytics_engagement_monthly, analytics_rollup_runs,
       audifi_partition_policies
    TO audifi_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE
    ON coin_balances, liquidity_positions, analytics_engagement_monthly, analytics_rollup_runs,
       audifi_partition_policies
    FROM audifi_app;
REVOKE TRUNCATE
    ON users, password_credentials, two_factor_settings, recovery_codes, subscriptions,
       masters, ipos, v_studio_sessions, session_participants, session_decisions,
       coins, liquidity_pools, master_daily_metrics
    FROM audifi_app;

GRANT SELECT
    ON users, password_credentials, two_factor_settings, recovery_codes, subscriptions,
       masters, ipos, ownership, v_studio_sessions, session_participants, session_decisions,
       session_decision_votes, v_studio_events, coins, liquidity_pools, coin_balances,
       coin_transactions, liquidity_positions, master_daily_metrics, engagement_events,
       analytics_engagement_monthly, analytics_rollup_runs, audifi_partition_policies
    TO audifi_readonly;

-- Tables the deploying user creates from now on (partitions excepted:
-- audifi_ensure_month_partition revokes these on each new month).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO audifi_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO audifi_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO audifi_app;

-- SECURITY DEFINER trigger functions write as the owner: nobody may attach
-- them to another table (CREATE TRIGGER needs EXECUTE; firing does not).
REVOKE EXECUTE ON FUNCTION coin_ledger_apply(), v_studio_events_copy_to_partitioned() FROM PUBLIC;
