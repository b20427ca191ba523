CREATE TABLE artists (id bigint PRIMARY KEY, name text);
CREATE TABLE tracks (id bigint PRIMARY KEY, artist_id bigint, title varchar(50), plays integer, at timestamp, note text);
CREATE TABLE events (at date, n int) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE events_2027 (at date, n int);
CREATE MATERIALIZED VIEW track_counts AS SELECT artist_id, count(*) AS n FROM tracks GROUP BY artist_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE INDEX tracks_at ON tracks (at);
