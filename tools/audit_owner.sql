-- 操作日志 owned by a role the app cannot become (DESIGN.md §9, README "Audit log").
-- The app's role keeps SELECT and INSERT only: it cannot TRUNCATE, DELETE, UPDATE the
-- table or disable its append-only trigger (those need ownership), and an event trigger
-- refuses dropping the table, its trigger or its function (the app's role owns the
-- schema, and a schema's owner may drop what is in it). Run once, after `flask db
-- upgrade`, as a superuser:
--   createuser --no-login console_audit          (once per cluster)
--   psql -d console -v app=console -v owner=console_audit -f tools/audit_owner.sql
-- A later migration that must rebuild audit_log is run by the DBA with the event trigger
-- disabled (ALTER EVENT TRIGGER audit_log_keep DISABLE).
\set ON_ERROR_STOP on
BEGIN;
ALTER TABLE audit_log OWNER TO :"owner";  -- its id sequence and indexes follow the table
ALTER FUNCTION audit_log_append_only() OWNER TO :"owner";
REVOKE ALL ON audit_log FROM :"app";
GRANT SELECT, INSERT ON audit_log TO :"app";
GRANT USAGE, SELECT ON SEQUENCE audit_log_id_seq TO :"app";

CREATE OR REPLACE FUNCTION audit_log_keep() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects()
               WHERE object_identity IN ('public.audit_log', 'public.audit_log_append_only()')
                  OR object_identity LIKE 'audit_log_append_only on public.audit_log') THEN
        RAISE EXCEPTION 'audit_log is append-only: it is not dropped';
    END IF;
END;
$$;
DROP EVENT TRIGGER IF EXISTS audit_log_keep;
CREATE EVENT TRIGGER audit_log_keep ON sql_drop EXECUTE FUNCTION audit_log_keep();
COMMIT;
