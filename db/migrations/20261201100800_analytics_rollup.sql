-- Analytics, round two: a monthly roll-up of engagement events for the
-- dashboards. At 100 M plays a month engagement_events grows about 27 GB a
-- month; the roll-up holds one row per master, month and event type (a few
-- MB a year), so raw months can be dropped once rolled up (see the retention
-- policy in 20261201100900: raw events are kept for 3 full months after the
-- current one, roll-ups forever). Re-runnable.

CREATE TABLE IF NOT EXISTS analytics_engagement_monthly (
    -- NULL for events about no master (e.g. follows).
    master_id      UUID REFERENCES masters (id) ON DELETE RESTRICT,
    month          DATE NOT NULL,
    event_type     TEXT NOT NULL,
    events         BIGINT NOT NULL,
    unique_users   BIGINT NOT NULL,
    anonymous      BIGINT NOT NULL,
    rolled_up_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT analytics_engagement_monthly_month_is_first_day CHECK (month = date_trunc('month', month)::date),
    CONSTRAINT analytics_engagement_monthly_counts_consistent
        CHECK (events > 0 AND anonymous BETWEEN 0 AND events AND unique_users BETWEEN 0 AND events - anonymous),
    -- One row per master (or none), month and type. Leads with master_id:
    -- also that foreign key's index; NULLS NOT DISTINCT makes the NULL master
    -- one key too.
    CONSTRAINT analytics_engagement_monthly_key UNIQUE NULLS NOT DISTINCT (master_id, month, event_type)
);
CREATE INDEX IF NOT EXISTS analytics_engagement_monthly_month_idx ON analytics_engagement_monthly (month);

-- Which months are rolled up, and when: the retention of raw months checks it.
CREATE TABLE IF NOT EXISTS analytics_rollup_runs (
    month         DATE PRIMARY KEY,
    rolled_up_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    source_events BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT analytics_rollup_runs_month_is_first_day CHECK (month = date_trunc('month', month)::date)
);

-- Roll up one month (UTC) from the raw events: replaces that month's rows,
-- so it can run again for late events; returns the number of raw events
-- read. Two runs for one month queue on its analytics_rollup_runs row.
CREATE OR REPLACE FUNCTION analytics_rollup_month(p_month DATE) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    month_start DATE := date_trunc('month', p_month)::date;
    range_start TIMESTAMPTZ := month_start::timestamp AT TIME ZONE 'UTC';
    range_end   TIMESTAMPTZ := (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    total       BIGINT;
BEGIN
    INSERT INTO analytics_rollup_runs (month) VALUES (month_start) ON CONFLICT (month) DO NOTHING;
    PERFORM 1 FROM analytics_rollup_runs WHERE month = month_start FOR UPDATE;
    DELETE FROM analytics_engagement_monthly WHERE month = month_start;
    INSERT INTO analytics_engagement_monthly (master_id, month, event_type, events, unique_users, anonymous)
    SELECT master_id, month_start, event_type, count(*), count(DISTINCT user_id), count(*) FILTER (WHERE user_id IS NULL)
      FROM engagement_events
     WHERE occurred_at >= range_start AND occurred_at < range_end
     GROUP BY master_id, event_type;
    SELECT coalesce(sum(events), 0) INTO total FROM analytics_engagement_monthly WHERE month = month_start;
    UPDATE analytics_rollup_runs SET rolled_up_at = now(), source_events = total WHERE month = month_start;
    RETURN total;
END;
$$;

COMMENT ON TABLE analytics_engagement_monthly IS
    'Monthly roll-up of engagement_events that dashboards read: events, distinct users and anonymous events per master, month (UTC) and event type. Written by analytics_rollup_month(); kept forever.';
COMMENT ON COLUMN analytics_engagement_monthly.master_id IS 'The master the events were about; NULL for events about no master.';
COMMENT ON COLUMN analytics_engagement_monthly.month IS 'First day of the month (UTC) the events occurred in.';
COMMENT ON COLUMN analytics_engagement_monthly.event_type IS 'The engagement_events event_type counted (play, like, ...).';
COMMENT ON COLUMN analytics_engagement_monthly.events IS 'Number of raw events (plays when event_type = ''play'').';
COMMENT ON COLUMN analytics_engagement_monthly.unique_users IS 'Distinct signed-in users among them (exact per month; not additive across months).';
COMMENT ON COLUMN analytics_engagement_monthly.anonymous IS 'Events without a user (anonymous listeners).';
COMMENT ON COLUMN analytics_engagement_monthly.rolled_up_at IS 'When analytics_rollup_month() last computed the row.';
COMMENT ON TABLE analytics_rollup_runs IS
    'One row per month rolled up by analytics_rollup_month(): raw engagement months are dropped by retention only once rolled up after they ended.';
COMMENT ON COLUMN analytics_rollup_runs.month IS 'First day of the month (UTC) rolled up.';
COMMENT ON COLUMN analytics_rollup_runs.rolled_up_at IS 'When the month was last rolled up; retention requires a time after the month ended.';
COMMENT ON COLUMN analytics_rollup_runs.source_events IS 'Raw events read by that roll-up.';
COMMENT ON FUNCTION analytics_rollup_month(DATE) IS
    'Recompute analytics_engagement_monthly for one month (UTC) from engagement_events; idempotent; returns the events read.';
