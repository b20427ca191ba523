-- V Studio: collaborative sessions, their decisions, their participants and
-- the real-time collaboration event stream.
-- v_studio_sessions and session_decisions keep the seed sketch's column names;
-- added columns are nullable or have a default.

CREATE TABLE IF NOT EXISTS v_studio_sessions (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    host_id    UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title      VARCHAR(255) NOT NULL,
    status     VARCHAR(20) NOT NULL DEFAULT 'active',
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at   TIMESTAMPTZ,
    -- The master being worked on, when there is one.
    master_id  UUID REFERENCES masters (id) ON DELETE RESTRICT,
    CONSTRAINT v_studio_sessions_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT v_studio_sessions_status_known CHECK (status IN ('scheduled', 'active', 'ended', 'cancelled')),
    CONSTRAINT v_studio_sessions_end_after_start CHECK (ended_at >= started_at),
    -- An ended session says when it ended; a scheduled or running one has no end yet.
    CONSTRAINT v_studio_sessions_ended_at_matches_status CHECK (
        (status <> 'ended' OR ended_at IS NOT NULL)
        AND (status NOT IN ('scheduled', 'active') OR ended_at IS NULL)
    )
);

CREATE INDEX IF NOT EXISTS v_studio_sessions_host_id_idx ON v_studio_sessions (host_id);
CREATE INDEX IF NOT EXISTS v_studio_sessions_master_id_idx ON v_studio_sessions (master_id);

CREATE TABLE IF NOT EXISTS session_decisions (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id    UUID NOT NULL REFERENCES v_studio_sessions (id) ON DELETE RESTRICT,
    decision_type VARCHAR(50) NOT NULL,
    data          JSONB NOT NULL,
    decided_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Who made the call, when known.
    decided_by    UUID REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT session_decisions_type_format CHECK (decision_type ~ '^[a-z][a-z0-9_]*$'),
    -- Decision data is a JSON object (named fields), never an array or scalar.
    CONSTRAINT session_decisions_data_is_object CHECK (jsonb_typeof(data) = 'object')
);

CREATE INDEX IF NOT EXISTS session_decisions_session_id_idx ON session_decisions (session_id, decided_at);
CREATE INDEX IF NOT EXISTS session_decisions_decided_by_idx ON session_decisions (decided_by);

-- Participants: one row per stay in a session (leaving and rejoining makes
-- a new row), with the role held during that stay.
CREATE TABLE IF NOT EXISTS session_participants (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id UUID NOT NULL REFERENCES v_studio_sessions (id) ON DELETE RESTRICT,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    role       TEXT NOT NULL DEFAULT 'listener',
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    left_at    TIMESTAMPTZ,
    CONSTRAINT session_participants_role_known
        CHECK (role IN ('host', 'producer', 'artist', 'engineer', 'listener')),
    CONSTRAINT session_participants_left_after_joined CHECK (left_at >= joined_at)
);

CREATE INDEX IF NOT EXISTS session_participants_session_id_idx ON session_participants (session_id);
CREATE INDEX IF NOT EXISTS session_participants_user_id_idx ON session_participants (user_id);
-- A user is present in a session at most once at a time.
CREATE UNIQUE INDEX IF NOT EXISTS session_participants_one_presence
    ON session_participants (session_id, user_id)
    WHERE left_at IS NULL;

-- The real-time collaboration stream (cursor moves, edits, chat, transport).
-- Append-only and high-volume, so built for fast writes:
--   * a bigint identity key (8 bytes, always increasing: appends go to the
--     right-most index page instead of random UUID pages);
--   * only the indexes reads need: (session_id, occurred_at) serves "a
--     session's events in time order" and the session foreign key; user_id
--     is indexed for its foreign key; a BRIN index on occurred_at serves
--     time-range scans and retention jobs at a tiny write cost.
CREATE TABLE IF NOT EXISTS v_studio_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES v_studio_sessions (id) ON DELETE RESTRICT,
    user_id     UUID REFERENCES users (id) ON DELETE RESTRICT,
    event_type  TEXT NOT NULL,
    payload     JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT v_studio_events_type_format CHECK (event_type ~ '^[a-z][a-z0-9_.]*$'),
    CONSTRAINT v_studio_events_payload_is_object CHECK (jsonb_typeof(payload) = 'object')
);

CREATE INDEX IF NOT EXISTS v_studio_events_session_time_idx ON v_studio_events (session_id, occurred_at);
CREATE INDEX IF NOT EXISTS v_studio_events_user_id_idx ON v_studio_events (user_id);
CREATE INDEX IF NOT EXISTS v_studio_events_occurred_at_brin ON v_studio_events USING brin (occurred_at);

-- Append-only: rows can be added, never changed or removed.
CREATE OR REPLACE TRIGGER v_studio_events_append_only
    BEFORE UPDATE OR DELETE ON v_studio_events
    FOR EACH ROW EXECUTE FUNCTION audifi_forbid_modification();
CREATE OR REPLACE TRIGGER v_studio_events_no_truncate
    BEFORE TRUNCATE ON v_studio_events
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_modification();
