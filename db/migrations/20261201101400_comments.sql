-- Documentation in the catalogue: what every table is for and what every
-- non-obvious column means, where psql's \d+, the ER diagram's readers and
-- BI tools see it. Tables added in this round carry their comments in their
-- own migrations. COMMENT takes SHARE UPDATE EXCLUSIVE (no reads or writes
-- wait). Re-runnable.

COMMENT ON TABLE users IS
    'An AudiFi account (artist, fan or admin). Soft-deleted (deleted_at), never removed once it has history; email, handle and wallet identify one account each.';
COMMENT ON COLUMN users.email IS 'Login email; unique after audifi_fold_email() (case and accents folded whatever the locale; users_email_folded_key), soft-deleted accounts included.';
COMMENT ON COLUMN users.handle IS 'Public @handle: 3-30 letters, digits, underscore; unique regardless of case.';
COMMENT ON COLUMN users.role IS 'artist, fan or admin.';
COMMENT ON COLUMN users.wallet_address IS 'EVM address (0x + 40 hex digits), unique regardless of case; NULL when none linked.';
COMMENT ON COLUMN users.deleted_at IS 'Soft delete: set instead of deleting an account with financial history.';

COMMENT ON TABLE password_credentials IS 'A user''s password, as the encoded hash the backend wrote (argon2id, bcrypt or scrypt); never the password.';
COMMENT ON COLUMN password_credentials.password_hash IS 'Encoded hash including salt and parameters; its format must match algorithm (password_credentials_hash_format).';
COMMENT ON COLUMN password_credentials.algorithm IS 'argon2id, bcrypt or scrypt: the format of password_hash.';

COMMENT ON TABLE two_factor_settings IS 'A user''s second factor, one row per user.';
COMMENT ON COLUMN two_factor_settings.method IS 'totp, webauthn or sms.';
COMMENT ON COLUMN two_factor_settings.totp_secret_encrypted IS 'TOTP secret encrypted by the application (envelope encryption), as bytes; only for method totp.';
COMMENT ON COLUMN two_factor_settings.enabled_at IS 'When the user confirmed the factor; NULL while being set up.';

COMMENT ON TABLE recovery_codes IS 'Single-use 2FA recovery codes, hashed; a used code stays used (recovery_codes_single_use).';
COMMENT ON COLUMN recovery_codes.code_hash IS 'Hash of the code (the code itself is shown to the user once and never stored).';
COMMENT ON COLUMN recovery_codes.used_at IS 'When the code was consumed; NULL while unused. Set once, never cleared.';

COMMENT ON TABLE subscriptions IS 'Billing history: one row per subscription at a store or payment provider; at most one live (trialing, active, past_due) per user.';
COMMENT ON COLUMN subscriptions.plan IS 'fan_plus, artist_pro or label.';
COMMENT ON COLUMN subscriptions.status IS 'trialing, active, past_due (live) or canceled, expired.';
COMMENT ON COLUMN subscriptions.provider IS 'Who bills it: stripe, apple or google.';
COMMENT ON COLUMN subscriptions.provider_reference IS 'The provider''s id for it (e.g. Stripe sub_...); unique per provider.';
COMMENT ON COLUMN subscriptions.current_period_start IS 'Start of the period paid for.';
COMMENT ON COLUMN subscriptions.current_period_end IS 'End of the period paid for (after its start).';
COMMENT ON COLUMN subscriptions.canceled_at IS 'When cancellation was requested; the subscription may run to the period end.';

COMMENT ON TABLE masters IS 'A recording''s master rights, divided into total_shares shares sold through IPOs.';
COMMENT ON COLUMN masters.artist_id IS 'The artist who owns the master.';
COMMENT ON COLUMN masters.ipfs_hash IS 'IPFS CID of the pinned master (v0 or v1); unique when present.';
COMMENT ON COLUMN masters.total_shares IS 'Shares the master is divided into: all its IPOs together never sell more (masters_shares_sold_within_total).';

