-- V Studio, round two (continued): a decision is made from its votes.
-- 20261201100600 still let a decision be inserted already 'decided' (the
-- status's default) with no vote, be decided with no vote, and have its
-- options changed while open after votes were cast for them (leaving votes
-- for options that no longer exist). Now:
--   * a decision is created open: the status defaults to 'open' (an insert
--     naming only the design sketch's columns opens a vote), and an insert
--     saying 'decided' is refused (session_decisions_created_open);
--   * open -> decided needs at least one vote
--     (session_decisions_decided_from_votes). A vote share-locks its
--     decision, so deciding waits for the votes being cast and counts them;
--   * once a vote exists, data->'options' never changes
--     (session_decisions_options_fixed); the rest of an open decision's data
--     may, and a decided one is final as before.
-- Decisions decided before this migration (round one's, without votes) stay
-- as they are: history is not rewritten. Re-runnable.

-- Lock waits are bounded: by the engine's [online] lock_timeout_ms (tighter),
-- else, applied by hand, by this.
SELECT set_config('lock_timeout', '1s', true) WHERE current_setting('lock_timeout') = '0';

ALTER TABLE session_decisions ALTER COLUMN status SET DEFAULT 'open';

CREATE OR REPLACE FUNCTION session_decisions_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'decided' THEN
            RAISE EXCEPTION 'a decision is created open and decided from its votes: it cannot be inserted decided'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'session_decisions_created_open',
                      HINT = 'Insert it open, let the participants vote, then set status = ''decided''.';
        END IF;
        RETURN NEW;
    END IF;
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
    -- The votes lead with decision_id in session_decision_votes_one_per_participant.
    IF (NEW.data -> 'options') IS DISTINCT FROM (OLD.data -> 'options')
       AND EXISTS (SELECT 1 FROM session_decision_votes WHERE decision_id = OLD.id) THEN
        RAISE EXCEPTION 'decision % has votes: its options % cannot change', OLD.id, OLD.data -> 'options'
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'session_decisions_options_fixed',
                  HINT = 'Open a new decision with the new options instead.';
    END IF;
    IF NEW.status = 'decided' THEN
        IF NOT EXISTS (SELECT 1 FROM session_decision_votes WHERE decision_id = OLD.id) THEN
            RAISE EXCEPTION 'decision % has no vote: a decision is made from its votes', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'session_decisions_decided_from_votes',
                      HINT = 'Decide once the participants have voted.';
        END IF;
        NEW.decided_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER session_decisions_lifecycle
    BEFORE INSERT OR UPDATE OR DELETE ON session_decisions
    FOR EACH ROW EXECUTE FUNCTION session_decisions_lifecycle();

COMMENT ON TABLE session_decisions IS
    'Decisions of a V Studio session (tempo, arrangement, votes): created open, decided from at least one vote, then final; round one''s decisions (before 2026-12) have no votes.';
COMMENT ON COLUMN session_decisions.status IS
    'open (the default): a vote is running (votes in session_decision_votes; data->''options'' fixed once one exists); decided: final, the decision and its votes never change.';
