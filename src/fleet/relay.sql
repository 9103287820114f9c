-- The Slack relay (schema 3): `gate slack serve`, run as a login role in group gate_relay, is the
-- only holder of the Slack tokens in a fleet. It posts each waiting request's card once (the
-- relay whose claim wins), receives the clicks over Socket Mode, and appends each as a vote to
-- its own stream (kind relay) through gate.relay_vote, which only gate_relay may call. Run after
-- schema.sql, in the same transaction.

SET LOCAL ROLE gate_owner;

INSERT INTO gate.meta (key, value) VALUES ('schema_version', '3')
    ON CONFLICT (key) DO UPDATE SET value = '3' WHERE gate.meta.value::int < 3;

-- One card per request: the relay that claimed it, where it posted it. Not part of the audit
-- trail (the votes are); relays change it only through the functions below.
CREATE TABLE IF NOT EXISTS gate.slack_cards (
    request  text PRIMARY KEY,
    relay    name NOT NULL,
    api_base text NOT NULL,              -- the Slack Web API the card was posted through
    team     text NOT NULL,              -- the workspace (auth.test's team_id)
    channel  text,
    ts       text,
    claimed  timestamptz NOT NULL DEFAULT now(),
    posted   timestamptz
);
ALTER TABLE gate.slack_cards ADD COLUMN IF NOT EXISTS closed timestamptz;

-- Claim a waiting request's card for this relay. True for one relay only; a claim whose card
-- was not posted within 30 s (its relay died) can be taken over.
CREATE OR REPLACE FUNCTION gate.relay_claim(request_ text, api_base_ text, team_ text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
BEGIN
    IF NOT pg_has_role(me, 'gate_relay', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate relay: an administrator runs GRANT gate_relay TO %', me, me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM gate.waits w WHERE w.request = request_ AND gate.live(w)
                   AND 'slack' = ANY (w.channels)) THEN
        RETURN false;
    END IF;
    INSERT INTO gate.slack_cards AS c (request, relay, api_base, team)
        VALUES (request_, me, api_base_, team_)
        ON CONFLICT (request) DO UPDATE SET relay = me, api_base = api_base_, team = team_, claimed = now()
        WHERE c.posted IS NULL AND c.claimed < now() - interval '30 seconds';
    RETURN FOUND;
END
$$;

-- Where the claiming relay posted the card.
CREATE OR REPLACE FUNCTION gate.relay_posted(request_ text, channel_ text, ts_ text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE gate.slack_cards c SET channel = channel_, ts = ts_, posted = now()
        WHERE c.request = request_ AND c.relay = session_user AND c.posted IS NULL;
    RETURN FOUND;
END
$$;

-- The card of a request that stopped waiting is closed (rewritten with the verdict) by one relay:
-- true for the relay that is to do it.
CREATE OR REPLACE FUNCTION gate.relay_closed(request_ text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'gate_relay', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate relay', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE gate.slack_cards c SET closed = now()
        WHERE c.request = request_ AND c.posted IS NOT NULL AND c.closed IS NULL
        AND NOT EXISTS (SELECT 1 FROM gate.waits w WHERE w.request = request_ AND gate.live(w));
    RETURN FOUND;
END
$$;

-- A Slack click, as a relay received it: appended to the relay's own stream (kind relay) with
-- PostgreSQL's time, only while the request waits, only for a click on the card posted for it
-- (same Slack, workspace, channel and message), once per click (Slack's action_ts, the user and
-- the verdict tell a click delivered twice, to one relay or to two). `data` names the approver
-- as slack:U…; the host judges who that is. No rows returned: the click was recorded already.
CREATE OR REPLACE FUNCTION gate.relay_vote(request_ text, data_ text)
RETURNS TABLE (appended_seq bigint, appended_time text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me name := session_user;
    w gate.waits;
    c gate.slack_cards;
    d jsonb;
    t text := gate.now_text();
BEGIN
    IF NOT pg_has_role(me, 'gate_relay', 'MEMBER') THEN
        RAISE EXCEPTION 'role % is not a gate relay: only `gate slack serve` records Slack votes', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    d := data_::jsonb;
    IF coalesce(d->>'approver', '') !~ '^slack:[A-Z0-9]+$' THEN
        RAISE EXCEPTION 'a relay vote names its approver as slack:U…' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF d->>'verdict' IS NULL OR d->>'verdict' NOT IN ('approve', 'deny') THEN
        RAISE EXCEPTION 'a vote says approve or deny' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(d->>'action_ts', '') = '' THEN
        RAISE EXCEPTION 'a relay vote carries the click''s action_ts' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO c FROM gate.slack_cards x WHERE x.request = request_ AND x.posted IS NOT NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'request % has no card in Slack', request_ USING ERRCODE = 'no_data_found';
    END IF;
    IF d->>'api_base' IS DISTINCT FROM c.api_base OR d->>'team' IS DISTINCT FROM c.team
        OR d->>'channel' IS DISTINCT FROM c.channel OR d->>'message_ts' IS DISTINCT FROM c.ts THEN
        RAISE EXCEPTION 'the click was not on the card of request % (% % in % through %)', request_,
            c.channel, c.ts, c.team, c.api_base USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO w FROM gate.waits x WHERE x.request = request_;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'request % is not waiting in the fleet (settled, expired, or never asked)', request_
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT gate.live(w) THEN
        RAISE EXCEPTION 'request % expired or its host stopped waiting (nothing ran)', request_
            USING ERRCODE = 'no_data_found';
    END IF;
    -- Two relays recording the same click at once: one waits for the other, then finds it.
    PERFORM pg_advisory_xact_lock(hashtextextended('gate.relay_vote ' || request_, 0));
    IF EXISTS (SELECT 1 FROM gate.events e JOIN gate.streams s ON s.stream = e.stream AND s.kind = 'relay'
               WHERE e.request = request_ AND e.kind = 'vote'
                 AND (e.data::jsonb)->>'approver' = d->>'approver'
                 AND (e.data::jsonb)->>'action_ts' = d->>'action_ts'
                 AND (e.data::jsonb)->>'verdict' = d->>'verdict') THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT x.appended_seq, t FROM gate.chain_into(me, 'relay', ARRAY[request_], ARRAY[t],
        ARRAY['vote'], ARRAY[data_]) x;
    PERFORM pg_notify('gate_votes', request_);
END
$$;

-- The votes on a request, for the host whose request it is (and for readers): every vote
-- event of a person or relay stream, the kind of its stream, and the identities the people
-- table links to its voter (a person stream: its author's; a relay stream: the person whose
-- Slack id the vote names). Dropped first: schema 3 added `stream_kind`.
DROP FUNCTION IF EXISTS gate.votes(text);
CREATE FUNCTION gate.votes(request_ text)
RETURNS TABLE (gid bigint, stream name, seq bigint, author name, "time" text, data text,
               aliases text[], stream_kind text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (pg_has_role(session_user, 'gate_approver', 'MEMBER')
            OR pg_has_role(session_user, 'gate_relay', 'MEMBER')
            OR pg_has_role(session_user, 'gate_auditor', 'MEMBER')
            OR EXISTS (SELECT 1 FROM gate.events e WHERE e.stream = session_user AND e.request = request_ AND e.kind = 'request')) THEN
        RAISE EXCEPTION 'request % is not in your stream', request_ USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT e.gid, e.stream, e.seq, e.author, e.time, e.data,
            CASE WHEN s.kind = 'person' THEN
                coalesce(ARRAY(SELECT a FROM unnest(ARRAY['slack:' || p.slack, 'email:' || p.email] || p.os_users) a
                               WHERE a IS NOT NULL), '{}')
            ELSE
                coalesce(ARRAY(SELECT a FROM unnest(ARRAY['pg:' || q.role::text, 'email:' || q.email] || q.os_users) a
                               WHERE a IS NOT NULL), '{}')
            END,
            s.kind
        FROM gate.events e
        JOIN gate.streams s ON s.stream = e.stream AND s.kind IN ('person', 'relay')
        LEFT JOIN gate.people p ON s.kind = 'person' AND p.role = e.author
        LEFT JOIN gate.people q ON s.kind = 'relay' AND 'slack:' || q.slack = (e.data::jsonb)->>'approver'
        WHERE e.request = request_ AND e.kind = 'vote'
        ORDER BY e.gid;
END
$$;

REVOKE ALL ON gate.slack_cards FROM PUBLIC;
REVOKE ALL ON FUNCTION gate.relay_claim(text, text, text), gate.relay_posted(text, text, text),
    gate.relay_closed(text), gate.relay_vote(text, text), gate.votes(text) FROM PUBLIC;
GRANT SELECT ON gate.slack_cards TO gate_relay, gate_auditor;
GRANT EXECUTE ON FUNCTION gate.relay_claim(text, text, text), gate.relay_posted(text, text, text),
    gate.relay_closed(text), gate.relay_vote(text, text) TO gate_relay;
GRANT EXECUTE ON FUNCTION gate.votes(text) TO gate_host, gate_approver, gate_relay, gate_auditor;

RESET ROLE;
