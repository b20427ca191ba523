-- Users and auth, round two (continued): a used recovery code is kept.
-- 20261201100000 froze a used code's row against UPDATE, but a DELETE of it
-- went through, and inserting the same hash again made the code usable a
-- second time. audifi_app keeps DELETE on recovery_codes (the backend reads
-- and writes the application tables; replacing a user's set of codes removes
-- the unused ones), so the rule is a trigger, which holds for every role: a
-- used code's row is never deleted, and recovery_codes_user_code_key refuses
-- its hash again for that user. An unused code can still be deleted. A code
-- used while it is being deleted is kept: the DELETE waits for the UPDATE
-- and then sees the code used. Re-runnable.

-- Lock waits are bounded: by the engine's [online] lock_timeout_ms (tighter),
-- else, applied by hand, by this.
SELECT set_config('lock_timeout', '1s', true) WHERE current_setting('lock_timeout') = '0';

CREATE OR REPLACE FUNCTION recovery_codes_single_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.used_at IS NOT NULL THEN
        RAISE EXCEPTION 'recovery code % was used at %: a used code stays used, and is kept (% refused)',
                OLD.id, OLD.used_at, TG_OP
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'recovery_codes_single_use',
                  HINT = 'Generate new codes instead.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER recovery_codes_single_use
    BEFORE UPDATE OR DELETE ON recovery_codes
    FOR EACH ROW EXECUTE FUNCTION recovery_codes_single_use();

COMMENT ON TABLE recovery_codes IS
    'Single-use 2FA recovery codes, hashed; a used code stays used and is never deleted (recovery_codes_single_use).';
