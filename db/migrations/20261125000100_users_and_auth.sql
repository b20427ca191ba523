-- Users and auth: accounts, password credentials, 2FA settings, recovery codes
-- and subscriptions. Every other area references users, so this runs first.
-- Also defines the shared trigger functions used by later migrations.
-- Re-runnable: IF NOT EXISTS / OR REPLACE everywhere.

-- Shared: keep updated_at current on every UPDATE, whatever the application sends.
CREATE OR REPLACE FUNCTION audifi_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Shared: refuse UPDATE, DELETE and TRUNCATE on append-only tables (ledgers,
-- event streams). Attached as BEFORE ... FOR EACH STATEMENT/ROW triggers.
CREATE OR REPLACE FUNCTION audifi_forbid_modification() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a compensating row instead of changing history.';
END;
$$;

-- Shared: protect columns (or whole rows) that only maintenance triggers may
-- write, e.g. balances derived from a ledger. TG_ARGV lists the protected
-- columns; with no argument the whole row is protected. A write coming from
-- another trigger (pg_trigger_depth() > 1) is the maintenance path and passes.
-- On INSERT protected columns must hold 0; on UPDATE they must not change.
CREATE OR REPLACE FUNCTION audifi_protect_derived() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_NARGS = 0 THEN
        RAISE EXCEPTION '% is maintained by triggers: direct % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (TG_OP = 'INSERT' AND (to_jsonb(NEW) ->> col)::numeric <> 0)
           OR (TG_OP = 'UPDATE' AND (to_jsonb(NEW) -> col) IS DISTINCT FROM (to_jsonb(OLD) -> col)) THEN
            RAISE EXCEPTION '%.% is maintained by triggers: it cannot be written directly', TG_TABLE_NAME, col
                USING ERRCODE = 'restrict_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE TABLE IF NOT EXISTS users (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email          TEXT NOT NULL,
    handle         TEXT NOT NULL,
    display_name   TEXT,
    role           TEXT NOT NULL DEFAULT 'fan',
    wallet_address TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Soft delete: accounts with financial history are never removed.
    deleted_at     TIMESTAMPTZ,
    -- A plausible address, not a full RFC 5322 parser: one @, a dot in the domain, no blanks.
    CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
    -- Handles appear in URLs (@handle): letters, digits, underscore.
    CONSTRAINT users_handle_format CHECK (handle ~ '^[A-Za-z0-9_]{3,30}$'),
    CONSTRAINT users_role_known CHECK (role IN ('artist', 'fan', 'admin')),
    -- An EVM address: 0x followed by 40 hex digits.
    CONSTRAINT users_wallet_address_format CHECK (wallet_address ~ '^0x[0-9A-Fa-f]{40}$'),
    CONSTRAINT users_deleted_after_created CHECK (deleted_at >= created_at)
);

-- One account per email regardless of case (Ana@x.io and ana@x.io are the
-- same person), including soft-deleted accounts: an email is never reused.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email));
-- Handles and wallets identify people publicly: unique regardless of case too.
CREATE UNIQUE INDEX IF NOT EXISTS users_handle_lower_key ON users (lower(handle));
CREATE UNIQUE INDEX IF NOT EXISTS users_wallet_address_lower_key ON users (lower(wallet_address))
    WHERE wallet_address IS NOT NULL;

CREATE OR REPLACE TRIGGER users_set_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();

-- Password credentials: only the hash and the algorithm that produced it
-- (the salt and parameters live inside the encoded hash). Never the password.
CREATE TABLE IF NOT EXISTS password_credentials (
    user_id       UUID PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
    password_hash TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT password_credentials_hash_not_blank CHECK (length(password_hash) >= 20),
    CONSTRAINT password_credentials_algorithm_known CHECK (algorithm IN ('argon2id', 'bcrypt', 'scrypt'))
);

CREATE OR REPLACE TRIGGER password_credentials_set_updated_at
    BEFORE UPDATE ON password_credentials
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();

-- Two-factor settings, one row per user. The TOTP secret is stored encrypted
-- by the application (envelope encryption), as bytes: never as text.
CREATE TABLE IF NOT EXISTS two_factor_settings (
    user_id                 UUID PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
    method                  TEXT NOT NULL,
    totp_secret_encrypted   BYTEA,
    enabled_at              TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT two_factor_settings_method_known CHECK (method IN ('totp', 'webauthn', 'sms')),
    -- TOTP cannot work without its secret; other methods must not carry one.
    CONSTRAINT two_factor_settings_totp_has_secret
        CHECK ((method = 'totp') = (totp_secret_encrypted IS NOT NULL))
);

-- Recovery codes: hashed, single use (used_at set once consumed).
CREATE TABLE IF NOT EXISTS recovery_codes (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT recovery_codes_hash_not_blank CHECK (length(code_hash) >= 20),
    -- The same code twice for one user would be a generator bug.
    CONSTRAINT recovery_codes_user_code_key UNIQUE (user_id, code_hash)
);
-- The unique constraint above leads with user_id: it is the foreign key's index.

-- Subscriptions: billing history, never deleted by a cascade.
CREATE TABLE IF NOT EXISTS subscriptions (
    id                   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    plan                 TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active',
    provider             TEXT NOT NULL,
    provider_reference   TEXT NOT NULL,
    current_period_start TIMESTAMPTZ NOT NULL,
    current_period_end   TIMESTAMPTZ NOT NULL,
    canceled_at          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_plan_known CHECK (plan IN ('fan_plus', 'artist_pro', 'label')),
    CONSTRAINT subscriptions_status_known
        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
    CONSTRAINT subscriptions_provider_known CHECK (provider IN ('stripe', 'apple', 'google')),
    CONSTRAINT subscriptions_period_end_after_start CHECK (current_period_end > current_period_start),
    -- A provider reference (e.g. Stripe sub_...) belongs to exactly one row.
    CONSTRAINT subscriptions_provider_reference_key UNIQUE (provider, provider_reference)
);

CREATE INDEX IF NOT EXISTS subscriptions_user_id_idx ON subscriptions (user_id);
-- At most one live subscription per user: a double click or a replayed
-- webhook cannot start a second one, even when both commit at once.
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_one_live_per_user
    ON subscriptions (user_id)
    WHERE status IN ('trialing', 'active', 'past_due');

CREATE OR REPLACE TRIGGER subscriptions_set_updated_at
    BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();
