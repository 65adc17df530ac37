-- When a teammate made a change, by their clock (sync protocol 3), beside `changed_at`, when it
-- reached this database: history shows the first, while as-of and the archive's checks keep
-- reading `changed_at`, so a document issued before the change arrived is made again alike.
ALTER TABLE history ADD COLUMN made_at TEXT;
