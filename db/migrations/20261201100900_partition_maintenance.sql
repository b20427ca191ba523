-- Partition maintenance without stalls, for every monthly-partitioned table.
--
-- Adding a month with CREATE TABLE ... PARTITION OF takes ACCESS EXCLUSIVE on
-- the parent: queued behind one long report it stops every insert and read
-- of the table. audifi_ensure_month_partition instead creates the month as a
-- standalone table, adds a CHECK matching its range (so ATTACH need not scan
-- it) and attaches it, which takes only SHARE UPDATE EXCLUSIVE on the parent
-- (reads and writes go on). Attaching also clones the parent's foreign keys,
-- which briefly takes SHARE ROW EXCLUSIVE on the referenced tables (users,
-- masters, sessions): every maintenance function runs with lock_timeout
-- 200 ms and fails with 55P03 rather than queue; the daily job simply runs
-- again (months are created 3 ahead, so a failed day costs nothing).
--
-- The window never ends: audifi_ensure_partitions() creates, on every call,
-- the current month and the policy's months ahead (production runs it daily;
-- see db/README.md). Rows of a month without a partition are refused (23514,
-- "no partition of relation ... found for row") instead of piling up in a
-- default partition: a default partition makes every ATTACH lock and scan it
-- and PostgreSQL forbids DETACH ... CONCURRENTLY while one exists.
--
-- Retention: audifi_expired_partitions() lists the months older than the
-- policy keeps (and, for engagement_events, rolled up after they ended) with
-- the DETACH ... CONCURRENTLY statement to run at top level (it cannot run in
-- a function or transaction); audifi_drop_detached_partitions() then drops
-- them. audifi_retire_partitions() does both from a function, with a plain
-- DETACH (ACCESS EXCLUSIVE on the parent, bounded by the 200 ms lock_timeout)
-- for callers that cannot issue top-level statements.
-- Re-runnable.

SET LOCAL lock_timeout = '1s';

-- The round-one default partition must be empty to go: rows in it need their
-- month's partition first, which the round-one function (still installed if
-- this migration fails) creates while moving them out. It is detached, not
-- dropped: a plain DETACH (CONCURRENTLY is impossible while a default
-- partition exists; this one is a catalogue change under lock_timeout), and
-- the empty table stays until a later release drops it, as the schema change
-- guidelines want for any table.
-- audifi-db: allow detaching-partition-non-concurrently a default partition cannot be detached CONCURRENTLY; it is empty (checked just before), so the lock is brief
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('public.engagement_events_default')) THEN
        RETURN;  -- detached already (or never created)
    END IF;
    IF EXISTS (SELECT 1 FROM engagement_events_default) THEN
        RAISE EXCEPTION 'engagement_events_default holds rows: give their months a partition, then deploy again'
            USING HINT = 'SELECT analytics_ensure_month_partition(m) FROM (SELECT DISTINCT (occurred_at AT TIME ZONE ''UTC'')::date AS m FROM engagement_events_default) d;';
    END IF;
    ALTER TABLE engagement_events DETACH PARTITION engagement_events_default;
END;
$$;
COMMENT ON TABLE engagement_events_default IS
    'Round one''s default partition of engagement_events, detached (empty) by 20261201100900; no code uses it; a later release drops it.';

-- Which tables are partitioned by month, how far ahead, how long kept.
CREATE TABLE IF NOT EXISTS audifi_partition_policies (
    parent          TEXT PRIMARY KEY,
    months_ahead    INTEGER NOT NULL DEFAULT 3,
    keep_months     INTEGER,
    requires_rollup BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT audifi_partition_policies_months_ahead_range CHECK (months_ahead BETWEEN 1 AND 24),
    CONSTRAINT audifi_partition_policies_keep_months_positive CHECK (keep_months >= 1)
);
INSERT INTO audifi_partition_policies (parent, months_ahead, keep_months, requires_rollup)
VALUES ('engagement_events', 3, 3, true)
ON CONFLICT (parent) DO NOTHING;