COMMENT ON TABLE ipos IS 'An offering of shares of a master: pending (draft) -> open -> closed, or cancelled; at most one open per master.';
COMMENT ON COLUMN ipos.total_shares IS 'Shares offered by this IPO.';
COMMENT ON COLUMN ipos.share_price IS 'Price of one share in USD; every purchase pays exactly this; fixed once the IPO leaves the draft.';
COMMENT ON COLUMN ipos.start_date IS 'Sale window start: purchases only from then (server time).';
COMMENT ON COLUMN ipos.end_date IS 'Sale window end (exclusive); NULL: open-ended.';
COMMENT ON COLUMN ipos.status IS 'pending (the draft), open, closed or cancelled; only forward (ipos_lifecycle); closed and cancelled are final.';
COMMENT ON COLUMN ipos.shares_sold IS 'Sum of its ownership rows'' shares; maintained by ownership_apply only.';

COMMENT ON TABLE ownership IS 'Share ownership history: one row per purchase or refund, append-only (corrections are refund rows). Holdings are sums per owner and IPO.';
COMMENT ON COLUMN ownership.owner_id IS 'The buyer.';
COMMENT ON COLUMN ownership.shares IS 'Shares bought (> 0) or refunded (< 0, kind refund).';
COMMENT ON COLUMN ownership.purchase_price IS 'Price paid (or refunded) per share: the IPO''s share_price.';
COMMENT ON COLUMN ownership.purchased_at IS 'Server time of the purchase (the transaction''s now()).';
COMMENT ON COLUMN ownership.kind IS 'purchase or refund (the compensating row of a purchase).';
COMMENT ON COLUMN ownership.idempotency_key IS 'The client''s request id; unique per owner, so a replayed request buys once. NULL only on rows from before 2026-12.';

COMMENT ON TABLE v_studio_sessions IS 'A V Studio collaboration session hosted by an artist, optionally on a master.';
COMMENT ON COLUMN v_studio_sessions.host_id IS 'The user who runs the session.';
COMMENT ON COLUMN v_studio_sessions.master_id IS 'The master being worked on, if any.';
COMMENT ON COLUMN v_studio_sessions.status IS 'scheduled, active, ended or cancelled; only ended sessions have ended_at.';
COMMENT ON COLUMN v_studio_sessions.started_at IS 'When the session started (or is scheduled to start).';
COMMENT ON COLUMN v_studio_sessions.ended_at IS 'When the session ended (status ended).';

COMMENT ON TABLE session_participants IS 'Who was in a V Studio session: one row per stay (leaving and rejoining makes a new row), present at most once at a time.';
COMMENT ON COLUMN session_participants.role IS 'Role during the stay: host, producer, artist, engineer or listener.';
COMMENT ON COLUMN session_participants.joined_at IS 'When this stay began.';
COMMENT ON COLUMN session_participants.left_at IS 'When the user left; NULL while present.';

COMMENT ON TABLE session_decisions IS 'Decisions of a V Studio session (tempo, arrangement, votes): open while a vote runs, then decided and final.';
COMMENT ON COLUMN session_decisions.decision_type IS 'snake_case kind of decision, e.g. tempo, holder_vote.';
COMMENT ON COLUMN session_decisions.data IS 'The decision as a JSON object; for a vote, data->''options'' lists the choices.';
COMMENT ON COLUMN session_decisions.decided_at IS 'When it was decided (server time when an open vote is decided; until then, when the vote opened).';
COMMENT ON COLUMN session_decisions.decided_by IS 'Who made the call, when one person did; NULL for votes.';

COMMENT ON TABLE v_studio_events IS 'The real-time collaboration stream (edits, transport, chat), append-only, partitioned by month on occurred_at (UTC); 12 months kept (audifi_partition_policies).';
COMMENT ON COLUMN v_studio_events.event_type IS 'Dotted lower-case type, e.g. track.edit, chat.message.';
COMMENT ON COLUMN v_studio_events.payload IS 'Event details as a JSON object.';
COMMENT ON COLUMN v_studio_events.occurred_at IS 'When it happened; picks the partition: a month without one is refused.';

COMMENT ON TABLE coins IS 'Artist coins and the platform coin (AUDI). total_supply is derived from the ledger.';
COMMENT ON COLUMN coins.artist_id IS 'The artist behind the coin; NULL for a platform coin.';
COMMENT ON COLUMN coins.symbol IS 'Ticker: upper-case letters and digits, unique.';
COMMENT ON COLUMN coins.decimals IS 'Fractional digits an amount may have (0-18); fixed for ever once the coin exists.';
COMMENT ON COLUMN coins.max_supply IS 'Hard cap on total_supply; NULL: uncapped.';
COMMENT ON COLUMN coins.total_supply IS 'Minted minus burned = balances + pool reserves; maintained by coin_ledger_apply only.';

