-- V Studio events, partitioned by month (1 of 3): v_studio_events grows like
-- the analytics stream, so it becomes a table partitioned by range on
-- occurred_at (monthly, maintained and retained like engagement_events).
--
-- PostgreSQL cannot turn a live table into a partitioned one in place, and
-- the alternatives each stall writes: attaching the old table as one big
-- partition means dropping its identity and re-checking its rows under
-- strong locks, and a single INSERT ... SELECT holds the whole copy in one
-- transaction. So the conversion is copy-and-swap in three migrations:
--   1. (this one) create the partitioned table beside the old one, with every
--      month from the platform's first (2026-11) to the window ahead, and a
--      trigger that copies every new row of the old table into it, with its id;
--   2. (20261201101100, no-transaction) copy the existing rows in batches of
--      5,000, one short transaction each, creating older months as needed;
--   3. (20261201101200) in one short transaction, rename the old table to
--      v_studio_events_legacy and the new one to v_studio_events, and move the
--      identity past the old ids.
-- Readers and writers keep using v_studio_events throughout; only step 3's
-- renames take ACCESS EXCLUSIVE, for a catalogue change. The legacy table is
-- kept (frozen) until a later release has checked the copy and drops it.
-- Rows arriving between 1 and 3 with an occurred_at outside the partition
-- window are refused, as they are after the conversion. Re-runnable: nothing
-- happens once the conversion is done.

SET LOCAL lock_timeout = '1s';

DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('public.v_studio_events')) = 'p' THEN
        RETURN;  -- converted already
    END IF;

    CREATE TABLE IF NOT EXISTS v_studio_events_partitioned (
        id          BIGINT GENERATED ALWAYS AS IDENTITY,
        session_id  UUID NOT NULL,
        user_id     UUID,
        event_type  TEXT NOT NULL,
        payload     JSONB NOT NULL DEFAULT '{}',
        occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        -- A partitioned table's key must contain the partition column.
        CONSTRAINT v_studio_events_partitioned_pkey PRIMARY KEY (id, occurred_at),
        CONSTRAINT v_studio_events_session_id_fkey
            FOREIGN KEY (session_id) REFERENCES v_studio_sessions (id) ON DELETE RESTRICT,
        CONSTRAINT v_studio_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT,
        CONSTRAINT v_studio_events_type_format CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),
        CONSTRAINT v_studio_events_payload_is_object CHECK (jsonb_typeof(payload) = 'object')
    ) PARTITION BY RANGE (occurred_at);

    -- The same reads as before: a session's events in time order (and the
    -- session foreign key), the user foreign key, and BRIN on occurred_at:
    -- rows arrive in time order, so a few hundred bytes per partition serve
    -- time-range scans.
    CREATE INDEX IF NOT EXISTS v_studio_events_partitioned_session_time_idx
        ON v_studio_events_partitioned (session_id, occurred_at);
    CREATE INDEX IF NOT EXISTS v_studio_events_partitioned_user_id_idx ON v_studio_events_partitioned (user_id);
    CREATE INDEX IF NOT EXISTS v_studio_events_partitioned_occurred_at_brin
        ON v_studio_events_partitioned USING brin (occurred_at);

    CREATE OR REPLACE TRIGGER v_studio_events_append_only
        BEFORE UPDATE OR DELETE ON v_studio_events_partitioned
        FOR EACH ROW EXECUTE FUNCTION audifi_forbid_modification();
    CREATE OR REPLACE TRIGGER v_studio_events_no_truncate
        BEFORE TRUNCATE ON v_studio_events_partitioned
        FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_modification();

    -- Partitions are named after the final table: v_studio_events_yYYYYmMM.
    PERFORM audifi_ensure_month_partition('v_studio_events_partitioned', month::date, 'v_studio_events')
       FROM generate_series(DATE '2026-11-01', date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months',
                            interval '1 month') AS month;
END;
$$;

-- Every row written to the old table from now on is copied, with its id, in
-- the same transaction (SECURITY DEFINER: writers need no privilege on the
-- new table). Until the swap, which replaces this body with a refusal.
DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('public.v_studio_events')) = 'p' THEN
        RETURN;  -- converted already
    END IF;
    CREATE OR REPLACE FUNCTION v_studio_events_copy_to_partitioned() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    BEGIN
        INSERT INTO v_studio_events_partitioned (id, session_id, user_id, event_type, payload, occurred_at)
        OVERRIDING SYSTEM VALUE
        SELECT id, session_id, user_id, event_type, payload, occurred_at FROM new_rows;
        RETURN NULL;
    END;
    $fn$;
    CREATE OR REPLACE TRIGGER v_studio_events_copy_to_partitioned
        AFTER INSERT ON v_studio_events
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION v_studio_events_copy_to_partitioned();
END;
$$;
