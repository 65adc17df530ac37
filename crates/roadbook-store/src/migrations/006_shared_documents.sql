-- The team's shared archive: whether a document issued here has reached the server, who
-- shared a document that came from a teammate, and how far this replica has read the
-- server's archive.
ALTER TABLE documents ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN shared_by TEXT;
ALTER TABLE sync_state ADD COLUMN documents_cursor INTEGER NOT NULL DEFAULT 0;
