-- What the sync brings back besides changes.

-- The conflicts the server holds open for a program, as of the last pull (replaced by each
-- pull, so one resolved on any replica leaves every replica's list). The body is the conflict
-- as the server sent it: the item, the field, both values, both authors and times.
CREATE TABLE conflicts (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    item_kind  TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    field      TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (json_valid(body))
) STRICT;

-- Local changes the server refused, set aside for the person with the reason: nothing
-- disappears until the person retries or discards it.
CREATE TABLE rejected (
    id          INTEGER PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    mutation_id TEXT NOT NULL,
    item_kind   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    operation   TEXT NOT NULL CHECK (json_valid(operation)),
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    author      TEXT NOT NULL,
    made_at     TEXT NOT NULL,
    rejected_at TEXT NOT NULL
) STRICT;
