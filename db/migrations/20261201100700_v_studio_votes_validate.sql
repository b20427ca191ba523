-- audifi-db: no-transaction
-- V Studio, round two (online part): the status check added NOT VALID in
-- 20261201100600, validated under SHARE UPDATE EXCLUSIVE (sessions go on).
ALTER TABLE session_decisions VALIDATE CONSTRAINT session_decisions_status_known;
