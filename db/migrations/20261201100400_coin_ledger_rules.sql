-- Artist coins, round two. The ledger keeps every amount exactly as sent
-- (refused, not rounded, beyond the coin's decimals); every row carries the
-- client's idempotency key; a swap's two legs share a swap_id and arrive in
-- one statement; liquidity positions record who provided what to which pool;
-- a coin's decimals and a pool's coins never change; derived tables cannot be
-- truncated. Applying the ledger moves to one statement-level trigger over
-- the statement's rows (a transition table): a bulk insert updates each
-- balance, reserve, position and supply once, and takes its row locks in one
-- global order (balances by (coin_id, user_id), then positions by (pool_id,
-- user_id), then pools by id, then coins by id), so two statements moving
-- holdings in opposite directions queue instead of deadlocking.
-- Re-runnable. Constraints are added NOT VALID and validated, with the unique
-- indexes built CONCURRENTLY, in 20261201100500.

SET LOCAL lock_timeout = '1s';

-- From here on ledger writes wait for this migration (ACCESS EXCLUSIVE on
-- coin_transactions until it commits): keep everything below short.
ALTER TABLE coin_transactions ADD COLUMN IF NOT EXISTS idempotency_key TEXT;
ALTER TABLE coin_transactions ADD COLUMN IF NOT EXISTS swap_id UUID;
ALTER TABLE coin_transactions DROP CONSTRAINT IF EXISTS coin_transactions_idempotency_key_format;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_idempotency_key_format
    CHECK (btrim(idempotency_key) <> '' AND length(idempotency_key) <= 200) NOT VALID;
ALTER TABLE coin_transactions DROP CONSTRAINT IF EXISTS coin_transactions_swap_id_only_for_swaps;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_swap_id_only_for_swaps
    CHECK (swap_id IS NULL OR kind = 'swap') NOT VALID;

-- NUMERIC(38, 18) rounds on input, before any trigger sees the value: 5e-19
-- arrived as 1e-18. Unconstrained NUMERIC keeps what was sent, and the apply
-- trigger refuses more decimals than the coin has. Dropping the typmod is a
-- catalogue-only change, but PostgreSQL re-checks CHECK constraints on the
-- column it retypes (a full scan under this lock): amount_positive is dropped
-- first and re-added NOT VALID, to be validated online in 20261201100500.
ALTER TABLE coin_transactions DROP CONSTRAINT IF EXISTS coin_transactions_amount_positive;
ALTER TABLE coin_transactions ALTER COLUMN amount TYPE NUMERIC;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_amount_positive CHECK (amount > 0) NOT VALID;
-- What balances (NUMERIC(38, 18)) can hold.
ALTER TABLE coin_transactions DROP CONSTRAINT IF EXISTS coin_transactions_amount_fits;
ALTER TABLE coin_transactions ADD CONSTRAINT coin_transactions_amount_fits CHECK (amount < 1e20) NOT VALID;

-- Who provided what to which pool: per provider and pool, what they put in
-- and took out of each side. Derived from add_liquidity / remove_liquidity
-- rows by the apply trigger, like balances; only a provider can withdraw.
-- Amounts out can exceed amounts in (fees accrue to the pool): pricing is
-- the application's job, as for swaps.
CREATE TABLE IF NOT EXISTS liquidity_positions (
    pool_id     UUID NOT NULL REFERENCES liquidity_pools (id) ON DELETE RESTRICT,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    provided_a  NUMERIC(38, 18) NOT NULL DEFAULT 0,
    provided_b  NUMERIC(38, 18) NOT NULL DEFAULT 0,
    withdrawn_a NUMERIC(38, 18) NOT NULL DEFAULT 0,
    withdrawn_b NUMERIC(38, 18) NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Leads with pool_id: also that foreign key's index.
    PRIMARY KEY (pool_id, user_id),
    CONSTRAINT liquidity_positions_amounts_non_negative
        CHECK (provided_a >= 0 AND provided_b >= 0 AND withdrawn_a >= 0 AND withdrawn_b >= 0)
);
CREATE INDEX IF NOT EXISTS liquidity_positions_user_id_idx ON liquidity_positions (user_id);

-- Positions of the liquidity already in the ledger (none on a new database),
-- once: before the protection below exists. Ledger writes wait on the lock
-- taken above, so none is missed or counted twice; the scan reads only pool
-- rows (coin_transactions_pool_id_idx).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'liquidity_positions'::regclass
                                          AND tgname = 'liquidity_positions_protect') THEN
        RETURN;
    END IF;
    INSERT INTO liquidity_positions (pool_id, user_id, provided_a, provided_b, withdrawn_a, withdrawn_b)
    SELECT t.pool_id, coalesce(t.from_user_id, t.to_user_id),
           coalesce(sum(t.amount) FILTER (WHERE t.kind = 'add_liquidity' AND t.coin_id = p.coin_a_id), 0),
           coalesce(sum(t.amount) FILTER (WHERE t.kind = 'add_liquidity' AND t.coin_id = p.coin_b_id), 0),
           coalesce(sum(t.amount) FILTER (WHERE t.kind = 'remove_liquidity' AND t.coin_id = p.coin_a_id), 0),
           coalesce(sum(t.amount) FILTER (WHERE t.kind = 'remove_liquidity' AND t.coin_id = p.coin_b_id), 0)
      FROM coin_transactions t JOIN liquidity_pools p ON p.id = t.pool_id
     WHERE t.pool_id IS NOT NULL AND t.kind IN ('add_liquidity', 'remove_liquidity')
     GROUP BY 1, 2;
