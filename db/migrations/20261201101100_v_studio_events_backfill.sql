-- audifi-db: no-transaction
-- V Studio events, partitioned by month (2 of 3): copy the rows that existed
-- before 20261201101000 installed its copy trigger into the partitioned table,
-- 5,000 rows per transaction in id order (each COMMIT below ends one batch),
-- creating the partition of any older month first. Rows the trigger already
-- copied are skipped (ON CONFLICT on the primary key). Runs again from the
-- start if interrupted; does nothing once the swap is done.
DO $$
DECLARE
    last_id   BIGINT := 0;
    max_id    BIGINT;
    batch_end BIGINT;
    month     DATE;
BEGIN
    IF to_regclass('public.v_studio_events_partitioned') IS NULL THEN
        RETURN;  -- swapped already
    END IF;
    -- Every row with a larger id was written after the copy trigger existed.
    SELECT max(id) INTO max_id FROM v_studio_events;
    WHILE last_id < coalesce(max_id, 0) LOOP
        SELECT max(id) INTO batch_end
          FROM (SELECT id FROM v_studio_events WHERE id > last_id ORDER BY id LIMIT 5000) batch;
        FOR month IN SELECT DISTINCT (date_trunc('month', occurred_at AT TIME ZONE 'UTC'))::date
                       FROM v_studio_events WHERE id > last_id AND id <= batch_end LOOP
            PERFORM audifi_ensure_month_partition('v_studio_events_partitioned', month, 'v_studio_events');
        END LOOP;
        INSERT INTO v_studio_events_partitioned (id, session_id, user_id, event_type, payload, occurred_at)
        OVERRIDING SYSTEM VALUE
        SELECT id, session_id, user_id, event_type, payload, occurred_at
          FROM v_studio_events WHERE id > last_id AND id <= batch_end
        ON CONFLICT DO NOTHING;
        last_id := batch_end;
        COMMIT;
    END LOOP;
END;
$$;
