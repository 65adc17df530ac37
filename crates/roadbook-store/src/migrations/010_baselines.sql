-- Baselines: named moments of a program's history its dates are compared against. The program
-- as it stood then is read back from its history (as of the moment), never copied. Issued
-- readouts are baselines too, read from the documents archive.
CREATE TABLE baselines (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The moment the baseline stands for (RFC 3339, UTC).
    taken_at TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX baselines_by_program ON baselines (program_id, taken_at);
