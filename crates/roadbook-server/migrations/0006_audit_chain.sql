-- The audit trail is hash-chained: every event carries the hash of the one before it in its
-- chain (one chain per program, and one for events of no program) and its own hash over its
-- content and that link. Nobody can delete, change or back-date an event without breaking a
-- link that `roadbook-server audit verify` finds, even the database owner who can disable the
-- append-only triggers; the serving role can only insert and read (see `roadbook-server
-- migrate --serving-role`). Events written before this migration carry no hash: the chains
-- start here.
ALTER TABLE audit ADD COLUMN prev_hash text;
ALTER TABLE audit ADD COLUMN hash text;

-- The last hash of each chain. Only the chaining function (owned by the migrating role, run
-- with its rights) writes it, under the chain's row lock, so events of one chain link in the
-- order they commit. A program's writes hold its row lock already, so a chain per program
-- adds no waiting to pushes.
CREATE TABLE audit_chains (
    chain     text PRIMARY KEY,
    last_id   bigint NOT NULL,
    last_hash text NOT NULL
);

-- An event's hash: SHA-256 over the link and every field, in a fixed text form.
CREATE FUNCTION roadbook_audit_hash(prev text, id bigint, at text, subject text, program uuid,
                                    action text, detail jsonb, break_glass boolean)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(
        coalesce(prev, '') || E'\n' || id::text || E'\n' || at || E'\n' || subject || E'\n'
        || coalesce(program::text, '') || E'\n' || action || E'\n' || detail::text || E'\n'
        || break_glass::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION roadbook_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    key text := coalesce(NEW.program_id::text, 'server');
    prev text;
BEGIN
    INSERT INTO audit_chains (chain, last_id, last_hash) VALUES (key, 0, '')
        ON CONFLICT (chain) DO NOTHING;
    SELECT last_hash INTO prev FROM audit_chains WHERE chain = key FOR UPDATE;
    NEW.prev_hash := prev;
    NEW.hash := roadbook_audit_hash(prev, NEW.id, NEW.at, NEW.subject, NEW.program_id,
                                    NEW.action, NEW.detail, NEW.break_glass);
    UPDATE audit_chains SET last_id = NEW.id, last_hash = NEW.hash WHERE chain = key;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION roadbook_audit_chain();
