-- V Studio events, partitioned by month (3 of 3): the swap. In one short
-- transaction (the renames take ACCESS EXCLUSIVE on both tables for a
-- catalogue change; lock_timeout keeps us from queueing behind a long reader):
-- the old table becomes v_studio_events_legacy (frozen: its copy trigger now
-- refuses writes; a later release drops it once the copy is checked), the
-- partitioned one takes the name v_studio_events and its indexes the old
-- names, and its identity continues after the old ids. The table joins the
-- partition policies: 3 months ahead, 12 months kept. Re-runnable.

SET LOCAL lock_timeout = '1s';

-- audifi-db: allow renaming-table a swap: both renames commit together, so v_studio_events never goes missing, and v_studio_events_partitioned is this release's own staging name
DO $$
DECLARE
    last_id BIGINT;
BEGIN
    IF to_regclass('public.v_studio_events_partitioned') IS NULL THEN
        RETURN;  -- swapped already
    END IF;
    -- Both renames commit together: code using v_studio_events never finds it
    -- missing (the linter's rename-with-a-view recipe is for a name that goes away).
    ALTER TABLE v_studio_events RENAME TO v_studio_events_legacy;
    ALTER TABLE v_studio_events_partitioned RENAME TO v_studio_events;
    ALTER INDEX v_studio_events_pkey RENAME TO v_studio_events_legacy_pkey;
    ALTER INDEX v_studio_events_session_time_idx RENAME TO v_studio_events_legacy_session_time_idx;
    ALTER INDEX v_studio_events_user_id_idx RENAME TO v_studio_events_legacy_user_id_idx;
    ALTER INDEX v_studio_events_occurred_at_brin RENAME TO v_studio_events_legacy_occurred_at_brin;
    ALTER INDEX v_studio_events_partitioned_pkey RENAME TO v_studio_events_pkey;
    ALTER INDEX v_studio_events_partitioned_session_time_idx RENAME TO v_studio_events_session_time_idx;
    ALTER INDEX v_studio_events_partitioned_user_id_idx RENAME TO v_studio_events_user_id_idx;
    ALTER INDEX v_studio_events_partitioned_occurred_at_brin RENAME TO v_studio_events_occurred_at_brin;
    ALTER SEQUENCE v_studio_events_id_seq RENAME TO v_studio_events_legacy_id_seq;
    ALTER SEQUENCE v_studio_events_partitioned_id_seq RENAME TO v_studio_events_id_seq;

    SELECT greatest((SELECT max(id) FROM v_studio_events_legacy), (SELECT max(id) FROM v_studio_events))
      INTO last_id;
    PERFORM setval('v_studio_events_id_seq', coalesce(last_id, 1), last_id IS NOT NULL);

    INSERT INTO audifi_partition_policies (parent, months_ahead, keep_months) VALUES ('v_studio_events', 3, 12)
    ON CONFLICT (parent) DO NOTHING;
END;
$$;

-- The legacy table is frozen: its copy trigger refuses what would be a lost write.
CREATE OR REPLACE FUNCTION v_studio_events_copy_to_partitioned() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'v_studio_events_legacy is frozen since the partitioned v_studio_events replaced it'
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'v_studio_events_legacy_frozen',
              HINT = 'Write to v_studio_events.';
END;
$$;

COMMENT ON TABLE v_studio_events_legacy IS
    'The unpartitioned v_studio_events before 20261201101200, frozen (writes refused by v_studio_events_copy_to_partitioned); every row is also in v_studio_events. Dropped by a later release once counts are checked.';
