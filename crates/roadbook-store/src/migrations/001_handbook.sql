-- The first schema. Released migrations are never edited: add a new numbered file instead.

-- Marks the file as a Roadbook database ('RBK1'), so another application's SQLite file is
-- refused instead of being written into.
PRAGMA application_id = 1380076337;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE programs (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
) STRICT;

-- Every item of every kind, the program record included. The body is the item as JSON, one
-- member per field: history, versions and sync all work field by field over the same shape, and
-- the model crate validates every body before it is written.
CREATE TABLE items (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind       TEXT NOT NULL,
    -- Insertion order within the program: keeps lists in the order the lead wrote them.
    position   INTEGER NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body)),
    -- {field: version}; each edit of a field bumps its version (the sync's base version).
    versions   TEXT NOT NULL CHECK (json_valid(versions)),
    -- Deletes are tombstones: the sync and the history need the item to stay.
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX items_in_program ON items (program_id, position);

-- One row per changed field. Values are JSON; NULL means the field did not exist (creation).
CREATE TABLE history (
    id         INTEGER PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    item_kind  TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    author     TEXT NOT NULL,
    changed_at TEXT NOT NULL
) STRICT;

CREATE INDEX history_of_item ON history (item_id, id);
CREATE INDEX history_by_time ON history (program_id, changed_at);

-- Local changes not yet acknowledged by the server. seq is this client's sequence number:
-- AUTOINCREMENT so a number is never reused after acknowledged rows are dropped.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id TEXT NOT NULL REFERENCES programs (id),
    op         TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    item_kind  TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    -- {field: {"value": ..., "base_version": n}}
    fields     TEXT NOT NULL CHECK (json_valid(fields)),
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
