-- What PostgreSQL gives every role by default, taken back: a SECURITY DEFINER function runs
-- with its owner's rights, and PUBLIC may call it unless told otherwise, so any role that can
-- connect could begin a new history (every client takes its programs afresh). The serving role
-- is granted these by `roadbook-server migrate --serving-role`.
REVOKE EXECUTE ON FUNCTION roadbook_new_history(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION roadbook_fingerprint() FROM PUBLIC;

-- PostgreSQL before 15 let every role create tables in the public schema (and so shadow a
-- function or fill the disk). Taken back where it is still given; a role that does not own
-- the schema only gets a warning, and the operator's runbook says to do it as the owner.
DO $$
BEGIN
    IF has_schema_privilege('public', 'public', 'CREATE') THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    END IF;
END
$$;
