-- The fleet's shared ledger, made by `gate fleet init` as an administrator (a superuser, or a
-- role with CREATEROLE and CREATE on the database), in one transaction. Every statement can run
-- again: a second init changes nothing, a newer gate's init brings an older schema up to date.
--
-- One stream per host: the stream's name is the login role that appends to it, so no table maps
-- hosts to roles (nothing to forge or keep in step). Each stream is a hash chain in exactly the
-- format of gate's SQLite ledger (src/ledger/chain.rs), so a migrated ledger keeps its hashes.

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['gate_owner', 'gate_host', 'gate_approver', 'gate_relay', 'gate_auditor'] LOOP
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- another database's init made it at the same moment (roles are cluster-wide)
        END;
    END LOOP;
END
$roles$;

-- The administrator acts as the owner role below, so that every object belongs to it (NOLOGIN:
-- nobody logs in as the owner of the ledger).
GRANT gate_owner TO CURRENT_USER;
CREATE SCHEMA IF NOT EXISTS gate AUTHORIZATION gate_owner;
SET LOCAL ROLE gate_owner;
REVOKE ALL ON SCHEMA gate FROM PUBLIC;

CREATE TABLE IF NOT EXISTS gate.meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO gate.meta (key, value) VALUES ('schema_version', '2')
    ON CONFLICT (key) DO UPDATE SET value = '2' WHERE gate.meta.value::int < 2;

CREATE TABLE IF NOT EXISTS gate.streams (
    stream        name PRIMARY KEY,            -- the login role that appends to it
    kind          text NOT NULL DEFAULT 'host' CHECK (kind IN ('host', 'person', 'relay')),
    head_seq      bigint NOT NULL DEFAULT 0 CHECK (head_seq >= 0),
    head_hash     bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex') CHECK (length(head_hash) = 32),
    head_time     text,                        -- the newest event's own time (the host's clock)
    head_recorded timestamptz,                 -- when PostgreSQL stored it (the server's clock)
    created       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS gate.events (
    gid      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream   name NOT NULL,                    -- a gate.streams row (see below)
    seq      bigint NOT NULL CHECK (seq > 0),  -- stream-local, as in the SQLite ledger
    request  text NOT NULL,
    time     text NOT NULL,
    kind     text NOT NULL,
    data     text NOT NULL,                    -- canonical JSON, hashed as stored
    hash     bytea NOT NULL,                   -- SHA-256(previous hash || canonical event)
    author   name NOT NULL DEFAULT session_user,
    recorded timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream, seq)                       -- no fork, even past a skipped lock
);
-- No foreign key to gate.streams: only gate.chain_into inserts events, into the stream row it
-- has just made and locked, and a key check on every row cost 40 % of a migration's time.
ALTER TABLE gate.events DROP CONSTRAINT IF EXISTS events_stream_fkey;
CREATE INDEX IF NOT EXISTS events_by_request ON gate.events (request, gid);
CREATE INDEX IF NOT EXISTS events_requests ON gate.events (gid) WHERE kind = 'request';
-- `gate log|export --fleet`: requests by their own time, then arrival.
CREATE INDEX IF NOT EXISTS events_requests_by_time ON gate.events (time, gid) WHERE kind = 'request';

-- Approval leases (see gate.open_wait), seals over all heads (see gate.seal), people's identities.
CREATE TABLE IF NOT EXISTS gate.waits (
    request    text PRIMARY KEY,
    stream     name NOT NULL REFERENCES gate.streams,
    channels   text[] NOT NULL,
    quorum     int NOT NULL DEFAULT 1,
    expires_at timestamptz NOT NULL,
    heartbeat  timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);
