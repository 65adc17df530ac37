-- Usage counts waiting to go to the team's server with the next sync, queued only when the
-- person turned sharing on: the kind and the day, nothing about the program.
CREATE TABLE usage_queue (
    id   TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    day  TEXT NOT NULL
);
