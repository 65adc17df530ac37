-- What keeps a team's intent whole across restores, retries and other programs.

-- The server's history: one row each time the database starts a history of its own (made
-- anew, restored from a backup, recovered to a point in time). Clients carry the id they
-- synced in; positions and versions from another history are never trusted. The newest row
-- is the current history. The fingerprint is what tells a restored database from the one it
-- was copied from when nobody said so: the database's oid changes when it is made again, the
-- cluster's system identifier when the cluster is, the timeline after a point-in-time
-- recovery (each NULL where the server's role may not read it).
CREATE TABLE server_history (
    n                 bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    started_at        text NOT NULL,
    reason            text NOT NULL,
    database_oid      bigint,
    system_identifier text,
    timeline          bigint
);

-- Where each program's log was when the current history began: positions up to here are the
-- same in the history before it, positions after it may have been written twice.
ALTER TABLE programs ADD COLUMN fork bigint NOT NULL DEFAULT 0;

-- Who published the program and what its snapshot held, so a publish whose answer was lost
-- is answered again instead of refused, and the publisher's own later changes are never
-- taken for someone else's.
ALTER TABLE programs ADD COLUMN published_client uuid;
ALTER TABLE programs ADD COLUMN published_head bigint NOT NULL DEFAULT 0;
ALTER TABLE programs ADD COLUMN published_seq bigint NOT NULL DEFAULT 0;

-- Item ids are unique across programs: an id names one item of one program. Ids two programs
-- share already (made before this rule) keep their first program here; new ones are refused.
CREATE TABLE item_ids (
    id         uuid PRIMARY KEY,
    program_id uuid NOT NULL REFERENCES programs (id)
);
INSERT INTO item_ids (id, program_id)
    SELECT DISTINCT ON (id) id, program_id FROM items ORDER BY id, program_id
    ON CONFLICT (id) DO NOTHING;

-- The database as it is now, as far as this role may read it.
CREATE FUNCTION roadbook_fingerprint(OUT database_oid bigint, OUT system_identifier text, OUT timeline bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    SELECT d.oid INTO database_oid FROM pg_database d WHERE d.datname = current_database();
    BEGIN
        SELECT s.system_identifier::text INTO system_identifier FROM pg_control_system() s;
        SELECT c.timeline_id INTO timeline FROM pg_control_checkpoint() c;
    EXCEPTION WHEN insufficient_privilege THEN
        system_identifier := NULL;
        timeline := NULL;
    END;
END
$$;

-- Starts a new history: a fresh id, and every program's fork where its log is now. Run by the
-- server when the fingerprint changed, and by deploy/backup.sh after a restore. Every server
-- process listening on the change channel hears the new id at once. With the migrating role's
-- rights: the serving role may begin a history but not write one by hand.
CREATE FUNCTION roadbook_new_history(why text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    fresh uuid := gen_random_uuid();
    print record;
BEGIN
    SELECT * INTO print FROM roadbook_fingerprint();
    INSERT INTO server_history (id, started_at, reason, database_oid, system_identifier, timeline)
        VALUES (fresh, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), why,
                print.database_oid, print.system_identifier, print.timeline);
    UPDATE programs SET fork = head;
    PERFORM pg_notify('roadbook_changes', 'history:' || fresh::text);
    RETURN fresh;
END
$$;
