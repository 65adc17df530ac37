-- Every issued document: what it was, when, with which parameters, the exact data it showed
-- and the hash of the PDF. Same data gives the same bytes, so the PDF can be made again from
-- the snapshot and checked against the hash.
CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    -- The moment the document speaks for; "since the last readout" compares against this.
    as_of      TEXT NOT NULL,
    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
    snapshot   TEXT NOT NULL CHECK (json_valid(snapshot)),
    pdf_sha256 TEXT NOT NULL,
    pdf_bytes  INTEGER NOT NULL,
    pages      INTEGER NOT NULL,
    author     TEXT NOT NULL
) STRICT;

CREATE INDEX documents_by_kind ON documents (program_id, kind, as_of);
