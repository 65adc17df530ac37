-- Ready for a team. Three changes, and a repair:
--
-- 1. Order is an order key (text, see roadbook_model::OrderKey) within the item's own list,
--    ordered by (position, id). A move changes one item and never renumbers a list. The old
--    REAL positions ordered the whole program, so moving statuses to the top three times put
--    them before the program record and every later load failed; the program record is now
--    found by its kind, and the keys below are made per list from the old order (the hook in
--    open.rs turns the placeholder text into keys), which repairs such a database.
-- 2. `versions` are the server's: the change-log position where the server last wrote each
--    field, 0 until the program is synced. Nothing has been synced before this schema, so all
--    start at 0. Local edits no longer bump them.
-- 3. `revisions` are local: per field, the id of the history row that last wrote it. An editor
--    sends the revisions it saw, so a change made meanwhile (by the CLI, or a teammate through
--    the sync) is never silently reverted.

CREATE TABLE items_keyed (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind       TEXT NOT NULL,
    -- The item's order key in its list (program, kind); ties are broken by id.
    position   TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body)),
    -- {field: server version}
    versions   TEXT NOT NULL CHECK (json_valid(versions)),
    -- {field: id of the history row that last wrote it}
    revisions  TEXT NOT NULL CHECK (json_valid(revisions)),
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    updated_at TEXT NOT NULL
) STRICT;

INSERT INTO items_keyed (id, program_id, kind, position, body, versions, revisions, deleted, updated_at)
SELECT
    i.id,
    i.program_id,
    i.kind,
    -- The old number, as text until the hook replaces it with a key.
    printf('%.17g', i.position),
    i.body,
    (SELECT json_group_object(v.key, 0) FROM json_each(json_set(i.versions, '$.position', 0)) v),
    (SELECT json_group_object(h.field, h.last)
       FROM (SELECT field, max(id) AS last FROM history WHERE item_id = i.id GROUP BY field) h),
    i.deleted,
    i.updated_at
FROM items i;

DROP TABLE items;
ALTER TABLE items_keyed RENAME TO items;
CREATE INDEX items_in_list ON items (program_id, kind, position, id);

-- The outbox, typed: one operation per row (create with every field and the position, update
-- with each field's value and base version, delete with the base versions of the item). The
-- sync identifies a mutation by this client's sequence number within the program and by its
-- own id, so a copy of this database that pushes the same entry again is told apart from a new
-- change. The hook moves the rows of the old outbox here.
CREATE TABLE outbox_typed (
    -- Local order of writes.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    -- This client's sequence number in the program's sync: 1, 2, 3, ... with no gaps.
    client_seq  INTEGER NOT NULL,
    mutation_id TEXT NOT NULL UNIQUE,
    item_kind   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    -- {"op": "create", "fields": {...}} | {"op": "update", "fields": {f: {value, base_version}}}
    -- | {"op": "delete", "base_versions": {...}}
    operation   TEXT NOT NULL CHECK (json_valid(operation)),
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (program_id, client_seq)
) STRICT;

-- The last client sequence number used per program (outbox rows are dropped once the server
-- acknowledges them, so the counter cannot be read off the outbox).
CREATE TABLE client_sequences (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    last_seq   INTEGER NOT NULL
) STRICT;

-- Where a program syncs, and how far: the server's change-log position this replica has
-- applied up to.
CREATE TABLE sync_state (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    server     TEXT,
    cursor     INTEGER NOT NULL DEFAULT 0,
    synced_at  TEXT
) STRICT;
