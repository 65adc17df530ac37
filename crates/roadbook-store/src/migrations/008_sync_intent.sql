-- What keeps a person's intent whole through the sync.

-- Which server history this replica's cursor and versions belong to (the server says with every
-- answer; a restored server begins a new one), the person's role on the program as the server
-- last said it, and a publish sent whose answer has not come back (the server it went to):
-- the next publish or sync finishes it.
ALTER TABLE sync_state ADD COLUMN history TEXT;
ALTER TABLE sync_state ADD COLUMN role TEXT;
ALTER TABLE sync_state ADD COLUMN publishing TEXT;

-- Fields whose value on the server is this replica's own change, and the log position it got:
-- what to send again should the server lose it (a restore from a backup taken before).
CREATE TABLE own_writes (
    item_id    TEXT NOT NULL,
    field      TEXT NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    version    INTEGER NOT NULL,
    PRIMARY KEY (item_id, field)
) STRICT;

-- Changes from the server this replica could not apply (an item it holds under another
-- program, a body this build cannot read), set aside with the reason instead of stopping the
-- sync: the rest of the pull is applied and the cursor moves on.
CREATE TABLE set_aside (
    id          INTEGER PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    item_kind   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    -- The change as the server sent it.
    change      TEXT NOT NULL CHECK (json_valid(change)),
    reason      TEXT NOT NULL,
    set_aside_at TEXT NOT NULL
) STRICT;
