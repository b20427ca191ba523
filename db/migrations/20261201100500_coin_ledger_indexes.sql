-- audifi-db: no-transaction
-- Artist coins, round two (online part): the unique indexes that make a
-- replayed request and a third swap leg fail, built CONCURRENTLY (ledger
-- writes go on), and the constraints of 20261201100400 validated (SHARE
-- UPDATE EXCLUSIVE: reads and writes go on).

-- One ledger movement per client request: the key is unique per sender, the
-- account whose request it is (the payer; for a mint or a payout from a pool,
-- the recipient). A swap's payout leg repeats its pay-in leg's key and is
-- left out. A replay fails with 23505 naming this index. Rows from before
-- this release have no key (NULL), which the index never compares.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS coin_transactions_sender_idempotency_key
    ON coin_transactions ((coalesce(from_user_id, to_user_id)), idempotency_key)
    WHERE NOT (kind = 'swap' AND from_user_id IS NULL);

-- A swap has one leg per coin: nothing can be added to it later.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS coin_transactions_swap_leg_key
    ON coin_transactions (swap_id, coin_id)
    WHERE swap_id IS NOT NULL;

ALTER TABLE coin_transactions VALIDATE CONSTRAINT coin_transactions_amount_positive;
ALTER TABLE coin_transactions VALIDATE CONSTRAINT coin_transactions_amount_fits;
ALTER TABLE coin_transactions VALIDATE CONSTRAINT coin_transactions_idempotency_key_format;
ALTER TABLE coin_transactions VALIDATE CONSTRAINT coin_transactions_swap_id_only_for_swaps;
