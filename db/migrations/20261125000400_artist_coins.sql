-- Artist coins: coins, per-user balances, an immutable transaction ledger and
-- liquidity pools. The ledger is the source of truth: inserting a ledger row
-- updates balances, supply and pool reserves in the same transaction, and
-- those derived columns cannot be written any other way.
-- Amounts are NUMERIC(38, 18): 18 decimals, like ERC-20 tokens.

CREATE TABLE IF NOT EXISTS coins (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The artist behind the coin; NULL for a platform coin (e.g. AUDI)
    -- that serves as the quote side of liquidity pools.
    artist_id    UUID REFERENCES users (id) ON DELETE RESTRICT,
    symbol       TEXT NOT NULL,
    name         TEXT NOT NULL,
    decimals     SMALLINT NOT NULL DEFAULT 18,
    -- Hard cap on supply; NULL means uncapped.
    max_supply   NUMERIC(38, 18),
    -- Minted minus burned; maintained by the ledger trigger only.
    total_supply NUMERIC(38, 18) NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Ticker style: upper-case letters and digits, starting with a letter.
    CONSTRAINT coins_symbol_format CHECK (symbol ~ '^[A-Z][A-Z0-9]{1,9}$'),
    CONSTRAINT coins_symbol_key UNIQUE (symbol),
    CONSTRAINT coins_name_not_blank CHECK (btrim(name) <> ''),
    -- The storage type holds 18 decimals; a coin cannot claim more.
    CONSTRAINT coins_decimals_range CHECK (decimals BETWEEN 0 AND 18),
    CONSTRAINT coins_max_supply_positive CHECK (max_supply > 0),
    CONSTRAINT coins_total_supply_within_bounds CHECK (total_supply >= 0 AND total_supply <= max_supply)
);

CREATE INDEX IF NOT EXISTS coins_artist_id_idx ON coins (artist_id);

CREATE OR REPLACE TRIGGER coins_protect_total_supply
    BEFORE INSERT OR UPDATE ON coins
    FOR EACH ROW EXECUTE FUNCTION audifi_protect_derived('total_supply');

-- A pool pairs two coins (coin_a_id < coin_b_id, so each pair has one
-- canonical row) and holds reserves of both.
CREATE TABLE IF NOT EXISTS liquidity_pools (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    coin_a_id  UUID NOT NULL REFERENCES coins (id) ON DELETE RESTRICT,
    coin_b_id  UUID NOT NULL REFERENCES coins (id) ON DELETE RESTRICT,
    -- Maintained by the ledger trigger only.
    reserve_a  NUMERIC(38, 18) NOT NULL DEFAULT 0,
    reserve_b  NUMERIC(38, 18) NOT NULL DEFAULT 0,
    -- Swap fee in basis points: 30 = 0.30 %. Below 100 % by definition.
    fee_bps    INTEGER NOT NULL DEFAULT 30,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT liquidity_pools_canonical_pair CHECK (coin_a_id < coin_b_id),
    CONSTRAINT liquidity_pools_pair_key UNIQUE (coin_a_id, coin_b_id),
    -- A pool can never pay out more than it holds.
    CONSTRAINT liquidity_pools_reserves_non_negative CHECK (reserve_a >= 0 AND reserve_b >= 0),
    CONSTRAINT liquidity_pools_fee_bps_range CHECK (fee_bps >= 0 AND fee_bps < 10000)
);
-- liquidity_pools_pair_key leads with coin_a_id: it is that foreign key's index.
CREATE INDEX IF NOT EXISTS liquidity_pools_coin_b_id_idx ON liquidity_pools (coin_b_id);

CREATE OR REPLACE TRIGGER liquidity_pools_protect_reserves
    BEFORE INSERT OR UPDATE ON liquidity_pools
    FOR EACH ROW EXECUTE FUNCTION audifi_protect_derived('reserve_a', 'reserve_b');