-- The month containing p_month, as <prefix>_yYYYYmMM (prefix: the parent's
-- name unless given), created and attached unless it exists. Partitions are
-- reached through their parent: the partition gets no privileges of its own,
-- and a copy of the parent's TRUNCATE triggers (statement-level triggers are
-- not inherited, and TRUNCATE of a partition would bypass the parent's).
CREATE OR REPLACE FUNCTION audifi_ensure_month_partition(p_parent TEXT, p_month DATE, p_prefix TEXT DEFAULT NULL)
RETURNS TEXT
LANGUAGE plpgsql
SET lock_timeout = '200ms'
AS $$
DECLARE
    month_start DATE := date_trunc('month', p_month)::date;
    part        TEXT := format('%s_y%s', coalesce(p_prefix, p_parent), to_char(month_start, 'YYYY"m"MM'));
    range_start TIMESTAMPTZ := month_start::timestamp AT TIME ZONE 'UTC';
    range_end   TIMESTAMPTZ := (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    parent_oid  OID := to_regclass(format('public.%I', p_parent));
    key_column  TEXT;
    trg         RECORD;
BEGIN
    IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    SELECT a.attname INTO key_column
      FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = parent_oid AND pt.partstrat = 'r';
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not a table partitioned by range', p_parent USING ERRCODE = 'wrong_object_type';
    END IF;
    EXECUTE format('CREATE TABLE public.%I (LIKE public.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, p_parent);
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (%I >= %L AND %I < %L)',
                   part, part || '_range', key_column, range_start, key_column, range_end);
    BEGIN
        EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                       p_parent, part, range_start, range_end);
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'attaching % to % waited longer than lock_timeout (%) for a lock: nothing was changed, run it again',
                part, p_parent, current_setting('lock_timeout')
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Attaching clones the foreign keys, which briefly locks the referenced tables: a long transaction writing to one of them holds it up.';
    END;
    FOR trg IN SELECT t.tgname, t.tgfoid::regproc AS fn FROM pg_trigger t
                WHERE t.tgrelid = parent_oid AND NOT t.tgisinternal AND t.tgtype & 32 <> 0 LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                       trg.tgname, part, trg.fn);
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audifi_app') THEN
        EXECUTE format('REVOKE ALL ON public.%I FROM audifi_app', part);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audifi_readonly') THEN
        EXECUTE format('REVOKE ALL ON public.%I FROM audifi_readonly', part);
    END IF;
    RETURN part;
END;
$$;