COMMENT ON TABLE liquidity_pools IS 'A constant-product pool pairing two coins (coin_a_id < coin_b_id, one pool per pair). Reserves are derived from the ledger.';
COMMENT ON COLUMN liquidity_pools.coin_a_id IS 'The pair''s smaller coin id; fixed once the pool exists.';
COMMENT ON COLUMN liquidity_pools.coin_b_id IS 'The pair''s larger coin id; fixed once the pool exists.';
COMMENT ON COLUMN liquidity_pools.reserve_a IS 'Amount of coin_a held by the pool; maintained by coin_ledger_apply only; never negative.';
COMMENT ON COLUMN liquidity_pools.reserve_b IS 'Amount of coin_b held by the pool; maintained by coin_ledger_apply only; never negative.';
COMMENT ON COLUMN liquidity_pools.fee_bps IS 'Swap fee in basis points (30 = 0.30 %), below 10,000.';

COMMENT ON TABLE coin_balances IS 'Each holder''s balance of each coin, derived from the ledger by coin_ledger_apply; never written directly, never negative.';
COMMENT ON COLUMN coin_balances.balance IS 'Sum of the holder''s ledger credits minus debits.';

COMMENT ON TABLE coin_transactions IS 'The coin ledger: the source of truth, immutable; inserting rows is the only way to move coins (mint, burn, transfer, swap legs, liquidity).';
COMMENT ON COLUMN coin_transactions.kind IS 'mint, burn, transfer, swap (one leg), add_liquidity or remove_liquidity; decides which of from_user_id, to_user_id and pool_id are set.';
COMMENT ON COLUMN coin_transactions.from_user_id IS 'The payer (debited); NULL for a mint or a payout from a pool.';
COMMENT ON COLUMN coin_transactions.to_user_id IS 'The payee (credited); NULL for a burn or a payment into a pool.';
COMMENT ON COLUMN coin_transactions.pool_id IS 'The pool of a swap leg or liquidity movement.';
COMMENT ON COLUMN coin_transactions.amount IS 'Positive amount, exactly as sent: never more decimals than the coin has (refused, not rounded).';
COMMENT ON COLUMN coin_transactions.reference IS 'Free-form correlation, e.g. an on-chain hash or a payment id.';
COMMENT ON COLUMN coin_transactions.idempotency_key IS 'The client''s request id, unique per sender (coin_transactions_sender_idempotency_key); a swap''s two legs share it. NULL only on rows from before 2026-12.';
COMMENT ON COLUMN coin_transactions.swap_id IS 'Ties a swap''s two legs, inserted by one statement; NULL for every other kind.';

COMMENT ON TABLE master_daily_metrics IS 'Per master and day (UTC): plays, unique listeners and revenue; small, kept forever.';
COMMENT ON COLUMN master_daily_metrics.metric_date IS 'The day (UTC).';
COMMENT ON COLUMN master_daily_metrics.plays IS 'Plays that day.';
COMMENT ON COLUMN master_daily_metrics.unique_listeners IS 'Distinct listeners that day; at most plays.';
COMMENT ON COLUMN master_daily_metrics.revenue IS 'Revenue earned that day, in USD.';

COMMENT ON TABLE engagement_events IS 'Raw engagement events (plays, likes, shares...), partitioned by month on occurred_at (UTC). Kept 3 full months after the current one, once rolled up into analytics_engagement_monthly.';
COMMENT ON COLUMN engagement_events.occurred_at IS 'When it happened; picks the partition: a month without one is refused.';
COMMENT ON COLUMN engagement_events.user_id IS 'The listener; NULL when anonymous.';
COMMENT ON COLUMN engagement_events.master_id IS 'The master the event is about, if any.';
COMMENT ON COLUMN engagement_events.event_type IS 'play, skip, like, share, follow, comment, playlist_add or ipo_view.';
COMMENT ON COLUMN engagement_events.payload IS 'Event details as a JSON object (e.g. ms_played, source).';
