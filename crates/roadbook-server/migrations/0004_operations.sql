-- Operations: the audit trail is append-only in the database itself, not only in the API, so
-- neither a bug nor a hand-typed statement through the server's own role rewrites history.
-- (An operator with the owner's rights can still drop the trigger; that is what the database's
-- own logs and backups are for.)
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are never changed or deleted (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_no_update_or_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- (The trail's indexes by person and by time are 0008's: built without stopping its writes.)

-- Usage counts from apps whose person shares them: kind and day only, no person, no program.
-- The id makes a resend count once.
CREATE TABLE usage_events (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    day         date NOT NULL,
    received_at text NOT NULL
);
CREATE INDEX usage_by_day ON usage_events (day);
