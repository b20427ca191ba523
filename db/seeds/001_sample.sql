-- Sample data for local development: two artists, three fans, an admin
-- treasury account, three masters (one open IPO with holders, one closed, one
-- pending), a live V Studio session, an artist coin with a pool, and a week of
-- analytics. Loaded by `audifi-db seed` (local environment only) in a single
-- transaction into a freshly deployed database. Fixed UUIDs keep it
-- reproducible; balances, supply, reserves, liquidity positions and shares
-- sold are derived by triggers from the ledger and ownership rows below.
-- IPO sale windows are relative to now(): purchases are accepted only inside
-- their window, at the server's time. Every purchase and ledger row carries
-- the client's idempotency key, as the backend would send it.

INSERT INTO users (id, email, handle, display_name, role, wallet_address, created_at) VALUES
    ('a0000000-0000-4000-8000-000000000001', 'nova@novarae.music', 'novarae', 'Nova Rae', 'artist',
     '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '2026-09-01 10:00+00'),
    ('a0000000-0000-4000-8000-000000000002', 'Kofi.Mensah@Gmail.com', 'kofi_beats', 'Kofi Mensah', 'artist',
     NULL, '2026-09-12 16:30+00'),
    ('f0000000-0000-4000-8000-000000000001', 'lena.muller@example.de', 'lena_m', 'Lena Müller', 'fan',
     '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '2026-10-02 08:15+00'),
    ('f0000000-0000-4000-8000-000000000002', 'jun.park@example.kr', 'junpark', 'Jun Park', 'fan',
     '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '2026-10-05 12:00+00'),
    ('f0000000-0000-4000-8000-000000000003', 'sam.rivera@example.com', 'samr', 'Sam Rivera', 'fan',
     NULL, '2026-10-20 19:45+00'),
    ('e0000000-0000-4000-8000-000000000001', 'treasury@audifi.io', 'audifi_treasury', 'AudiFi Treasury', 'admin',
     '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb', '2026-08-15 09:00+00');

INSERT INTO password_credentials (user_id, password_hash, algorithm) VALUES
    ('a0000000-0000-4000-8000-000000000001',
     '$argon2id$v=19$m=65536,t=3,p=4$c2FtcGxlc2FsdDEyMzQ1Ng$Jm2mC7xWv5bB3d2pQw9mQeX1a0Q2l8hI1u7y0rTn3cE', 'argon2id'),
    ('a0000000-0000-4000-8000-000000000002',
     '$argon2id$v=19$m=65536,t=3,p=4$a29maXNhbHQxMjM0NTY3OA$u9oKk3bq8pYzJcT1e7Q4Jx0ZQm3hV5tLw2sN6rD8fAg', 'argon2id'),
    ('f0000000-0000-4000-8000-000000000001',
     '$2b$12$KIXQJ8pZ4bU1v9e7x3n2UeYw5l0c8T6rA1sD3fG7hJ9kL2mN4pQrS', 'bcrypt'),
    ('f0000000-0000-4000-8000-000000000002',
     '$argon2id$v=19$m=65536,t=3,p=4$anVuc2FsdDEyMzQ1Njc4OQ$Pq7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ2r', 'argon2id'),
    ('f0000000-0000-4000-8000-000000000003',
     '$argon2id$v=19$m=65536,t=3,p=4$c2Ftc2FsdDEyMzQ1Njc4OQ$Zx8cV6bN4mL2kJ0hG8fD6sA4pO2iU0yT8rE6wQ4tY1u', 'argon2id');

-- Nova protects her account with TOTP; the secret is application-encrypted bytes.
INSERT INTO two_factor_settings (user_id, method, totp_secret_encrypted, enabled_at) VALUES
    ('a0000000-0000-4000-8000-000000000001', 'totp',
     '\x01a3f09c5e7b2d4481c6e0f2a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6'::bytea,
     '2026-09-02 18:20+00');

INSERT INTO recovery_codes (user_id, code_hash) VALUES
    ('a0000000-0000-4000-8000-000000000001', 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
    ('a0000000-0000-4000-8000-000000000001', 'sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752'),
    ('a0000000-0000-4000-8000-000000000001', 'sha256:fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13');

INSERT INTO subscriptions (user_id, plan, status, provider, provider_reference,
                           current_period_start, current_period_end) VALUES
    ('a0000000-0000-4000-8000-000000000001', 'artist_pro', 'active', 'stripe', 'sub_1QbNovaRae0001',
     '2026-11-01 00:00+00', '2026-12-01 00:00+00'),
    ('f0000000-0000-4000-8000-000000000001', 'fan_plus', 'canceled', 'apple', '2000000812345678',
     '2026-10-02 08:20+00', '2026-11-02 08:20+00'),
    ('f0000000-0000-4000-8000-000000000001', 'fan_plus', 'active', 'stripe', 'sub_1QbLenaM0002',
     '2026-11-10 00:00+00', '2026-12-10 00:00+00');

-- Midnight Arcade's 100,000 shares are offered in tranches; Accra After Dark
-- was offered whole.
INSERT INTO masters (id, title, artist_id, ipfs_hash, total_shares) VALUES
    ('b0000000-0000-4000-8000-000000000001', 'Midnight Arcade', 'a0000000-0000-4000-8000-000000000001',
     'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', 100000),
    ('b0000000-0000-4000-8000-000000000002', 'Saltwater Letters', 'a0000000-0000-4000-8000-000000000001',
     'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', 50000),
    ('b0000000-0000-4000-8000-000000000003', 'Accra After Dark', 'a0000000-0000-4000-8000-000000000002',
     'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', 2000);

-- IPOs are created open so that purchases are accepted; the Kofi offering is
-- closed once sold out (a sixth share would be refused), the second Nova
-- master's offering is a draft (pending) waiting for approval.
INSERT INTO ipos (id, master_id, total_shares, share_price, start_date, end_date, status) VALUES
    ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 10000, 2.50000000,
     now() - interval '16 days', now() + interval '14 days', 'open'),
    ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', 5000, 4.00000000,
     now() + interval '40 days', now() + interval '71 days', 'pending'),
    ('c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003', 2000, 1.25000000,
     now() - interval '60 days', now() + interval '1 day', 'open');

INSERT INTO ownership (ipo_id, owner_id, shares, purchase_price, idempotency_key) VALUES
    ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001', 1200, 2.50000000, 'buy-7c1e0b52'),
    ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000002', 400, 2.50000000, 'buy-2f9a44d0'),
    ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000003', 75, 2.50000000, 'buy-91b3c7e4'),
    ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001', 300, 2.50000000, 'buy-0d6f2a18'),
    ('c0000000-0000-4000-8000-000000000003', 'f0000000-0000-4000-8000-000000000002', 1500, 1.25000000, 'buy-5e8c9b31'),
    ('c0000000-0000-4000-8000-000000000003', 'f0000000-0000-4000-8000-000000000003', 500, 1.25000000, 'buy-c4a17d90');

-- Sam changed his mind about 25 of his Midnight Arcade shares: a refund is a
-- compensating row, never an edit.
INSERT INTO ownership (ipo_id, owner_id, kind, shares, purchase_price, idempotency_key) VALUES
    ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000003', 'refund', -25, 2.50000000,
     'refund-91b3c7e4');

UPDATE ipos SET status = 'closed' WHERE id = 'c0000000-0000-4000-8000-000000000003';

INSERT INTO v_studio_sessions (id, host_id, title, status, started_at, master_id) VALUES
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001',
     'Midnight Arcade — remix vote', 'active', '2026-11-24 19:00+00', 'b0000000-0000-4000-8000-000000000001');

