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

-- The chaining runs in the writer's transaction, for every event: a push of fifty mutations
-- writes fifty events in one statement. So a chain's head is read from audit_chains (and its
-- row locked, which orders the chain's writers) once per transaction, carried from event to
-- event in transaction-local settings, and written back once per statement. A session that
-- sets those settings itself only makes a link that `audit verify` reports broken.
CREATE FUNCTION roadbook_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    key text := coalesce(NEW.program_id::text, 'server');
    slot text := 'roadbook_chain.h' || replace(key, '-', '');
    held text := current_setting(slot, true);
    prev text;
BEGIN
    -- An event is stamped when it is written: a back-dated one (a grant "from last month")
    -- is refused, whoever inserts it. Five minutes allow for the clocks of the server's
    -- processes and the database drifting apart.
    IF NEW.at IS NULL
       OR NEW.at::timestamptz NOT BETWEEN now() - interval '5 minutes'
                                      AND now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'an audit event is stamped with the time it is written, and % is not now', NEW.at
            USING ERRCODE = 'check_violation';
    END IF;
    IF held IS NULL OR held = '' THEN
        INSERT INTO audit_chains (chain, last_id, last_hash) VALUES (key, 0, '')
            ON CONFLICT (chain) DO NOTHING;
        SELECT last_hash INTO prev FROM audit_chains WHERE chain = key FOR UPDATE;
        PERFORM set_config('roadbook_chain.touched',
            coalesce(current_setting('roadbook_chain.touched', true), '') || key || ' ', true);
    ELSE
        prev := substr(held, position(':' IN held) + 1);
    END IF;
    NEW.prev_hash := prev;
    NEW.hash := roadbook_audit_hash(prev, NEW.id, NEW.at, NEW.subject, NEW.program_id,
                                    NEW.action, NEW.detail, NEW.break_glass);
    -- "id:hash", so an empty hash (a new chain) is still a value held.
    PERFORM set_config(slot, NEW.id::text || ':' || NEW.hash, true);
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION roadbook_audit_chain();

-- Writes each chain this transaction added to back to audit_chains, after every statement
-- (a later statement of the transaction writes the newer end again). A session can set the
-- settings itself, so an end is written only when it is an event of that chain as stored:
-- nobody moves a chain's end to an event that does not exist.
CREATE FUNCTION roadbook_audit_chain_ends() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    key text;
    held text;
BEGIN
    FOR key IN SELECT DISTINCT k FROM regexp_split_to_table(
        trim(coalesce(current_setting('roadbook_chain.touched', true), '')), ' ') AS k
        WHERE k <> ''
    LOOP
        held := current_setting('roadbook_chain.h' || replace(key, '-', ''), true);
        IF held IS NOT NULL AND held <> '' THEN
            UPDATE audit_chains
               SET last_id = split_part(held, ':', 1)::bigint,
                   last_hash = substr(held, position(':' IN held) + 1)
             WHERE chain = key
               AND EXISTS (SELECT 1 FROM audit
                            WHERE id = split_part(held, ':', 1)::bigint
                              AND hash = substr(held, position(':' IN held) + 1)
                              AND coalesce(program_id::text, 'server') = key);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_chain_ends AFTER INSERT ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION roadbook_audit_chain_ends();
