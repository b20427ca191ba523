-- audifi-db: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS tracks_label ON tracks (label);
DROP INDEX CONCURRENTLY IF EXISTS tracks_label;
VACUUM tracks;
REINDEX TABLE CONCURRENTLY tracks;
ALTER TABLE tracks VALIDATE CONSTRAINT plays_pos;