INSERT INTO session_participants (session_id, user_id, role, joined_at, left_at) VALUES
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'host', '2026-11-24 19:00+00', NULL),
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'producer', '2026-11-24 19:03+00', NULL),
    ('d0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001', 'listener', '2026-11-24 19:05+00', '2026-11-24 19:40+00'),
    ('d0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000002', 'listener', '2026-11-24 19:06+00', NULL);

-- Decisions are put to the vote of the participants present (Lena has left):
-- the bridge is decided, which records the winner and freezes the decision and
-- its votes; the tempo vote is still open (a decision is created open and
-- decided only from votes).
INSERT INTO session_decisions (id, session_id, decision_type, data, status) VALUES
    ('d1000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'bridge_vote',
     '{"question": "Which bridge?", "options": ["A", "B"]}', 'open'),
    ('d1000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000001', 'tempo',
     '{"question": "Tempo for the final mix?", "previous_bpm": 92, "options": ["92", "96"]}', 'open');
INSERT INTO session_decision_votes (decision_id, user_id, choice) VALUES
    ('d1000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'B'),
    ('d1000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'B'),
    ('d1000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000002', 'A'),
    ('d1000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', '96');
UPDATE session_decisions SET status = 'decided', data = data || '{"winner": "B", "votes": {"A": 1, "B": 2}}'
 WHERE id = 'd1000000-0000-4000-8000-000000000001';

INSERT INTO v_studio_events (session_id, user_id, event_type, payload, occurred_at) VALUES
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'session.start', '{}', '2026-11-24 19:00:00+00'),
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'participant.join', '{"role": "producer"}', '2026-11-24 19:03:10+00'),
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'track.edit', '{"track": "drums", "op": "gain", "db": -2.5}', '2026-11-24 19:08:42+00'),
    ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'transport.play', '{"position_ms": 64000}', '2026-11-24 19:10:05+00'),
    ('d0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001', 'chat.message', '{"text": "bridge B!"}', '2026-11-24 19:21:30+00');