-- Balances: derived from the ledger, one row per (coin, holder).
CREATE TABLE IF NOT EXISTS coin_balances (
    coin_id    UUID NOT NULL REFERENCES coins (id) ON DELETE RESTRICT,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    balance    NUMERIC(38, 18) NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (coin_id, user_id),
    -- Last line of defence against overdrafts, double spends included: two
    -- debits of one balance update the same row, so the second waits for
    -- the first and then fails this check.
    CONSTRAINT coin_balances_balance_non_negative CHECK (balance >= 0)
);
-- The primary key leads with coin_id; user_id needs its own index.
CREATE INDEX IF NOT EXISTS coin_balances_user_id_idx ON coin_balances (user_id);

-- No direct INSERT/UPDATE/DELETE: balances change only through the ledger.
CREATE OR REPLACE TRIGGER coin_balances_protect
    BEFORE INSERT OR UPDATE OR DELETE ON coin_balances
    FOR EACH ROW EXECUTE FUNCTION audifi_protect_derived();
CREATE OR REPLACE TRIGGER coin_balances_set_updated_at
    BEFORE UPDATE ON coin_balances
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();

-- The ledger. Row shapes by kind:
--   mint              -> to_user_id                (supply grows)
--   burn              from_user_id ->              (supply shrinks)
--   transfer          from_user_id -> to_user_id   (distinct users)
--   swap              one leg of a swap between a user and pool_id: user pays
--                     in (from_user_id) or receives (to_user_id); a swap is
--                     two such rows, one per coin, in one transaction
--   add_liquidity     from_user_id -> pool_id
--   remove_liquidity  pool_id -> to_user_id
CREATE TABLE IF NOT EXISTS coin_transactions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coin_id      UUID NOT NULL REFERENCES coins (id) ON DELETE RESTRICT,
    kind         TEXT NOT NULL,
    from_user_id UUID REFERENCES users (id) ON DELETE RESTRICT,
    to_user_id   UUID REFERENCES users (id) ON DELETE RESTRICT,
    pool_id      UUID REFERENCES liquidity_pools (id) ON DELETE RESTRICT,
    amount       NUMERIC(38, 18) NOT NULL,
    -- Free-form correlation, e.g. an on-chain hash or the swap's request id.
    reference    TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT coin_transactions_kind_known
        CHECK (kind IN ('mint', 'transfer', 'burn', 'swap', 'add_liquidity', 'remove_liquidity')),
    CONSTRAINT coin_transactions_amount_positive CHECK (amount > 0),
    CONSTRAINT coin_transactions_shape CHECK (CASE kind
        WHEN 'mint' THEN from_user_id IS NULL AND to_user_id IS NOT NULL AND pool_id IS NULL
        WHEN 'burn' THEN from_user_id IS NOT NULL AND to_user_id IS NULL AND pool_id IS NULL
        WHEN 'transfer' THEN from_user_id IS NOT NULL AND to_user_id IS NOT NULL
            AND from_user_id <> to_user_id AND pool_id IS NULL
        WHEN 'swap' THEN pool_id IS NOT NULL AND num_nonnulls(from_user_id, to_user_id) = 1
        WHEN 'add_liquidity' THEN pool_id IS NOT NULL AND from_user_id IS NOT NULL AND to_user_id IS NULL
        WHEN 'remove_liquidity' THEN pool_id IS NOT NULL AND from_user_id IS NULL AND to_user_id IS NOT NULL
    END)
);

CREATE INDEX IF NOT EXISTS coin_transactions_coin_id_idx ON coin_transactions (coin_id, created_at);
CREATE INDEX IF NOT EXISTS coin_transactions_from_user_id_idx ON coin_transactions (from_user_id);
CREATE INDEX IF NOT EXISTS coin_transactions_to_user_id_idx ON coin_transactions (to_user_id);
CREATE INDEX IF NOT EXISTS coin_transactions_pool_id_idx ON coin_transactions (pool_id);

