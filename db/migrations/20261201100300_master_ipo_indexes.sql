-- audifi-db: no-transaction
-- Master IPO, round two (online part): one purchase per client request, and
-- the constraints of 20261201100200 validated. The unique index is built
-- CONCURRENTLY (purchases go on); each VALIDATE takes SHARE UPDATE EXCLUSIVE,
-- which does not block reads or writes.

-- A replayed purchase request (same owner, same key) is refused with 23505
-- instead of buying twice. Rows from before this release have no key (NULL),
-- which a unique index never compares.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ownership_owner_idempotency_key
    ON ownership (owner_id, idempotency_key);

ALTER TABLE masters VALIDATE CONSTRAINT masters_total_shares_positive;
ALTER TABLE ownership VALIDATE CONSTRAINT ownership_kind_known;
ALTER TABLE ownership VALIDATE CONSTRAINT ownership_shares_sign_matches_kind;
ALTER TABLE ownership VALIDATE CONSTRAINT ownership_idempotency_key_format;
