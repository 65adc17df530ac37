-- Dependencies between programs as the server last judged them, for the links whose other
-- program is not in this database (the person may not be able to see it): the server says only
-- where each stands and why, never that program's content. Replaced whole at each sync; links
-- between programs both here are judged here, from both programs, every time.
CREATE TABLE server_links (
    program_id TEXT NOT NULL REFERENCES programs (id),
    dependency_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    -- The link as the server said it (`roadbook_model::Link` as JSON).
    body TEXT NOT NULL,
    judged_at TEXT NOT NULL,
    PRIMARY KEY (program_id, dependency_id, direction)
) STRICT;