CREATE TABLE IF NOT EXISTS gate.seals (
    n     bigint PRIMARY KEY,
    heads jsonb NOT NULL,
    prev  bytea NOT NULL,
    hash  bytea NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS gate.people (
    role  name PRIMARY KEY,
    slack text UNIQUE,
    email text UNIQUE,
    hosts text[] NOT NULL DEFAULT '{}'
);

-- Append-only, for everybody but the owner role (which can disable the triggers: an
-- administrator can always rewrite a database; the chains and seals posted elsewhere show it).
CREATE OR REPLACE FUNCTION gate.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'the gate ledger is append-only: % on gate.% is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON gate.events
    FOR EACH ROW EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON gate.events
    FOR EACH STATEMENT EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER seals_append_only BEFORE UPDATE OR DELETE ON gate.seals
    FOR EACH ROW EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER seals_no_truncate BEFORE TRUNCATE ON gate.seals
    FOR EACH STATEMENT EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER streams_no_delete BEFORE DELETE ON gate.streams
    FOR EACH ROW EXECUTE FUNCTION gate.refuse_change();
CREATE OR REPLACE TRIGGER streams_no_truncate BEFORE TRUNCATE ON gate.streams
    FOR EACH STATEMENT EXECUTE FUNCTION gate.refuse_change();

-- A head only moves forward (gate.append moves it; nobody else may write the table).
CREATE OR REPLACE FUNCTION gate.head_forward() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.stream <> OLD.stream OR NEW.head_seq <= OLD.head_seq OR NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'the head of stream % can only move forward', OLD.stream
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER streams_head_forward BEFORE UPDATE ON gate.streams
    FOR EACH ROW EXECUTE FUNCTION gate.head_forward();

-- The chain, byte for byte as src/ledger/chain.rs writes it: compact JSON, keys sorted, strings
-- escaped as serde_json escapes them (PostgreSQL's to_json escapes the same characters the same
-- way), then SHA-256(previous hash || UTF-8 bytes). The database must be UTF-8 (init checks).
CREATE OR REPLACE FUNCTION gate.canonical(seq bigint, request text, "time" text, kind text, data text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT '{"data":' || data
        || ',"kind":' || to_json(kind)::text
        || ',"request":' || to_json(request)::text
        || ',"seq":' || seq::text
        || ',"time":' || to_json("time")::text || '}'
$$;
CREATE OR REPLACE FUNCTION gate.event_hash(prev bytea, seq bigint, request text, "time" text, kind text, data text)
RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT sha256(prev || convert_to(gate.canonical(seq, request, "time", kind, data), 'UTF8'))
$$;

-- The chaining itself, for one stream: locks the head, chains each event with PostgreSQL's own
-- hash, moves the head. Called only by the SECURITY DEFINER functions below (it runs as
-- gate_owner there); nobody else may execute it. A caller that says which seq and hash an event
-- must have (a migrated ledger, a host that chains too) is refused when they are not what they
-- must be.
CREATE OR REPLACE FUNCTION gate.chain_into(
    me name, stream_kind text, requests text[], times text[], kinds text[], datas text[],
    seqs bigint[] DEFAULT NULL, hashes bytea[] DEFAULT NULL)
RETURNS TABLE (appended_seq bigint, appended_hash bytea)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := coalesce(cardinality(requests), 0);
    head_seq_ bigint;
    head_hash_ bytea;
    first_seq bigint;
    kind_ text;
    e record;
    chained bytea[] := '{}';
BEGIN
    IF coalesce(cardinality(times), 0) <> n OR coalesce(cardinality(kinds), 0) <> n
        OR coalesce(cardinality(datas), 0) <> n
        OR (seqs IS NOT NULL AND cardinality(seqs) <> n)
        OR (hashes IS NOT NULL AND cardinality(hashes) <> n) THEN
        RAISE EXCEPTION 'gate.append: the arrays differ in length' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO gate.streams AS s (stream, kind) VALUES (me, stream_kind) ON CONFLICT (stream) DO NOTHING;
    SELECT s.head_seq, s.head_hash, s.kind INTO head_seq_, head_hash_, kind_
        FROM gate.streams s WHERE s.stream = me FOR UPDATE;
    IF kind_ <> stream_kind THEN
        RAISE EXCEPTION 'stream % is a % stream: it takes no % events', me, kind_, stream_kind
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    first_seq := head_seq_ + 1;
    -- One pass over the events side by side (unnest: no subscripting into long arrays of
    -- variable-width values, which walks them from the start each time), chaining each with
    -- PostgreSQL's own hash; then one INSERT for the batch.
    FOR e IN SELECT * FROM unnest(requests, times, kinds, datas, seqs, hashes)
            AS u(request, "time", kind, data, seq, hash) LOOP
        IF e.request IS NULL OR e."time" IS NULL OR e.kind IS NULL OR e.data IS NULL THEN
            RAISE EXCEPTION 'gate.append: event % has a NULL field', head_seq_ - first_seq + 2
                USING ERRCODE = 'null_value_not_allowed';
        END IF;
        PERFORM e.data::json;  -- data is JSON, or nothing is stored
        IF seqs IS NOT NULL AND e.seq IS DISTINCT FROM head_seq_ + 1 THEN
            RAISE EXCEPTION 'stream %: event #% cannot come next, the stream is at #%', me, e.seq, head_seq_
                USING ERRCODE = 'P0001', HINT = 'run `gate ledger migrate` again: it starts where the stream is';
        END IF;
        head_seq_ := head_seq_ + 1;
        head_hash_ := gate.event_hash(head_hash_, head_seq_, e.request, e."time", e.kind, e.data);
        IF hashes IS NOT NULL AND e.hash IS DISTINCT FROM head_hash_ THEN
            RAISE EXCEPTION 'stream %: event #% does not chain to the one before it (its hash is not the one PostgreSQL computes)', me, head_seq_
                USING ERRCODE = 'P0001';
        END IF;
        chained := chained || head_hash_;
    END LOOP;
    IF n > 0 THEN
        INSERT INTO gate.events (stream, seq, request, time, kind, data, hash, author)
            SELECT me, first_seq + u.i - 1, u.request, u."time", u.kind, u.data, u.hash, me
            FROM unnest(requests, times, kinds, datas, chained) WITH ORDINALITY
                AS u(request, "time", kind, data, hash, i);
        UPDATE gate.streams s SET head_seq = head_seq_, head_hash = head_hash_,
            head_time = times[n], head_recorded = now()
            WHERE s.stream = me;
    END IF;
    RETURN QUERY SELECT first_seq + u.i - 1, u.hash FROM unnest(chained) WITH ORDINALITY AS u(hash, i);
END
$$;

-- The only way in for a host. The stream is the session's login role (SET ROLE does not change
-- it).
CREATE OR REPLACE FUNCTION gate.append(
    requests text[], times text[], kinds text[], datas text[],
    seqs bigint[] DEFAULT NULL, hashes bytea[] DEFAULT NULL)
RETURNS TABLE (appended_seq bigint, appended_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
BEGIN
    IF NOT pg_has_role(me, 'gate_host', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate host: an administrator runs GRANT gate_host TO %', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY SELECT * FROM gate.chain_into(me, 'host', requests, times, kinds, datas, seqs, hashes);
END
$$;

-- A time as gate writes times (RFC 3339, UTC, milliseconds), for every reader's queries.
CREATE OR REPLACE FUNCTION gate.time_text(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
-- PostgreSQL's clock, as gate writes times: expiry, leases and votes use it, never a host's.
CREATE OR REPLACE FUNCTION gate.now_text() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT gate.time_text(now())
$$;

-- Waiting requests (schema 2). A host opens a wait for a request of its own stream, renews it
-- (the lease) while its gate process waits, and closes it once settled. A wait whose lease
-- lapsed is gone: its host died, nothing runs, no vote is taken for it.
ALTER TABLE gate.waits ADD COLUMN IF NOT EXISTS opened timestamptz NOT NULL DEFAULT now();
ALTER TABLE gate.waits ADD COLUMN IF NOT EXISTS lease interval NOT NULL DEFAULT interval '15 seconds';
ALTER TABLE gate.people ADD COLUMN IF NOT EXISTS os_users text[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION gate.open_wait(request_ text, channels_ text[], quorum_ int, timeout_ms bigint)
RETURNS TABLE (expires_at timestamptz, expires_text text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
    until timestamptz := now() + timeout_ms * interval '1 millisecond';
BEGIN
    IF NOT pg_has_role(me, 'gate_host', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate host', me USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM gate.events e WHERE e.stream = me AND e.request = request_ AND e.kind = 'request') THEN
        RAISE EXCEPTION 'request % is not in stream %: ship it before it waits', request_, me
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO gate.waits AS w (request, stream, channels, quorum, expires_at, heartbeat)
        VALUES (request_, me, channels_, quorum_, until, now())
        ON CONFLICT (request) DO UPDATE SET heartbeat = now()
        WHERE w.stream = me;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'request % waits in another stream', request_ USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_notify('gate_asks', request_);
    RETURN QUERY SELECT w.expires_at,
        gate.time_text(w.expires_at)
        FROM gate.waits w WHERE w.request = request_;
END
$$;

CREATE OR REPLACE FUNCTION gate.heartbeat(request_ text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE gate.waits w SET heartbeat = now()
        WHERE w.request = request_ AND w.stream = session_user AND w.expires_at > now();
    RETURN FOUND;
END
$$;

CREATE OR REPLACE FUNCTION gate.close_wait(request_ text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM gate.waits w WHERE w.request = request_ AND w.stream = session_user;
    PERFORM pg_notify('gate_asks', request_);
END
$$;

-- Whether a request waits now: opened, not expired, its lease renewed in time.
CREATE OR REPLACE FUNCTION gate.live(w gate.waits) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT w.expires_at > now() AND w.heartbeat > now() - w.lease
$$;

-- A person's vote, as their own login role: appended to their own stream (kind person), with
-- PostgreSQL's time, and only while the request waits. `data` is the vote's canonical JSON; its
-- approver must be pg:SESSION_USER, so nobody votes as anyone else.
CREATE OR REPLACE FUNCTION gate.vote(request_ text, data_ text)
RETURNS TABLE (appended_seq bigint, appended_time text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
    w gate.waits;
    d jsonb;
    t text := gate.now_text();
BEGIN
    IF NOT pg_has_role(me, 'gate_approver', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate approver: an administrator runs GRANT gate_approver TO %', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    d := data_::jsonb;
    IF d->>'approver' IS DISTINCT FROM 'pg:' || me THEN
        RAISE EXCEPTION 'a vote of role % must say approver pg:%', me, me USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF d->>'verdict' IS NULL OR d->>'verdict' NOT IN ('approve', 'deny') THEN
        RAISE EXCEPTION 'a vote says approve or deny' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO w FROM gate.waits x WHERE x.request = request_;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'request % is not waiting in the fleet (settled, expired, or never asked)', request_
            USING ERRCODE = 'no_data_found';
    END IF;
    IF w.expires_at <= now() THEN
        RAISE EXCEPTION 'request % expired at %', request_, w.expires_at USING ERRCODE = 'no_data_found';
    END IF;
    IF w.heartbeat <= now() - w.lease THEN
        RAISE EXCEPTION 'request % is gone: its host % stopped waiting at % (nothing ran)', request_, w.stream, w.heartbeat
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY SELECT c.appended_seq, t FROM gate.chain_into(me, 'person', ARRAY[request_], ARRAY[t],
        ARRAY['vote'], ARRAY[data_]) c;
    PERFORM pg_notify('gate_votes', request_);
END
$$;

-- Who reads what: a host its own stream; approvers, relays and auditors every stream.
ALTER TABLE gate.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE gate.streams ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS host_reads_own ON gate.events;
CREATE POLICY host_reads_own ON gate.events FOR SELECT TO gate_host USING (stream = session_user);
DROP POLICY IF EXISTS readers ON gate.events;
CREATE POLICY readers ON gate.events FOR SELECT TO gate_approver, gate_relay, gate_auditor USING (true);
DROP POLICY IF EXISTS host_reads_own ON gate.streams;
CREATE POLICY host_reads_own ON gate.streams FOR SELECT TO gate_host USING (stream = session_user);
DROP POLICY IF EXISTS readers ON gate.streams;
CREATE POLICY readers ON gate.streams FOR SELECT TO gate_approver, gate_relay, gate_auditor USING (true);

-- Seals over all heads: one row every so often (a shipper calls gate.seal after shipping; an
-- auditor's cron may too), each naming every stream's head and chained to the seal before, so
-- that history rewritten below a seal is found even when the stream's own chain and head were
-- rebuilt to match. Its hash is SHA-256 of the text
--   gate-seal/1\nn: N\nprev: HEX\n  then a line `STREAM SEQ HASHHEX\n` per stream, by stream
-- (C order); src/fleet/seal.rs computes the same to check it. No new seal while the heads are
-- those of the newest one, nor within `min_gap_ms` of it: the fleet seals at that pace however
-- many hosts ship.
CREATE OR REPLACE FUNCTION gate.seal(min_gap_ms bigint)
RETURNS TABLE (n bigint, heads jsonb, prev bytea, hash bytea, at text, made boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
    last gate.seals;
    cur jsonb;
    body text;
    next_n bigint;
    prev_hash bytea;
    new_hash bytea;
BEGIN
    IF NOT (pg_has_role(me, 'gate_host', 'MEMBER') OR pg_has_role(me, 'gate_relay', 'MEMBER')
            OR pg_has_role(me, 'gate_auditor', 'MEMBER')) THEN
        RAISE EXCEPTION 'role % may not seal the gate ledger: it is no gate host, relay or auditor', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gate.seal'));
    SELECT * INTO last FROM gate.seals s ORDER BY s.n DESC LIMIT 1;
    SELECT coalesce(jsonb_object_agg(s.stream::text, jsonb_build_object('seq', s.head_seq, 'hash', encode(s.head_hash, 'hex'))), '{}'::jsonb)
        INTO cur FROM gate.streams s WHERE s.head_seq > 0;
    IF last.n IS NOT NULL AND (last.heads = cur
            OR last.at > clock_timestamp() - make_interval(secs => min_gap_ms / 1000.0)) THEN
        RETURN QUERY SELECT last.n, last.heads, last.prev, last.hash,
            gate.time_text(last.at), false;
        RETURN;
    END IF;
    IF cur = '{}'::jsonb THEN
        RETURN; -- nothing recorded yet: nothing to seal
    END IF;
    next_n := coalesce(last.n, 0) + 1;
    prev_hash := coalesce(last.hash, decode(repeat('00', 32), 'hex'));
    SELECT 'gate-seal/1' || E'\n' || 'n: ' || next_n || E'\n' || 'prev: ' || encode(prev_hash, 'hex') || E'\n'
           || string_agg(k || ' ' || (v->>'seq') || ' ' || (v->>'hash') || E'\n', '' ORDER BY k COLLATE "C")
        INTO body FROM jsonb_each(cur) AS j(k, v);
    new_hash := sha256(convert_to(body, 'UTF8'));
    INSERT INTO gate.seals (n, heads, prev, hash) VALUES (next_n, cur, prev_hash, new_hash);
    RETURN QUERY SELECT s.n, s.heads, s.prev, s.hash,
        gate.time_text(s.at), true
        FROM gate.seals s WHERE s.n = next_n;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA gate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA gate FROM PUBLIC;
GRANT USAGE ON SCHEMA gate TO gate_host, gate_approver, gate_relay, gate_auditor;
GRANT SELECT ON gate.meta, gate.streams, gate.events TO gate_host, gate_approver, gate_relay, gate_auditor;
GRANT SELECT ON gate.seals TO gate_approver, gate_relay, gate_auditor;
GRANT SELECT ON gate.waits TO gate_approver, gate_relay, gate_auditor;
GRANT SELECT ON gate.people TO gate_approver, gate_relay, gate_auditor;
GRANT EXECUTE ON FUNCTION gate.canonical(bigint, text, text, text, text),
    gate.event_hash(bytea, bigint, text, text, text, text)
    TO gate_host, gate_approver, gate_relay, gate_auditor;
GRANT EXECUTE ON FUNCTION gate.append(text[], text[], text[], text[], bigint[], bytea[]) TO gate_host;
GRANT EXECUTE ON FUNCTION gate.open_wait(text, text[], int, bigint), gate.heartbeat(text),
    gate.close_wait(text) TO gate_host;
GRANT EXECUTE ON FUNCTION gate.vote(text, text) TO gate_approver;
GRANT EXECUTE ON FUNCTION gate.seal(bigint) TO gate_host, gate_relay, gate_auditor;
GRANT EXECUTE ON FUNCTION gate.time_text(timestamptz), gate.now_text(), gate.live(gate.waits)
    TO gate_host, gate_approver, gate_relay, gate_auditor;

RESET ROLE;