END;
$$;

-- Written only by coin_ledger_apply (which also sets updated_at): any other
-- statement is refused, once per statement rather than once per row (the
-- WHEN clause spares the ledger's own statements even the call).
CREATE OR REPLACE TRIGGER liquidity_positions_protect
    BEFORE INSERT OR UPDATE OR DELETE ON liquidity_positions
    FOR EACH STATEMENT WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION audifi_protect_derived();

-- Apply one INSERT statement's ledger rows (new_rows). SECURITY DEFINER: the
-- application role may only read balances, positions and reserves; this
-- function, owned by the schema's owner, writes them. The checks come first
-- and refuse the whole statement with the rule's name.
CREATE OR REPLACE FUNCTION coin_ledger_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bad         RECORD;
    missing_key BOOLEAN;
    has_swap    BOOLEAN;
    has_pool    BOOLEAN;
    has_supply  BOOLEAN;
    too_precise BOOLEAN;
    holders     BIGINT;
    applied     BIGINT;
    applied_coins UUID[];
    applied_users UUID[];
BEGIN
    -- It writes as the owner: only ever for the ledger itself.
    IF TG_RELID <> 'public.coin_transactions'::regclass THEN
        RAISE EXCEPTION 'coin_ledger_apply applies coin_transactions only, not %', TG_RELID::regclass
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- One pass over the statement's rows says what there is to check and do
    -- (each query costs: a single transfer runs two of them, plus the writes).
    SELECT bool_or(n.idempotency_key IS NULL), bool_or(n.kind = 'swap'), bool_or(n.pool_id IS NOT NULL),
           bool_or(n.kind IN ('mint', 'burn')), bool_or(n.amount <> round(n.amount, c.decimals))
      INTO missing_key, has_swap, has_pool, has_supply, too_precise
      FROM new_rows n JOIN coins c ON c.id = n.coin_id;
    IF missing_key THEN
        RAISE EXCEPTION 'every ledger row carries the client''s idempotency_key (unique per sender); a row has none'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_idempotency_key_required';
    END IF;
    IF too_precise THEN
        SELECT n.amount, c.symbol, c.decimals INTO bad
          FROM new_rows n JOIN coins c ON c.id = n.coin_id
         WHERE n.amount <> round(n.amount, c.decimals) LIMIT 1;
        RAISE EXCEPTION 'amount % has more decimals than % allows (%)', bad.amount, bad.symbol, bad.decimals
            USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_amount_precision';
    END IF;

    IF has_swap THEN
        -- Both legs of a swap: same swap_id, same pool, same user, one paying a
        -- coin of the pool in and one receiving the other, one request key,
        -- in this statement (coin_transactions_swap_leg_key refuses a leg
        -- added to an earlier swap).
        SELECT n.swap_id INTO bad FROM new_rows n WHERE n.kind = 'swap'
         GROUP BY n.swap_id
        HAVING n.swap_id IS NULL OR NOT (count(*) = 2 AND count(n.from_user_id) = 1 AND count(n.to_user_id) = 1
               AND count(DISTINCT n.coin_id) = 2 AND count(DISTINCT n.pool_id) = 1
               AND count(DISTINCT coalesce(n.from_user_id, n.to_user_id)) = 1
               AND count(DISTINCT n.idempotency_key) = 1)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'swap % is not two legs inserted together: one row paying one coin of the pool in, one receiving the other, same user, same swap_id and idempotency_key, one INSERT',
                    coalesce(bad.swap_id::text, '(no swap_id)')
                USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_swap_legs_together';
        END IF;
    END IF;

    IF has_pool THEN
        SELECT n.coin_id, n.pool_id INTO bad
          FROM new_rows n JOIN liquidity_pools p ON p.id = n.pool_id
         WHERE n.coin_id NOT IN (p.coin_a_id, p.coin_b_id) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'coin % is not traded in pool %', bad.coin_id, bad.pool_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_coin_in_pool';
        END IF;
        SELECT n.pool_id, n.to_user_id INTO bad FROM new_rows n
         WHERE n.kind = 'remove_liquidity'
           AND NOT EXISTS (SELECT 1 FROM liquidity_positions lp WHERE lp.pool_id = n.pool_id AND lp.user_id = n.to_user_id)
           AND NOT EXISTS (SELECT 1 FROM new_rows a WHERE a.kind = 'add_liquidity' AND a.pool_id = n.pool_id
                                                       AND a.from_user_id = n.to_user_id)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'user % never provided liquidity to pool %: only a provider withdraws', bad.to_user_id, bad.pool_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_withdrawal_by_provider';
        END IF;
    END IF;

    -- Balances: every (coin, holder) the statement touches changes once, by its
    -- net amount, and its row is locked in (coin_id, user_id) order: the global
    -- order in which two statements moving coins between the same holders
    -- queue on the first balance they share, instead of each holding what the
    -- other waits for.
    -- 1. The existing rows: locked in that order (the CTE's sort feeds its row
    --    locks, whatever the join below does with them) and updated, in one
    --    statement. A transfer between holders ends here.
    WITH moves AS (SELECT coin_id, user_id, sum(delta) AS delta
                     FROM (SELECT coin_id, from_user_id AS user_id, -amount AS delta FROM new_rows
                            WHERE from_user_id IS NOT NULL
                           UNION ALL
                           SELECT coin_id, to_user_id, amount FROM new_rows WHERE to_user_id IS NOT NULL) m
                    GROUP BY coin_id, user_id),
         locked AS (SELECT b.coin_id, b.user_id FROM coin_balances b JOIN moves USING (coin_id, user_id)
                     ORDER BY b.coin_id, b.user_id FOR NO KEY UPDATE OF b),
         done AS (UPDATE coin_balances b SET balance = b.balance + moves.delta, updated_at = now()
                    FROM moves JOIN locked USING (coin_id, user_id)
                   WHERE b.coin_id = moves.coin_id AND b.user_id = moves.user_id
               RETURNING b.coin_id, b.user_id)
    SELECT (SELECT count(*) FROM moves), count(*), array_agg(coin_id), array_agg(user_id)
      INTO holders, applied, applied_coins, applied_users
      FROM done;
    -- 2. The new ones (an airdrop's new holders), inserted with their amount in
    --    that order. A debit of a missing balance fails
    --    coin_balances_balance_non_negative, like an overdraft. A row another
    --    statement created since step 1 looked is added to instead. (Rows
    --    are never deleted, so a row that is new to one statement was not
    --    locked in step 1 by an older one: no two statements can wait for
    --    each other across the two steps.)
    IF applied < holders THEN
        INSERT INTO coin_balances AS b (coin_id, user_id, balance)
        SELECT moves.coin_id, moves.user_id, moves.delta
          FROM (SELECT coin_id, user_id, sum(delta) AS delta
                 FROM (SELECT coin_id, from_user_id AS user_id, -amount AS delta FROM new_rows
                        WHERE from_user_id IS NOT NULL
                       UNION ALL
                       SELECT coin_id, to_user_id, amount FROM new_rows WHERE to_user_id IS NOT NULL) m
                GROUP BY coin_id, user_id) AS moves
         WHERE NOT EXISTS (SELECT 1 FROM unnest(applied_coins, applied_users) AS a (coin_id, user_id)
                            WHERE a.coin_id = moves.coin_id AND a.user_id = moves.user_id)
         ORDER BY 1, 2
        ON CONFLICT (coin_id, user_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance, updated_at = now();
    END IF;

    IF has_pool THEN
        INSERT INTO liquidity_positions AS lp (pool_id, user_id, provided_a, provided_b, withdrawn_a, withdrawn_b)
        SELECT n.pool_id, coalesce(n.from_user_id, n.to_user_id),
               coalesce(sum(n.amount) FILTER (WHERE n.kind = 'add_liquidity' AND n.coin_id = p.coin_a_id), 0),
               coalesce(sum(n.amount) FILTER (WHERE n.kind = 'add_liquidity' AND n.coin_id = p.coin_b_id), 0),
               coalesce(sum(n.amount) FILTER (WHERE n.kind = 'remove_liquidity' AND n.coin_id = p.coin_a_id), 0),
               coalesce(sum(n.amount) FILTER (WHERE n.kind = 'remove_liquidity' AND n.coin_id = p.coin_b_id), 0)
          FROM new_rows n JOIN liquidity_pools p ON p.id = n.pool_id
         WHERE n.kind IN ('add_liquidity', 'remove_liquidity')
         GROUP BY 1, 2
         ORDER BY 1, 2
        ON CONFLICT (pool_id, user_id) DO UPDATE
           SET provided_a = lp.provided_a + EXCLUDED.provided_a, provided_b = lp.provided_b + EXCLUDED.provided_b,
               withdrawn_a = lp.withdrawn_a + EXCLUDED.withdrawn_a, withdrawn_b = lp.withdrawn_b + EXCLUDED.withdrawn_b,
               updated_at = now();

        PERFORM 1 FROM liquidity_pools WHERE id IN (SELECT pool_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
        -- A user paying in (from_user_id) grows the reserve; a payout shrinks it.
        UPDATE liquidity_pools p
           SET reserve_a = p.reserve_a + d.delta_a, reserve_b = p.reserve_b + d.delta_b
          FROM (SELECT n.pool_id,
                       coalesce(sum(CASE WHEN n.from_user_id IS NULL THEN -n.amount ELSE n.amount END)
                                FILTER (WHERE n.coin_id = q.coin_a_id), 0) AS delta_a,
                       coalesce(sum(CASE WHEN n.from_user_id IS NULL THEN -n.amount ELSE n.amount END)
                                FILTER (WHERE n.coin_id = q.coin_b_id), 0) AS delta_b
                  FROM new_rows n JOIN liquidity_pools q ON q.id = n.pool_id
                 GROUP BY n.pool_id) d
         WHERE p.id = d.pool_id;
    END IF;

    IF has_supply THEN
        PERFORM 1 FROM coins WHERE id IN (SELECT coin_id FROM new_rows WHERE kind IN ('mint', 'burn'))
         ORDER BY id FOR NO KEY UPDATE;
        UPDATE coins c SET total_supply = c.total_supply + d.delta
          FROM (SELECT coin_id, sum(CASE kind WHEN 'mint' THEN amount ELSE -amount END) AS delta
                  FROM new_rows WHERE kind IN ('mint', 'burn') GROUP BY coin_id) d
         WHERE c.id = d.coin_id;
    END IF;
    RETURN NULL;
END;
$$;

-- The row-level trigger of 20261125000400 becomes one call per statement.
CREATE OR REPLACE TRIGGER coin_transactions_apply
    AFTER INSERT ON coin_transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coin_ledger_apply();
-- Superseded: the old per-row functions (the trigger no longer calls them).
DROP FUNCTION IF EXISTS coin_transactions_apply();
DROP FUNCTION IF EXISTS coin_balance_add(UUID, UUID, NUMERIC);

-- Balances were protected row by row, and their updated_at set row by row:
-- a 200,000-row airdrop paid 400,000 trigger calls for nothing. The same
-- protection per statement (a direct INSERT, UPDATE or DELETE is refused even
-- when it matches no row; coin_ledger_apply's writes, made from inside a
-- trigger, do not even call it), and updated_at
-- now set by coin_ledger_apply itself (the trigger only fires for writes
-- made outside any trigger, which the protection refuses anyway).
CREATE OR REPLACE TRIGGER coin_balances_protect
    BEFORE INSERT OR UPDATE OR DELETE ON coin_balances
    FOR EACH STATEMENT WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION audifi_protect_derived();
CREATE OR REPLACE TRIGGER coin_balances_set_updated_at
    BEFORE UPDATE ON coin_balances
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION audifi_set_updated_at();

-- A coin's decimals are part of every amount ever recorded; a pool's coins
-- are what its reserves and positions are counted in.
CREATE OR REPLACE TRIGGER coins_decimals_fixed
    BEFORE UPDATE OF decimals ON coins
    FOR EACH ROW EXECUTE FUNCTION audifi_forbid_change('coins_decimals_fixed', 'decimals');
CREATE OR REPLACE TRIGGER liquidity_pools_coins_fixed
    BEFORE UPDATE OF coin_a_id, coin_b_id ON liquidity_pools
    FOR EACH ROW EXECUTE FUNCTION audifi_forbid_change('liquidity_pools_coins_fixed', 'coin_a_id', 'coin_b_id');

-- TRUNCATE skips row triggers: refuse it outright on everything the ledger
-- derives (coin_transactions itself has coin_transactions_no_truncate).
CREATE OR REPLACE TRIGGER coin_balances_no_truncate
    BEFORE TRUNCATE ON coin_balances
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_truncate();
CREATE OR REPLACE TRIGGER liquidity_positions_no_truncate
    BEFORE TRUNCATE ON liquidity_positions
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_truncate();
CREATE OR REPLACE TRIGGER coins_no_truncate
    BEFORE TRUNCATE ON coins
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_truncate();
CREATE OR REPLACE TRIGGER liquidity_pools_no_truncate
    BEFORE TRUNCATE ON liquidity_pools
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_truncate();

COMMENT ON TABLE liquidity_positions IS
    'Who provided what to which pool: per provider and pool, the amounts put in and taken out of each side. Derived from add_liquidity/remove_liquidity ledger rows by coin_ledger_apply; never written directly.';
COMMENT ON COLUMN liquidity_positions.provided_a IS 'Sum of add_liquidity amounts of the pool''s coin_a by this provider.';
COMMENT ON COLUMN liquidity_positions.provided_b IS 'Sum of add_liquidity amounts of the pool''s coin_b by this provider.';
COMMENT ON COLUMN liquidity_positions.withdrawn_a IS 'Sum of remove_liquidity amounts of coin_a paid to this provider (may exceed provided_a: fees accrue to the pool).';
COMMENT ON COLUMN liquidity_positions.withdrawn_b IS 'Sum of remove_liquidity amounts of coin_b paid to this provider.';
