-- People are their subjects. An email joins a roster row (and a grant) to a person only when
-- the issuer vouched for it, and the first subject that brings it keeps it: a token with
-- another subject and the same email gets nothing of that person's. `roadbook-server unbind`
-- lets an operator move an email to a new subject (a person whose account was made again).
CREATE TABLE email_subjects (
    email    text PRIMARY KEY,
    subject  text NOT NULL,
    bound_at text NOT NULL
);

-- Break-glass uses: each reason opens one program for a bounded time, a person opens few a
-- day, and a reason whose time ran out is not taken again.
CREATE TABLE break_glass_uses (
    subject    text NOT NULL,
    program_id uuid NOT NULL,
    reason     text NOT NULL,
    opened_at  text NOT NULL,
    expires_at text NOT NULL,
    PRIMARY KEY (subject, program_id, reason)
);
CREATE INDEX break_glass_uses_by_time ON break_glass_uses (subject, opened_at);
