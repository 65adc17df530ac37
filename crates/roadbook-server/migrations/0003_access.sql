-- Who may see and change which program beyond the groups in a token.

-- The org roster as the authoritative org source exported it, replaced whole by each import.
-- People are matched to tokens by email, kept lower-case.
CREATE TABLE roster (
    email       text PRIMARY KEY,
    person      text NOT NULL,
    team        text NOT NULL,
    org_unit    text NOT NULL,
    manager     text NOT NULL,
    imported_at text NOT NULL
);

-- A program only members of this org unit (and admins) may see; NULL: any role may.
ALTER TABLE programs ADD COLUMN org_unit text;

-- Roles granted on one program, over what a person's groups give.
CREATE TABLE grants (
    program_id uuid NOT NULL REFERENCES programs (id),
    email      text NOT NULL,
    role       text NOT NULL,
    granted_by text NOT NULL,
    granted_at text NOT NULL,
    PRIMARY KEY (program_id, email)
);

-- When each person last used the server, and the groups their token carried then (the access
-- review's "last signed in or synced" and "through which group").
CREATE TABLE people (
    subject   text PRIMARY KEY,
    name      text NOT NULL,
    email     text,
    groups    jsonb NOT NULL,
    last_seen text NOT NULL
);

-- Break-glass use stands out in the audit trail.
ALTER TABLE audit ADD COLUMN break_glass boolean NOT NULL DEFAULT false;
