-- Master IPO, round two: share ownership is append-only history, a purchase
-- must match its IPO (open, inside the sale window, at the IPO's price), an
-- IPO moves only forward through its states, a master cannot sell more shares
-- over all its IPOs than it has, and every purchase carries the client's
-- idempotency key. Bulk purchases update each IPO once (statement-level
-- trigger over a transition table) and lock IPOs, then masters, in id order.
-- Re-runnable. Constraints are added NOT VALID (instant) and validated, with
-- the idempotency index built CONCURRENTLY, in 20261201100300.

-- Every ALTER below takes a brief ACCESS EXCLUSIVE lock: give up rather than
-- queue behind a long transaction (and stall everything queued behind us).
SET LOCAL lock_timeout = '1s';

-- A master is divided into total_shares shares; all its IPOs together never
-- sell more. A constant default is stored in the catalogue: no rewrite.
ALTER TABLE masters ADD COLUMN IF NOT EXISTS total_shares INTEGER NOT NULL DEFAULT 1000000;
ALTER TABLE masters DROP CONSTRAINT IF EXISTS masters_total_shares_positive;
ALTER TABLE masters ADD CONSTRAINT masters_total_shares_positive CHECK (total_shares > 0) NOT VALID;

-- Ownership rows: a purchase (shares > 0) or a refund (shares < 0, the
-- compensating row that corrects a purchase; rows are never changed).
ALTER TABLE ownership ADD COLUMN IF NOT EXISTS kind TEXT NOT NULL DEFAULT 'purchase';
ALTER TABLE ownership ADD COLUMN IF NOT EXISTS idempotency_key TEXT;
ALTER TABLE ownership DROP CONSTRAINT IF EXISTS ownership_kind_known;
ALTER TABLE ownership ADD CONSTRAINT ownership_kind_known CHECK (kind IN ('purchase', 'refund')) NOT VALID;
-- Replaces ownership_shares_positive, which a refund row would violate.
ALTER TABLE ownership DROP CONSTRAINT IF EXISTS ownership_shares_positive;
ALTER TABLE ownership DROP CONSTRAINT IF EXISTS ownership_shares_sign_matches_kind;
ALTER TABLE ownership ADD CONSTRAINT ownership_shares_sign_matches_kind
    CHECK (CASE kind WHEN 'refund' THEN shares < 0 ELSE shares > 0 END) NOT VALID;
ALTER TABLE ownership DROP CONSTRAINT IF EXISTS ownership_idempotency_key_format;
ALTER TABLE ownership ADD CONSTRAINT ownership_idempotency_key_format
    CHECK (btrim(idempotency_key) <> '' AND length(idempotency_key) <= 200) NOT VALID;

-- History is append-only: no UPDATE, DELETE or TRUNCATE of ownership, whatever
-- the rows (statement level: even a statement matching no row is refused).
CREATE OR REPLACE TRIGGER ownership_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ownership
    FOR EACH STATEMENT EXECUTE FUNCTION audifi_forbid_modification();

-- An IPO's life: pending (the draft) -> open -> closed, or -> cancelled from
-- pending or open. Only forward; closed and cancelled are final (their terms
-- freeze too). It is created pending or open, its price is fixed once it
-- leaves the draft (buyers pay the IPO's price), and only a draft can be
-- deleted (a draft has no sales).
CREATE OR REPLACE FUNCTION ipos_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'pending' THEN
            RAISE EXCEPTION 'IPO % is %: only a draft (pending) IPO can be deleted', OLD.id, OLD.status
                USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ipos_delete_only_draft',
                      HINT = 'Cancel it instead: UPDATE ipos SET status = ''cancelled''.';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.status NOT IN ('pending', 'open', 'closed', 'cancelled') THEN
        RETURN NEW;  -- ipos_status_known refuses it
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('pending', 'open') THEN
            RAISE EXCEPTION 'an IPO is created pending or open, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ipos_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status, NEW.status) NOT IN (('pending', 'open'), ('pending', 'cancelled'),
                                            ('open', 'closed'), ('open', 'cancelled')) THEN
        RAISE EXCEPTION 'IPO % cannot go from % to %: pending -> open -> closed, or -> cancelled; closed and cancelled are final',
                OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ipos_status_transition';
    END IF;
    IF OLD.status IN ('closed', 'cancelled')
       AND (NEW.total_shares, NEW.share_price, NEW.start_date, NEW.end_date)
           IS DISTINCT FROM (OLD.total_shares, OLD.share_price, OLD.start_date, OLD.end_date) THEN
        RAISE EXCEPTION 'IPO % is %: its terms are final', OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ipos_final';
    END IF;
    IF OLD.status <> 'pending' AND NEW.share_price IS DISTINCT FROM OLD.share_price THEN
        RAISE EXCEPTION 'IPO % is %: its share price is fixed once it leaves the draft', OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ipos_price_fixed';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER ipos_lifecycle
    BEFORE INSERT OR UPDATE OR DELETE ON ipos
    FOR EACH ROW EXECUTE FUNCTION ipos_lifecycle();
-- Moving an IPO (and the shares it sold) to another master would break both
-- masters' totals.
CREATE OR REPLACE TRIGGER ipos_master_fixed
    BEFORE UPDATE OF master_id ON ipos
    FOR EACH ROW EXECUTE FUNCTION audifi_forbid_change('ipos_master_fixed', 'master_id');

-- A master's total cannot drop below what its IPOs sold. The row is locked
-- before this runs, and purchases lock the master row before they count, so
-- a purchase and a shrinking total cannot both slip through.
CREATE OR REPLACE FUNCTION masters_total_covers_sold() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sold BIGINT;
BEGIN
    SELECT coalesce(sum(shares_sold), 0) INTO sold FROM ipos WHERE master_id = NEW.id;
    IF NEW.total_shares < sold THEN
        RAISE EXCEPTION 'master % sold % shares over its IPOs: its total cannot be %', NEW.id, sold, NEW.total_shares
            USING ERRCODE = 'check_violation', CONSTRAINT = 'masters_shares_sold_within_total';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER masters_total_covers_sold
    BEFORE UPDATE OF total_shares ON masters
    FOR EACH ROW EXECUTE FUNCTION masters_total_covers_sold();

-- The rules of a purchase, checked once per statement over its rows
-- (new_rows), then shares_sold updated once per IPO. Under READ COMMITTED
-- the second of two buyers of the last shares waits for the first's IPO lock
-- and then sees its sale; under REPEATABLE READ or SERIALIZABLE it gets a
-- serialization failure (40001). Locks: IPOs, then masters, each in id order.
CREATE OR REPLACE FUNCTION ownership_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT * INTO bad FROM new_rows WHERE idempotency_key IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ownership row for IPO % has no idempotency_key: every purchase carries the client''s request key', bad.ipo_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_idempotency_key_required';
    END IF;
    -- The window is checked against the server's clock, so the row says that time.
    SELECT * INTO bad FROM new_rows WHERE purchased_at <> now() LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'purchased_at % is not the time of the purchase (%): leave it to its default', bad.purchased_at, now()
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_purchased_at_is_now';
    END IF;

    PERFORM 1 FROM ipos WHERE id IN (SELECT ipo_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
    PERFORM 1 FROM masters
     WHERE id IN (SELECT master_id FROM ipos WHERE id IN (SELECT ipo_id FROM new_rows))
     ORDER BY id FOR NO KEY UPDATE;

    SELECT n.ipo_id, i.status INTO bad FROM new_rows n JOIN ipos i ON i.id = n.ipo_id
     WHERE n.kind = 'purchase' AND i.status <> 'open' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'IPO % is %, shares can only be bought while it is open', bad.ipo_id, bad.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_ipo_open';
    END IF;
    SELECT n.ipo_id, i.start_date, i.end_date INTO bad FROM new_rows n JOIN ipos i ON i.id = n.ipo_id
     WHERE n.kind = 'purchase' AND NOT (now() >= i.start_date AND (i.end_date IS NULL OR now() < i.end_date)) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'IPO % sells from % to %, not at %', bad.ipo_id, bad.start_date, coalesce(bad.end_date::text, 'no end'), now()
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_within_sale_window';
    END IF;
    SELECT n.ipo_id, n.purchase_price, i.share_price INTO bad FROM new_rows n JOIN ipos i ON i.id = n.ipo_id
     WHERE n.purchase_price <> i.share_price LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'IPO % sells at % a share, not %', bad.ipo_id, bad.share_price, bad.purchase_price
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_price_matches_ipo';
    END IF;

    -- A refund gives back shares its owner holds (the sum includes this statement's rows).
    SELECT r.ipo_id, r.owner_id, r.held INTO bad
      FROM (SELECT k.ipo_id, k.owner_id,
                   (SELECT sum(o.shares) FROM ownership o WHERE o.ipo_id = k.ipo_id AND o.owner_id = k.owner_id) AS held
              FROM (SELECT DISTINCT ipo_id, owner_id FROM new_rows WHERE kind = 'refund') k) r
     WHERE r.held < 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'owner % would hold % shares of IPO %: a refund cannot exceed the shares held', bad.owner_id, bad.held, bad.ipo_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ownership_refund_within_holding';
    END IF;

    SELECT i.id, i.total_shares, i.shares_sold, d.delta INTO bad
      FROM (SELECT ipo_id, sum(shares) AS delta FROM new_rows GROUP BY ipo_id) d JOIN ipos i ON i.id = d.ipo_id
     WHERE i.shares_sold + d.delta > i.total_shares LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'IPO % has % of % shares left, % requested',
                bad.id, bad.total_shares - bad.shares_sold, bad.total_shares, bad.delta
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ipos_shares_sold_within_total';
    END IF;
    UPDATE ipos i SET shares_sold = i.shares_sold + d.delta
      FROM (SELECT ipo_id, sum(shares) AS delta FROM new_rows GROUP BY ipo_id) d
     WHERE i.id = d.ipo_id AND d.delta <> 0;

    SELECT m.id, m.total_shares, sum(i.shares_sold) AS sold INTO bad
      FROM masters m JOIN ipos i ON i.master_id = m.id
     WHERE m.id IN (SELECT master_id FROM ipos WHERE id IN (SELECT ipo_id FROM new_rows))
     GROUP BY m.id, m.total_shares HAVING sum(i.shares_sold) > m.total_shares LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'master % would have sold % of its % shares over all its IPOs', bad.id, bad.sold, bad.total_shares
            USING ERRCODE = 'check_violation', CONSTRAINT = 'masters_shares_sold_within_total';
    END IF;

    RETURN NULL;
END;
$$;

-- The row-level trigger of 20261125000200 becomes one call per statement.
CREATE OR REPLACE TRIGGER ownership_apply_shares
    AFTER INSERT ON ownership
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ownership_apply();

-- The row-level lock taken before the foreign key check locked IPOs in the
-- order of a statement's rows; ownership_apply now locks them in id order.
-- The trigger stays (dropping a trigger from a live table takes an ACCESS
-- EXCLUSIVE lock and old code may rely on it) but does nothing.
CREATE OR REPLACE FUNCTION ownership_lock_ipo() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;

-- Superseded by ownership_apply (the trigger no longer calls it).
DROP FUNCTION IF EXISTS ownership_apply_shares();
