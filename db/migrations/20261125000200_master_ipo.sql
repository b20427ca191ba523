-- Master IPO: masters (a recording's master rights), ipos (an offering of
-- shares in a master) and ownership (who bought how many shares).
-- Column names follow the seed sketch, so a seed-style INSERT naming only the
-- sketch's columns still works; every added column has a default.
-- The database guarantees that an IPO never sells more shares than it issued,
-- even when two purchases of the last shares commit at the same moment.

CREATE TABLE IF NOT EXISTS masters (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title      VARCHAR(255) NOT NULL,
    -- RESTRICT: an artist with masters is soft-deleted, never removed.
    artist_id  UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    ipfs_hash  VARCHAR(64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT masters_title_not_blank CHECK (btrim(title) <> ''),
    -- An IPFS CID (v0 "Qm..." base58 or v1 base32/base36): letters and digits only.
    CONSTRAINT masters_ipfs_hash_format CHECK (ipfs_hash ~ '^[A-Za-z0-9]{46,64}$')
);

CREATE INDEX IF NOT EXISTS masters_artist_id_idx ON masters (artist_id);
-- The same content pinned twice would be two masters for one recording.
CREATE UNIQUE INDEX IF NOT EXISTS masters_ipfs_hash_key ON masters (ipfs_hash) WHERE ipfs_hash IS NOT NULL;

CREATE OR REPLACE TRIGGER masters_set_updated_at
    BEFORE UPDATE ON masters
    FOR EACH ROW EXECUTE FUNCTION audifi_set_updated_at();

CREATE TABLE IF NOT EXISTS ipos (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    master_id    UUID NOT NULL REFERENCES masters (id) ON DELETE RESTRICT,
    total_shares INTEGER NOT NULL,
    share_price  NUMERIC(18, 8) NOT NULL,
    start_date   TIMESTAMPTZ NOT NULL,
    end_date     TIMESTAMPTZ,
    status       VARCHAR(20) NOT NULL DEFAULT 'pending',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Shares bought so far. Maintained only by the ownership trigger below;
    -- it is also the row every purchase locks, which serialises buyers.
    shares_sold  INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT ipos_total_shares_positive CHECK (total_shares > 0),
    CONSTRAINT ipos_share_price_positive CHECK (share_price > 0),
    CONSTRAINT ipos_end_after_start CHECK (end_date > start_date),
    -- pending -> open -> closed, or cancelled before closing.
    CONSTRAINT ipos_status_known CHECK (status IN ('pending', 'open', 'closed', 'cancelled')),
    -- Last line of defence: never more shares owned than issued.
    CONSTRAINT ipos_shares_sold_within_total CHECK (shares_sold BETWEEN 0 AND total_shares)
);

CREATE INDEX IF NOT EXISTS ipos_master_id_idx ON ipos (master_id);
-- At most one open IPO per master.
CREATE UNIQUE INDEX IF NOT EXISTS ipos_one_open_per_master ON ipos (master_id) WHERE status = 'open';

-- shares_sold starts at 0 and only the ownership trigger changes it.
CREATE OR REPLACE TRIGGER ipos_protect_shares_sold
    BEFORE INSERT OR UPDATE ON ipos
    FOR EACH ROW EXECUTE FUNCTION audifi_protect_derived('shares_sold');

CREATE TABLE IF NOT EXISTS ownership (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- RESTRICT on both: ownership is financial history. A user holding
    -- shares cannot be deleted, nor an IPO that sold any.
    ipo_id         UUID NOT NULL REFERENCES ipos (id) ON DELETE RESTRICT,
    owner_id       UUID NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    shares         INTEGER NOT NULL,
    -- Price paid per share.
    purchase_price NUMERIC(18, 8) NOT NULL,
    purchased_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ownership_shares_positive CHECK (shares > 0),
    CONSTRAINT ownership_purchase_price_positive CHECK (purchase_price > 0)
);

CREATE INDEX IF NOT EXISTS ownership_ipo_id_idx ON ownership (ipo_id);
CREATE INDEX IF NOT EXISTS ownership_owner_id_idx ON ownership (owner_id);

-- Purchases of one IPO queue up on its row. The lock is taken BEFORE the
-- ownership row is written: taking it after the foreign key check (which
-- share-locks the IPO row) would let two buyers deadlock instead.
CREATE OR REPLACE FUNCTION ownership_lock_ipo() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM ipos WHERE id = NEW.ipo_id FOR NO KEY UPDATE;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER ownership_lock_ipo
    BEFORE INSERT OR UPDATE OF ipo_id, shares ON ownership
    FOR EACH ROW EXECUTE FUNCTION ownership_lock_ipo();

-- Keeps ipos.shares_sold equal to the sum of ownership.shares and refuses a
-- purchase beyond total_shares. Under the IPO row lock, the second of two
-- concurrent buyers sees the first's shares once it commits (READ COMMITTED)
-- or gets a serialization failure (REPEATABLE READ / SERIALIZABLE, because
-- the row was updated). Either way exactly one of two purchases of the last
-- shares commits.
CREATE OR REPLACE FUNCTION ownership_apply_shares() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ipo ipos%ROWTYPE;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE ipos SET shares_sold = shares_sold - OLD.shares WHERE id = OLD.ipo_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT * INTO ipo FROM ipos WHERE id = NEW.ipo_id FOR NO KEY UPDATE;
        -- New purchases only while the offering is open.
        IF TG_OP = 'INSERT' AND ipo.status <> 'open' THEN
            RAISE EXCEPTION 'IPO % is %, shares can only be bought while it is open', ipo.id, ipo.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_ipo_open';
        END IF;
        IF ipo.shares_sold + NEW.shares > ipo.total_shares THEN
            RAISE EXCEPTION 'IPO % has % of % shares left, % requested',
                    ipo.id, ipo.total_shares - ipo.shares_sold, ipo.total_shares, NEW.shares
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ipos_shares_sold_within_total';
        END IF;
        UPDATE ipos SET shares_sold = shares_sold + NEW.shares WHERE id = NEW.ipo_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER ownership_apply_shares
    AFTER INSERT OR UPDATE OF ipo_id, shares OR DELETE ON ownership
    FOR EACH ROW EXECUTE FUNCTION ownership_apply_shares();

-- total_shares cannot shrink below what was already sold: the CHECK
-- ipos_shares_sold_within_total covers that update as well.