-- AUDI is the platform quote coin; NOVA is Nova Rae's artist coin. The pool
-- pairs them (coin_a_id < coin_b_id).
INSERT INTO coins (id, artist_id, symbol, name, decimals, max_supply) VALUES
    ('10000000-0000-4000-8000-000000000001', NULL, 'AUDI', 'AudiFi Credit', 18, NULL),
    ('20000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'NOVA', 'Nova Rae Coin', 18,
     1000000);

INSERT INTO liquidity_pools (id, coin_a_id, coin_b_id, fee_bps) VALUES
    ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 30);

-- One statement: a swap's two legs (same swap_id and key) must arrive together.
INSERT INTO coin_transactions (coin_id, kind, from_user_id, to_user_id, pool_id, amount, reference, idempotency_key,
                               swap_id, created_at) VALUES
    -- Supply: NOVA minted to the artist, AUDI credits to the treasury and to Jun.
    ('20000000-0000-4000-8000-000000000001', 'mint', NULL, 'a0000000-0000-4000-8000-000000000001', NULL,
     600000, 'genesis', 'mint-nova-genesis', NULL, '2026-11-01 12:00+00'),
    ('10000000-0000-4000-8000-000000000001', 'mint', NULL, 'e0000000-0000-4000-8000-000000000001', NULL,
     50000, 'treasury funding', 'mint-audi-treasury', NULL, '2026-11-01 12:00+00'),
    ('10000000-0000-4000-8000-000000000001', 'mint', NULL, 'f0000000-0000-4000-8000-000000000002', NULL,
     500, 'card top-up ch_3QbJun', 'topup-ch_3QbJun', NULL, '2026-11-18 10:00+00'),
    -- Seed the pool: 100 000 NOVA against 25 000 AUDI.
    ('20000000-0000-4000-8000-000000000001', 'add_liquidity', 'a0000000-0000-4000-8000-000000000001', NULL,
     '30000000-0000-4000-8000-000000000001', 100000, 'pool genesis', 'pool-genesis-nova', NULL, '2026-11-02 09:00+00'),
    ('10000000-0000-4000-8000-000000000001', 'add_liquidity', 'e0000000-0000-4000-8000-000000000001', NULL,
     '30000000-0000-4000-8000-000000000001', 25000, 'pool genesis', 'pool-genesis-audi', NULL, '2026-11-02 09:00+00'),
    -- A gift from Nova to an early fan.
    ('20000000-0000-4000-8000-000000000001', 'transfer', 'a0000000-0000-4000-8000-000000000001',
     'f0000000-0000-4000-8000-000000000001', NULL, 5000, 'early supporter gift', 'gift-3a7d', NULL,
     '2026-11-05 15:00+00'),
    -- Jun swaps 100 AUDI for NOVA (constant product, 0.30 % fee): two legs, one swap.
    ('10000000-0000-4000-8000-000000000001', 'swap', 'f0000000-0000-4000-8000-000000000002', NULL,
     '30000000-0000-4000-8000-000000000001', 100, 'swap 7f3c', 'swap-7f3c', '40000000-0000-4000-8000-000000000001',
     '2026-11-19 20:41+00'),
    ('20000000-0000-4000-8000-000000000001', 'swap', NULL, 'f0000000-0000-4000-8000-000000000002',
     '30000000-0000-4000-8000-000000000001', 397.215902978920, 'swap 7f3c', 'swap-7f3c',
     '40000000-0000-4000-8000-000000000001', '2026-11-19 20:41+00'),
    -- Lena passes some on to Sam, who burns 50 for a backstage pass.
    ('20000000-0000-4000-8000-000000000001', 'transfer', 'f0000000-0000-4000-8000-000000000001',
     'f0000000-0000-4000-8000-000000000003', NULL, 250, 'split the merch order', 'merch-split-88', NULL,
     '2026-11-21 13:00+00'),
    ('20000000-0000-4000-8000-000000000001', 'burn', 'f0000000-0000-4000-8000-000000000003', NULL, NULL,
     50, 'backstage pass redemption', 'redeem-backstage-12', NULL, '2026-11-23 18:00+00');

