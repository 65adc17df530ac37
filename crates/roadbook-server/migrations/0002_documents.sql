-- The program's shared archive of issued documents. Positions are handed out under the
-- program row's lock, so they commit in order and a reader "after my cursor" misses none.
ALTER TABLE programs ADD COLUMN documents_head BIGINT NOT NULL DEFAULT 0;

CREATE TABLE documents (
    program_id UUID NOT NULL REFERENCES programs (id),
    position BIGINT NOT NULL,
    id UUID NOT NULL,
    -- The document as the protocol spells it, kept as text so its snapshot stays byte for byte.
    body TEXT NOT NULL,
    shared_by TEXT NOT NULL,
    shared_at TEXT NOT NULL,
    PRIMARY KEY (program_id, position),
    UNIQUE (program_id, id)
);