-- The current month (UTC, or p_today's) and each policy's months ahead.
CREATE OR REPLACE FUNCTION audifi_ensure_partitions(p_parent TEXT DEFAULT NULL,
                                                    p_today DATE DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS SETOF TEXT
LANGUAGE sql AS $$
    SELECT audifi_ensure_month_partition(p.parent, (date_trunc('month', p_today) + n * interval '1 month')::date)
      FROM audifi_partition_policies p CROSS JOIN LATERAL generate_series(0, p.months_ahead) AS n
     WHERE p_parent IS NULL OR p.parent = p_parent
     ORDER BY p.parent, n;
$$;

-- A partition's month, from its name (<parent>_yYYYYmMM); NULL for any other name.
CREATE OR REPLACE FUNCTION audifi_partition_month(p_name TEXT) RETURNS DATE
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_date(substring(p_name FROM '_y([0-9]{4}m[0-9]{2})$'), 'YYYY"m"MM');
$$;

-- Whether a month of a policy's table is past retention on p_today: older
-- than keep_months full months before the current one and, where the policy
-- requires it, rolled up after the month ended.
CREATE OR REPLACE FUNCTION audifi_month_expired(p_parent TEXT, p_month DATE, p_today DATE) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT p_month < (date_trunc('month', p_today) - pol.keep_months * interval '1 month')::date
           AND (NOT pol.requires_rollup
                OR EXISTS (SELECT 1 FROM analytics_rollup_runs r
                            WHERE r.month = p_month AND r.rolled_up_at >= p_month + interval '1 month'))
      FROM audifi_partition_policies pol
     WHERE pol.parent = p_parent AND pol.keep_months IS NOT NULL;
$$;

-- Attached months past retention, with the statement that detaches each
-- (CONCURRENTLY; FINALIZE for one whose concurrent detach was interrupted).
-- Run those statements at top level, e.g. psql's \gexec.
CREATE OR REPLACE FUNCTION audifi_expired_partitions(p_parent TEXT DEFAULT NULL,
                                                     p_today DATE DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (parent TEXT, partition TEXT, month DATE, detach_statement TEXT)
LANGUAGE sql STABLE AS $$
    SELECT pol.parent, c.relname::text, audifi_partition_month(c.relname),
           format('ALTER TABLE public.%I DETACH PARTITION public.%I %s', pol.parent, c.relname,
                  CASE WHEN i.inhdetachpending THEN 'FINALIZE' ELSE 'CONCURRENTLY' END)
      FROM audifi_partition_policies pol
      JOIN pg_inherits i ON i.inhparent = to_regclass(format('public.%I', pol.parent))
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE (p_parent IS NULL OR pol.parent = p_parent)
       AND audifi_month_expired(pol.parent, audifi_partition_month(c.relname), p_today)
     ORDER BY 1, 3;
$$;

-- Drop the detached months past retention (tables named like a policy's
-- partitions that are no longer attached); returns their names.
CREATE OR REPLACE FUNCTION audifi_drop_detached_partitions(p_parent TEXT DEFAULT NULL,
                                                           p_today DATE DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS SETOF TEXT
LANGUAGE plpgsql
SET lock_timeout = '200ms'
AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT c.relname::text AS name
               FROM audifi_partition_policies pol
               JOIN pg_class c ON c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
                              AND NOT c.relispartition
                              AND c.relname ~ ('^' || pol.parent || '_y[0-9]{4}m[0-9]{2}$')
              WHERE (p_parent IS NULL OR pol.parent = p_parent)
                AND audifi_month_expired(pol.parent, audifi_partition_month(c.relname), p_today)
              ORDER BY 1 LOOP
        EXECUTE format('DROP TABLE public.%I', r.name);
        RETURN NEXT r.name;
    END LOOP;
END;
$$;

-- Retention from inside a function or transaction: a plain DETACH of each
-- expired month (ACCESS EXCLUSIVE on the parent for a catalogue change,
-- waiting at most 200 ms), then the drop. Months whose concurrent detach was
-- interrupted need their FINALIZE at top level and are left alone.
CREATE OR REPLACE FUNCTION audifi_retire_partitions(p_parent TEXT DEFAULT NULL,
                                                    p_today DATE DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS SETOF TEXT
LANGUAGE plpgsql
SET lock_timeout = '200ms'
AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT e.parent, e.partition FROM audifi_expired_partitions(p_parent, p_today) e
              WHERE e.detach_statement LIKE '%CONCURRENTLY' LOOP
        EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', r.parent, r.partition);
    END LOOP;
    RETURN QUERY SELECT audifi_drop_detached_partitions(p_parent, p_today);
END;
$$;

-- Round one's functions keep their names and now add months the same way.
CREATE OR REPLACE FUNCTION analytics_ensure_month_partition(p_month DATE) RETURNS TEXT
LANGUAGE sql AS $$
    SELECT audifi_ensure_month_partition('engagement_events', p_month);
$$;
CREATE OR REPLACE FUNCTION analytics_ensure_partitions(p_months_ahead INTEGER DEFAULT 3) RETURNS SETOF TEXT
LANGUAGE sql AS $$
    SELECT audifi_ensure_month_partition('engagement_events',
                                         (date_trunc('month', now() AT TIME ZONE 'UTC') + n * interval '1 month')::date)
      FROM generate_series(0, p_months_ahead) AS n;
$$;

-- Maintenance is the schema owner's job (it needs to own the tables): nobody
-- else may call these, nor the roll-up.
REVOKE EXECUTE ON FUNCTION audifi_ensure_month_partition(TEXT, DATE, TEXT), audifi_ensure_partitions(TEXT, DATE),
    audifi_drop_detached_partitions(TEXT, DATE), audifi_retire_partitions(TEXT, DATE),
    analytics_ensure_month_partition(DATE), analytics_ensure_partitions(INTEGER), analytics_rollup_month(DATE)
    FROM PUBLIC;

-- The window from this month on, on every environment.
SELECT count(*) FROM audifi_ensure_partitions();

COMMENT ON TABLE audifi_partition_policies IS
    'Monthly-partitioned tables and their windows: months created ahead by audifi_ensure_partitions(), months kept before retention.';
COMMENT ON COLUMN audifi_partition_policies.parent IS 'The partitioned table (in public), partitioned by range on a timestamptz column, one partition per UTC month.';
COMMENT ON COLUMN audifi_partition_policies.months_ahead IS 'Months after the current one that audifi_ensure_partitions() keeps created.';
COMMENT ON COLUMN audifi_partition_policies.keep_months IS 'Full months kept before the current one; older months are detached and dropped. NULL: kept forever.';
COMMENT ON COLUMN audifi_partition_policies.requires_rollup IS 'A month is dropped only once analytics_rollup_runs says it was rolled up after it ended.';
COMMENT ON FUNCTION audifi_ensure_partitions(TEXT, DATE) IS
    'Create the current month and the months ahead of every policy (or one parent) without locking out readers or writers; run daily.';
COMMENT ON FUNCTION audifi_expired_partitions(TEXT, DATE) IS
    'Months past retention and the DETACH ... CONCURRENTLY statement to run for each at top level.';
COMMENT ON FUNCTION audifi_retire_partitions(TEXT, DATE) IS
    'Detach (plainly, 200 ms lock_timeout) and drop the months past retention, from inside a transaction.';