INSERT INTO master_daily_metrics (master_id, metric_date, plays, unique_listeners, revenue) VALUES
    ('b0000000-0000-4000-8000-000000000001', '2026-11-20', 18432, 9120, 73.72800000),
    ('b0000000-0000-4000-8000-000000000001', '2026-11-21', 21877, 10544, 87.50800000),
    ('b0000000-0000-4000-8000-000000000001', '2026-11-22', 25310, 12003, 101.24000000),
    ('b0000000-0000-4000-8000-000000000001', '2026-11-23', 23904, 11490, 95.61600000),
    ('b0000000-0000-4000-8000-000000000003', '2026-11-22', 4120, 2988, 16.48000000),
    ('b0000000-0000-4000-8000-000000000003', '2026-11-23', 3987, 2876, 15.94800000);

INSERT INTO engagement_events (occurred_at, user_id, master_id, event_type, payload) VALUES
    ('2026-11-23 08:01:12+00', 'f0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'play', '{"ms_played": 201000, "source": "app"}'),
    ('2026-11-23 08:04:40+00', 'f0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'like', '{}'),
    ('2026-11-23 12:30:02+00', NULL, 'b0000000-0000-4000-8000-000000000001', 'play', '{"ms_played": 31000, "source": "embed"}'),
    ('2026-11-23 12:30:35+00', NULL, 'b0000000-0000-4000-8000-000000000001', 'skip', '{"ms_played": 33000}'),
    ('2026-11-23 21:15:00+00', 'f0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000003', 'play', '{"ms_played": 188500, "source": "app"}'),
    ('2026-11-24 09:00:00+00', 'f0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'ipo_view', '{"ipo_id": "c0000000-0000-4000-8000-000000000001"}'),
    ('2026-11-24 09:02:00+00', 'f0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'share', '{"channel": "whatsapp"}');
