-- A lead can reorder a list: an item moved between two others takes a position between theirs,
-- so position becomes a number that can hold fractions. STRICT tables cannot change a column's
-- type in place, so the table is rebuilt with the same rows.
CREATE TABLE items_reordered (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind       TEXT NOT NULL,
    -- Order within the program: creation order until a lead moves an item (Store::move_item).
    position   REAL NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body)),
    versions   TEXT NOT NULL CHECK (json_valid(versions)),
    deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    updated_at TEXT NOT NULL
) STRICT;

INSERT INTO items_reordered (id, program_id, kind, position, body, versions, deleted, updated_at)
    SELECT id, program_id, kind, position, body, versions, deleted, updated_at FROM items;

DROP TABLE items;
ALTER TABLE items_reordered RENAME TO items;
CREATE INDEX items_in_program ON items (program_id, position);
