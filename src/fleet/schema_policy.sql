
-- Policy rollout (issue 17, item 7), applied after schema.sql in the same transaction and, like
-- it, safe to run again. `gate policy push` stores each version of the fleet policy signed by
-- an administrator's Ed25519 key; hosts fetch the newest and check the signature against the
-- key their own system policy pins (PostgreSQL does not check it: a database administrator
-- could forge rows, never a signature). Versions only rise, rows are never changed.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'gate_admin') THEN
        CREATE ROLE gate_admin NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database's init made it at the same moment (roles are cluster-wide)
END
$roles$;

SET LOCAL ROLE gate_owner;

CREATE TABLE IF NOT EXISTS gate.policies (
    version   bigint PRIMARY KEY CHECK (version > 0),
    sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    body      text NOT NULL,
    signature bytea NOT NULL CHECK (length(signature) = 64),
    pushed_by name NOT NULL DEFAULT session_user,
    pushed_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE TRIGGER policies_append_only BEFORE UPDATE OR DELETE ON gate.policies
    FOR EACH ROW EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER policies_no_truncate BEFORE TRUNCATE ON gate.policies
    FOR EACH STATEMENT EXECUTE FUNCTION gate.refuse_change();

-- The only way in. The caller signs version `version_` (the signature covers the version, so
-- it must be known before the call); the version is the newest + 1, decided here under a lock
-- that every push takes, so two pushers never get the same one: the second is refused with
-- the version it should have signed, and gate signs again and retries.
CREATE OR REPLACE FUNCTION gate.push_policy(version_ bigint, body_ text, sha256_ text, signature_ bytea)
RETURNS TABLE (version bigint, pushed_at text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
    next_ bigint;
BEGIN
    IF NOT pg_has_role(me, 'gate_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate policy administrator: an administrator runs GRANT gate_admin TO %', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    LOCK TABLE gate.policies IN SHARE ROW EXCLUSIVE MODE;
    SELECT coalesce(max(p.version), 0) + 1 INTO next_ FROM gate.policies p;
    IF version_ IS DISTINCT FROM next_ THEN
        RAISE EXCEPTION 'the next fleet policy version is %, not %: sign version % and push again', next_, version_, next_
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF sha256_ IS DISTINCT FROM encode(sha256(convert_to(body_, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'the policy text does not have the SHA-256 it was signed with'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO gate.policies (version, sha256, body, signature, pushed_by)
        VALUES (next_, sha256_, body_, signature_, me);
    PERFORM pg_notify('gate_policies', next_::text);
    RETURN QUERY SELECT next_, gate.now_text();
END
$$;

REVOKE ALL ON gate.policies FROM PUBLIC;
REVOKE ALL ON FUNCTION gate.push_policy(bigint, text, text, bytea) FROM PUBLIC;
GRANT USAGE ON SCHEMA gate TO gate_admin;
GRANT SELECT ON gate.meta, gate.policies TO gate_admin;
GRANT SELECT ON gate.policies TO gate_host, gate_approver, gate_relay, gate_auditor;
GRANT EXECUTE ON FUNCTION gate.push_policy(bigint, text, text, bytea) TO gate_admin;
GRANT EXECUTE ON FUNCTION gate.time_text(timestamptz), gate.now_text() TO gate_admin;

-- For `gate fleet status`: the policy version each stream's newest request was decided under
-- (null: none recorded), as far as the caller may see streams (a host: its own).
CREATE OR REPLACE FUNCTION gate.host_policy_versions()
RETURNS TABLE (stream name, policy_version bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.stream,
        (SELECT CASE WHEN v ~ '^[0-9]{1,18}$' THEN v::bigint END
         FROM (SELECT e.data::jsonb ->> 'policy_version' AS v
               FROM gate.events e
               WHERE e.stream = s.stream AND e.kind = 'request'
               ORDER BY e.seq DESC LIMIT 1) last)
    FROM gate.streams s
    WHERE s.kind = 'host'
$$;
REVOKE ALL ON FUNCTION gate.host_policy_versions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gate.host_policy_versions()
    TO gate_host, gate_approver, gate_relay, gate_auditor;

RESET ROLE;