-- Immutable: corrections are new rows (a compensating transfer or burn).
CREATE OR REPLACE TRIGGER coin_transactions_immutable
    BEFORE UPDATE OR DELETE ON coin_transactions
    FOR EACH ROW EXECUTE FUNCTION audifi_forbid_modification();
CREATE OR REPLACE TRIGGER coin_transactions_no_truncate
    BEFORE TRUNCATE ON coin_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_modification();

-- Add delta to one holder's balance. The row is created at 0 first so that
-- a debit of a missing balance fails the same CHECK as an overdraft.
CREATE OR REPLACE FUNCTION coin_balance_add(p_coin_id UUID, p_user_id UUID, p_delta NUMERIC)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coin_balances (coin_id, user_id) VALUES (p_coin_id, p_user_id)
        ON CONFLICT (coin_id, user_id) DO NOTHING;
    UPDATE coin_balances SET balance = balance + p_delta
        WHERE coin_id = p_coin_id AND user_id = p_user_id;
END;
$$;

-- Apply one ledger row to balances, supply and reserves, in the inserting
-- transaction. Row locks on the touched balances serialise concurrent
-- movements; transfers lock both balances in user-id order to avoid deadlocks.
CREATE OR REPLACE FUNCTION coin_transactions_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    coin_decimals SMALLINT;
    pool_delta    NUMERIC;
BEGIN
    SELECT decimals INTO coin_decimals FROM coins WHERE id = NEW.coin_id;
    IF NEW.amount <> round(NEW.amount, coin_decimals) THEN
        RAISE EXCEPTION 'amount % has more than % decimals allowed by the coin', NEW.amount, coin_decimals
            USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_amount_precision';
    END IF;

    CASE NEW.kind
    WHEN 'mint' THEN
        UPDATE coins SET total_supply = total_supply + NEW.amount WHERE id = NEW.coin_id;
        PERFORM coin_balance_add(NEW.coin_id, NEW.to_user_id, NEW.amount);
    WHEN 'burn' THEN
        PERFORM coin_balance_add(NEW.coin_id, NEW.from_user_id, -NEW.amount);
        UPDATE coins SET total_supply = total_supply - NEW.amount WHERE id = NEW.coin_id;
    WHEN 'transfer' THEN
        IF NEW.from_user_id < NEW.to_user_id THEN
            PERFORM coin_balance_add(NEW.coin_id, NEW.from_user_id, -NEW.amount);
            PERFORM coin_balance_add(NEW.coin_id, NEW.to_user_id, NEW.amount);
        ELSE
            PERFORM coin_balance_add(NEW.coin_id, NEW.to_user_id, NEW.amount);
            PERFORM coin_balance_add(NEW.coin_id, NEW.from_user_id, -NEW.amount);
        END IF;
    ELSE
        -- A pool leg: the user's balance first, then the pool's reserve.
        IF NEW.from_user_id IS NOT NULL THEN
            PERFORM coin_balance_add(NEW.coin_id, NEW.from_user_id, -NEW.amount);
            pool_delta := NEW.amount;
        ELSE
            PERFORM coin_balance_add(NEW.coin_id, NEW.to_user_id, NEW.amount);
            pool_delta := -NEW.amount;
        END IF;
        UPDATE liquidity_pools
           SET reserve_a = reserve_a + CASE WHEN coin_a_id = NEW.coin_id THEN pool_delta ELSE 0 END,
               reserve_b = reserve_b + CASE WHEN coin_b_id = NEW.coin_id THEN pool_delta ELSE 0 END
         WHERE id = NEW.pool_id AND NEW.coin_id IN (coin_a_id, coin_b_id);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'coin % is not traded in pool %', NEW.coin_id, NEW.pool_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'coin_transactions_coin_in_pool';
        END IF;
    END CASE;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER coin_transactions_apply
    AFTER INSERT ON coin_transactions
    FOR EACH ROW EXECUTE FUNCTION coin_transactions_apply();
