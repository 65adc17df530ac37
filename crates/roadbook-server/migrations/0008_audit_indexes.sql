-- roadbook: outside a transaction
-- Admins read the trail by person and by time. The trail is in use and may be large when this
-- runs, so each index is built CONCURRENTLY (writes go on while it builds), which PostgreSQL
-- allows only outside a transaction: the migration runner runs this file statement by
-- statement, after dropping an invalid index a build that failed half-way left behind.
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_by_subject ON audit (subject, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_by_time ON audit (at);
