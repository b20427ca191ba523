-- Analytics: daily performance metrics per master, and the high-volume
-- engagement event stream, partitioned by month on occurred_at.
--
-- Partitions: engagement_events_yYYYYmMM holds one calendar month (UTC).
-- This migration creates 2026-11 through 2027-10 and a DEFAULT partition that
-- catches any row of a month without its own partition, so inserts never fail
-- for lack of a partition. Add future months ahead of time (monthly job):
--     SELECT analytics_ensure_partitions(3);            -- this month + 3 ahead
--     SELECT analytics_ensure_month_partition('2028-01-01');  -- one month
-- Both are idempotent. If the default partition already holds rows of the
-- month being added, they are moved into the new partition.

CREATE TABLE IF NOT EXISTS master_daily_metrics (
    master_id        UUID NOT NULL REFERENCES masters (id) ON DELETE RESTRICT,
    metric_date      DATE NOT NULL,
    plays            BIGINT NOT NULL DEFAULT 0,
    unique_listeners BIGINT NOT NULL DEFAULT 0,
    -- Revenue earned by the master that day, in USD.
    revenue          NUMERIC(18, 8) NOT NULL DEFAULT 0,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One row per master and day; the key leads with master_id, so it is
    -- also that foreign key's index.
    PRIMARY KEY (master_id, metric_date),
    CONSTRAINT master_daily_metrics_plays_non_negative CHECK (plays >= 0),
    -- Every unique listener played at least once.
    CONSTRAINT master_daily_metrics_listeners_within_plays CHECK (unique_listeners BETWEEN 0 AND plays),
    CONSTRAINT master_daily_metrics_revenue_non_negative CHECK (revenue >= 0)
);

CREATE OR REPLACE TRIGGER master_daily_metrics_set_updated_at
    BEFORE UPDATE ON master_daily_metrics
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();

CREATE TABLE IF NOT EXISTS engagement_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL for anonymous listeners.
    user_id     UUID REFERENCES users (id) ON DELETE RESTRICT,
    master_id   UUID REFERENCES masters (id) ON DELETE RESTRICT,
    event_type  TEXT NOT NULL,
    payload     JSONB NOT NULL DEFAULT '{}',
    -- A partitioned table's key must contain the partition column.
    PRIMARY KEY (id, occurred_at),
    CONSTRAINT engagement_events_type_known
        CHECK (event_type IN ('play', 'skip', 'like', 'share', 'follow', 'comment', 'playlist_add', 'ipo_view')),
    CONSTRAINT engagement_events_payload_is_object CHECK (jsonb_typeof(payload) = 'object')
) PARTITION BY RANGE (occurred_at);

-- Indexes on the parent are created on every partition, present and future.
CREATE INDEX IF NOT EXISTS engagement_events_user_id_idx ON engagement_events (user_id, occurred_at);
CREATE INDEX IF NOT EXISTS engagement_events_master_id_idx ON engagement_events (master_id, occurred_at);

CREATE TABLE IF NOT EXISTS engagement_events_default PARTITION OF engagement_events DEFAULT;

-- Create the partition of the month containing p_month unless it exists;
-- returns its name. Rows of that month already in the default partition are
-- moved into it (a default partition may not keep rows of an attached range).
CREATE OR REPLACE FUNCTION analytics_ensure_month_partition(p_month DATE) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
    month_start DATE := date_trunc('month', p_month)::date;
    month_end   DATE := (date_trunc('month', p_month) + interval '1 month')::date;
    part_name   TEXT := format('engagement_events_y%sm%s', to_char(p_month, 'YYYY'), to_char(p_month, 'MM'));
    range_start TIMESTAMPTZ := month_start::timestamp AT TIME ZONE 'UTC';
    range_end   TIMESTAMPTZ := month_end::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(format('public.%I', part_name)) IS NOT NULL THEN
        RETURN part_name;
    END IF;
    IF EXISTS (SELECT 1 FROM engagement_events_default
               WHERE occurred_at >= range_start AND occurred_at < range_end) THEN
        EXECUTE format('CREATE TABLE public.%I (LIKE engagement_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       part_name);
        EXECUTE format('WITH moved AS (DELETE FROM engagement_events_default
                                        WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
                        INSERT INTO public.%I SELECT * FROM moved', part_name)
            USING range_start, range_end;
        EXECUTE format('ALTER TABLE engagement_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                       part_name, range_start, range_end);
    ELSE
        EXECUTE format('CREATE TABLE public.%I PARTITION OF engagement_events FOR VALUES FROM (%L) TO (%L)',
                       part_name, range_start, range_end);
    END IF;
    RETURN part_name;
END;
$$;

-- The current month (UTC) and the next p_months_ahead months; for a monthly job.
CREATE OR REPLACE FUNCTION analytics_ensure_partitions(p_months_ahead INTEGER DEFAULT 3) RETURNS SETOF TEXT
LANGUAGE sql AS $$
    SELECT analytics_ensure_month_partition((date_trunc('month', now() AT TIME ZONE 'UTC') + n * interval '1 month')::date)
    FROM generate_series(0, p_months_ahead) AS n;
$$;

-- A fixed first window, so every environment gets the same partitions.
DO $$
BEGIN
    PERFORM analytics_ensure_month_partition(month::date)
    FROM generate_series(DATE '2026-11-01', DATE '2027-10-01', interval '1 month') AS month;
END;
$$;
