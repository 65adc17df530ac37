-- The central store. Migrations are additive (a release can run against the next release's
-- schema) and never edited once released: add a new numbered file.

-- A program and its change log's head. Every applied change takes the next head inside the
-- transaction that writes it; the row lock that UPDATE takes holds until commit, so log
-- positions commit in order and "changes after my cursor" can never skip a row that commits
-- later (a sequence would hand out numbers in one order and commit them in another).
CREATE TABLE programs (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    head       bigint NOT NULL DEFAULT 0,
    -- Changes at or below the floor have been compacted away: a pull from before it gets the
    -- whole program instead.
    floor      bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at text NOT NULL
);

-- Every item as it is now: all its fields (position and deleted among them) and the version
-- (log position) where each was last written. Deletes are tombstones.
CREATE TABLE items (
    program_id uuid NOT NULL REFERENCES programs (id),
    id         uuid NOT NULL,
    kind       text NOT NULL,
    fields     jsonb NOT NULL,
    versions   jsonb NOT NULL,
    deleted    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (program_id, id)
);
CREATE INDEX items_live_by_kind ON items (program_id, kind) WHERE NOT deleted;

-- The change log, one row per applied change, in version order per program.
CREATE TABLE changes (
    program_id     uuid NOT NULL REFERENCES programs (id),
    version        bigint NOT NULL,
    kind           text NOT NULL,
    item_id        uuid NOT NULL,
    fields         jsonb NOT NULL,
    author_subject text NOT NULL,
    author_name    text NOT NULL,
    at             text NOT NULL,
    client_id      uuid,
    client_seq     bigint,
    PRIMARY KEY (program_id, version)
);
CREATE INDEX changes_of_item ON changes (program_id, item_id, version);

-- The clients that sync a program, and the last sequence number each has pushed.
CREATE TABLE clients (
    program_id uuid NOT NULL REFERENCES programs (id),
    client_id  uuid NOT NULL,
    last_seq   bigint NOT NULL,
    PRIMARY KEY (program_id, client_id)
);

-- Every mutation's first result, so a replay is answered with it and never applied twice.
CREATE TABLE mutations (
    program_id  uuid NOT NULL REFERENCES programs (id),
    client_id   uuid NOT NULL,
    seq         bigint NOT NULL,
    mutation_id uuid NOT NULL,
    result      jsonb NOT NULL,
    PRIMARY KEY (program_id, client_id, seq)
);
CREATE INDEX mutations_by_id ON mutations (program_id, mutation_id);

-- Conflicts: the whole conflict as the protocol sends it; open until resolved.
CREATE TABLE conflicts (
    id               uuid PRIMARY KEY,
    program_id       uuid NOT NULL REFERENCES programs (id),
    body             jsonb NOT NULL,
    opened_version   bigint NOT NULL,
    resolved_version bigint
);
CREATE INDEX conflicts_open ON conflicts (program_id) WHERE resolved_version IS NULL;

-- What was done, by whom (the token's subject), to which program. No API changes or deletes
-- these rows.
CREATE TABLE audit (
    id         bigserial PRIMARY KEY,
    at         text NOT NULL,
    subject    text NOT NULL,
    program_id uuid,
    action     text NOT NULL,
    detail     jsonb NOT NULL
);
CREATE INDEX audit_by_program ON audit (program_id, id);
