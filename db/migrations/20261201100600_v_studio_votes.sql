-- V Studio, round two: decisions are made from votes. A decision may open a
-- vote (status 'open', the options in data->'options'); participants present
-- in the session vote once each; deciding closes it, and from then on the
-- decision and its votes are history: nothing changes or disappears.
-- Existing decisions and inserts that do not say otherwise are 'decided', as
-- before. Re-runnable; the status check is validated in 20261201100700.

SET LOCAL lock_timeout = '1s';

ALTER TABLE session_decisions ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'decided';
ALTER TABLE session_decisions DROP CONSTRAINT IF EXISTS session_decisions_status_known;
ALTER TABLE session_decisions ADD CONSTRAINT session_decisions_status_known
    CHECK (status IN ('open', 'decided')) NOT VALID;

-- open -> decided, once. Deciding stamps decided_at with the server's time.
-- A decided decision is final; an open one without votes may be withdrawn.
CREATE OR REPLACE FUNCTION session_decisions_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'decided' THEN
            RAISE EXCEPTION 'decision % is decided: it is history and cannot be deleted', OLD.id
                USING ERRCODE = 'restrict_violation', CONSTRAINT = 'session_decisions_final';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'decided' THEN
        RAISE EXCEPTION 'decision % is decided: it cannot change', OLD.id
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'session_decisions_final',
                  HINT = 'Record a new decision instead.';
    END IF;
    IF NEW.session_id IS DISTINCT FROM OLD.session_id THEN
        RAISE EXCEPTION 'decision % belongs to session %', OLD.id, OLD.session_id
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'session_decisions_final';
    END IF;
    IF NEW.status = 'decided' THEN
        NEW.decided_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER session_decisions_lifecycle
    BEFORE UPDATE OR DELETE ON session_decisions
    FOR EACH ROW EXECUTE FUNCTION session_decisions_lifecycle();
CREATE OR REPLACE TRIGGER session_decisions_no_truncate
    BEFORE TRUNCATE ON session_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_truncate();

CREATE TABLE IF NOT EXISTS session_decision_votes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id UUID NOT NULL REFERENCES session_decisions (id) ON DELETE RESTRICT,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    choice      TEXT NOT NULL,
    cast_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT session_decision_votes_choice_not_blank CHECK (btrim(choice) <> '' AND length(choice) <= 200),
    -- One vote per participant per decision, even for two simultaneous clicks.
    -- Leads with decision_id: also that foreign key's index.
    CONSTRAINT session_decision_votes_one_per_participant UNIQUE (decision_id, user_id)
);
CREATE INDEX IF NOT EXISTS session_decision_votes_user_id_idx ON session_decision_votes (user_id);

-- A vote counts only for an open decision, from a participant present in its
-- session, for one of its options (when it lists them). The decision row is
-- share-locked: deciding (which updates it) waits for votes being cast, and a
-- vote cast while it is decided sees the decision closed.
CREATE OR REPLACE FUNCTION session_decision_votes_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    decision RECORD;
BEGIN
    SELECT session_id, status, data INTO decision FROM session_decisions WHERE id = NEW.decision_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key refuses it
    END IF;
    IF decision.status <> 'open' THEN
        RAISE EXCEPTION 'decision % is %: votes are cast only while it is open', NEW.decision_id, decision.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_decision_votes_decision_open';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM session_participants
                    WHERE session_id = decision.session_id AND user_id = NEW.user_id AND left_at IS NULL) THEN
        RAISE EXCEPTION 'user % is not present in session %: only its participants vote', NEW.user_id, decision.session_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_decision_votes_voter_is_participant';
    END IF;
    IF jsonb_typeof(decision.data -> 'options') = 'array' AND NOT (decision.data -> 'options') ? NEW.choice THEN
        RAISE EXCEPTION '% is not an option of decision % (%)', NEW.choice, NEW.decision_id, decision.data -> 'options'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_decision_votes_choice_known';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER session_decision_votes_check
    BEFORE INSERT ON session_decision_votes
    FOR EACH ROW EXECUTE FUNCTION session_decision_votes_check();
CREATE OR REPLACE TRIGGER session_decision_votes_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON session_decision_votes
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_modification();

COMMENT ON TABLE session_decision_votes IS
    'The votes a V Studio decision is made from: one per participant present in the session, cast while the decision is open, append-only.';
COMMENT ON COLUMN session_decision_votes.choice IS 'The option voted for; one of data->''options'' of the decision when it lists them.';
COMMENT ON COLUMN session_decision_votes.cast_at IS 'When the vote was cast (server time by default).';
COMMENT ON COLUMN session_decisions.status IS
    'open: a vote is running (votes in session_decision_votes); decided: final, the decision and its votes never change.';
