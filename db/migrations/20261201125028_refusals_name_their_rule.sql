-- Every trigger refusal names its rule. The two shared guards of round one,
-- audifi_forbid_modification (append-only ledgers, ownership, votes, events)
-- and audifi_protect_derived (balances, positions, supply, reserves, shares
-- sold), raised without a constraint name, so an application could not map
-- their refusals the way it maps every other one (e.diag.constraint_name).
-- They now report the trigger's name, which is the rule's name
-- (<table>_<rule>: coin_transactions_immutable, ownership_append_only,
-- coin_balances_protect...). A partition's inherited row trigger carries its
-- parent's name, so a partition reports its parent's rule; the message still
-- names the table written to. Same signatures, replaced in place: every
-- trigger using them keeps working. Re-runnable.

-- Lock waits are bounded: by the engine's [online] lock_timeout_ms (tighter),
-- else, applied by hand, by this.
SELECT set_config('lock_timeout', '1s', true) WHERE current_setting('lock_timeout') = '0';

CREATE OR REPLACE FUNCTION audifi_forbid_modification() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed (%)', TG_TABLE_NAME, TG_OP, TG_NAME
        USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_NAME,
              HINT = 'Record a compensating row instead of changing history.';
END;
$$;

CREATE OR REPLACE FUNCTION audifi_protect_derived() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_NARGS = 0 THEN
        RAISE EXCEPTION '% is maintained by triggers: direct % is not allowed (%)', TG_TABLE_NAME, TG_OP, TG_NAME
            USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_NAME,
                  HINT = 'Write the ledger it is derived from instead.';
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (TG_OP = 'INSERT' AND (to_jsonb(NEW) ->> col)::numeric <> 0)
           OR (TG_OP = 'UPDATE' AND (to_jsonb(NEW) -> col) IS DISTINCT FROM (to_jsonb(OLD) -> col)) THEN
            RAISE EXCEPTION '%.% is maintained by triggers: it cannot be written directly (%)', TG_TABLE_NAME, col, TG_NAME
                USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_NAME,
                      HINT = 'Write the ledger it is derived from instead.';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;
