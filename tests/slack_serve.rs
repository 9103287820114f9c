//! `gate slack serve`, the fleet's Slack relay, on a real PostgreSQL against the fake Slack:
//! hosts (gate processes with their own roles and homes) hold no Slack token; two relays do,
//! each with one Socket Mode connection, and the fake hands each click to a random one. Attacks
//! first: a host or an approver calling the relay's vote function, a relay recording a click
//! that was not on the request's card, a host forging a Slack vote in its own stream.

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use support::pg::{self, Db};
use support::slack::{self, FakeSlack, Post, Script, To};
use support::{Env, events, finish};

/// A host: its own home, ledger and login role; `echo` asks Slack, with no Slack token here
/// (the policy's [slack] names the channel, as the fleet's one policy does everywhere).
fn host(db: &Db, short: &str, timeout: &str) -> (Env, String) {
    let role = db.role(short, "gate_host");
    let env = Env::with_policy(&format!(
        r#"
[defaults]
channels = ["slack"]
timeout = "{timeout}"

[approvers]
sre = ["slack:UALICE", "slack:UBOB", "slack:UREQ"]

[identity]
slack = "UREQ"

[slack]
channel = "{channel}"
api_base = "http://127.0.0.1:9/api"
mode = "socket"

[[rule]]
id = "echo-asks"
command = "echo"
decision = "ask"
approvers = ["sre"]
"#,
        channel = slack::CHANNEL
    ))
    .var("GATE_FLEET", db.url_as(&role));
    (env, role)
}

/// A relay process, ended with the test; what it said is printed then (shown when it fails).
struct Relay(Option<Child>);

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let out = finish(child);
            eprintln!("--- relay said:\n{}", out.stderr);
        }
    }
}

/// `gate slack serve` as its own role, its connection labelled `label`.
fn relay(db: &Db, fake: &FakeSlack, label: &str) -> Relay {
    let role = db.role(label, "gate_relay");
    let env = Env::with_policy(&format!(
        r#"
[slack]
channel = "{channel}"
api_base = "{api}"
mode = "socket"
"#,
        channel = slack::CHANNEL,
        api = fake.url
    ));
    let child = env
        .gate()
        .args(["slack", "serve"])
        .env("GATE_FLEET", db.url_as(&role))
        .env("GATE_SLACK_TOKEN", slack::TOKEN)
        .env("GATE_SLACK_APP_TOKEN", slack::app_token(label))
        .spawn();
    // The Env (its home) must outlive the process: leak it for the test's lifetime.
    std::mem::forget(env);
    Relay(Some(child))
}

fn wait_links(fake: &FakeSlack, labels: &[&str]) {
    let end = Instant::now() + Duration::from_secs(20);
    while !labels
        .iter()
        .all(|l| fake.open_links().iter().any(|k| k == l))
    {
        assert!(
            Instant::now() < end,
            "relays not connected: {:?}",
            fake.open_links()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

/// The attack: only a relay's role may record a Slack vote. A host (which could otherwise
/// approve its own requests "from Slack") and an approver are refused by PostgreSQL; a relay
/// is refused a click that was not on the request's card; a vote a host appends to its own
/// stream naming a Slack approver is not counted.
#[test]
fn only_a_relay_records_slack_votes_and_only_for_the_card() {
    let Some(db) = pg::fleet("only_a_relay_records_slack_votes_and_only_for_the_card") else {
        return;
    };
    let fake = FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    });
    let (env, host_role) = host(&db, "build1", "4s");
    let child = env.gate().args(["--", "echo", "forged"]).spawn();
    // No relay runs: the request waits with no card; the host forges a Slack vote.
    let end = Instant::now() + Duration::from_secs(15);
    let id: String = loop {
        let row = db
            .admin()
            .query_opt("SELECT request FROM gate.waits", &[])
            .unwrap();
        if let Some(r) = row {
            break r.get(0);
        }
        assert!(Instant::now() < end, "the request never waited");
        std::thread::sleep(Duration::from_millis(50));
    };
    let vote = serde_json::json!({
        "approver": "slack:UALICE", "verdict": "approve", "action_ts": "1.1",
        "api_base": fake.url, "team": "T1", "channel": slack::CHANNEL, "message_ts": slack::TS,
    })
    .to_string();
    let approver = db.role("alice", "gate_approver");
    for role in [&host_role, &approver] {
        let err = db
            .connect_as(role)
            .query("SELECT * FROM gate.relay_vote($1, $2)", &[&id, &vote])
            .expect_err("a non-relay recorded a Slack vote");
        assert!(message(&err).contains("permission denied"), "{err}");
        let err = db
            .connect_as(role)
            .query(
                "SELECT gate.relay_claim($1, $2, $3)",
                &[&id, &fake.url, &"T1"],
            )
            .expect_err("a non-relay claimed a card");
        assert!(message(&err).contains("permission denied"), "{err}");
    }
    // The host appends the vote to its own stream, as gate.append lets it.
    let time: String = db
        .admin()
        .query_one("SELECT gate.now_text()", &[])
        .unwrap()
        .get(0);
    db.connect_as(&host_role)
        .query(
            "SELECT * FROM gate.append(ARRAY[$1], ARRAY[$2], ARRAY['vote'], ARRAY[$3])",
            &[&id, &time, &vote],
        )
        .unwrap();
    // A relay: the request has no card, so no click on it counts.
    let relay_role = db.role("relay0", "gate_relay");
    let err = db
        .connect_as(&relay_role)
        .query("SELECT * FROM gate.relay_vote($1, $2)", &[&id, &vote])
        .expect_err("a click on no card was recorded");
    assert!(message(&err).contains("no card"), "{err}");
    // Claimed and posted elsewhere: a click on another message does not count either.
    let mut relay_db = db.connect_as(&relay_role);
    let won: bool = relay_db
        .query_one(
            "SELECT gate.relay_claim($1, $2, $3)",
            &[&id, &fake.url, &"T1"],
        )
        .unwrap()
        .get(0);
    assert!(won);
    relay_db
        .query_one(
            "SELECT gate.relay_posted($1, $2, $3)",
            &[&id, &slack::CHANNEL, &"1700000099.000001"],
        )
        .unwrap();
    let err = relay_db
        .query("SELECT * FROM gate.relay_vote($1, $2)", &[&id, &vote])
        .expect_err("a click on another message was recorded");
    assert!(message(&err).contains("not on the card"), "{err}");
    let out = finish(child);
    assert_eq!(
        out.code, 75,
        "a forged Slack vote approved it: {}",
        out.stderr
    );
    assert_eq!(fake.posts().len(), 0);
}

/// Two relays, hosts with no Slack token, the fake handing each click to a random relay: every
/// card posted once, every click counted once (one delivered to both relays too), the
/// requester's own click refused, every command run.
#[test]
fn two_relays_post_each_card_once_and_count_every_click() {
    let Some(db) = pg::fleet("two_relays_post_each_card_once_and_count_every_click") else {
        return;
    };
    let fake = FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    });
    let _r1 = relay(&db, &fake, "relay1");
    let _r2 = relay(&db, &fake, "relay2");
    wait_links(&fake, &["relay1", "relay2"]);
    let (a, _) = host(&db, "hosta", "60s");
    let (b, _) = host(&db, "hostb", "60s");
    let labels = ["a1", "a2", "a3", "b1", "b2", "b3"];
    let mut children = Vec::new();
    for l in labels {
        let env = if l.starts_with('a') { &a } else { &b };
        children.push((l, env.gate().args(["--", "echo", l]).spawn()));
    }
    let end = Instant::now() + Duration::from_secs(20);
    while fake.posts().len() < labels.len() {
        if let Some(i) = children
            .iter_mut()
            .position(|(_, c)| c.try_wait().unwrap().is_some())
        {
            let (l, c) = children.remove(i);
            let out = finish(c);
            panic!(
                "{l} ended before its card was posted: {} {}",
                out.code, out.stderr
            );
        }
        assert!(
            Instant::now() < end,
            "{} of {} cards posted",
            fake.posts().len(),
            labels.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let posts = fake.posts();
    // Both relays saw every wait; give the slower one time to post a second card if it would.
    std::thread::sleep(Duration::from_millis(1500));
    let posts_now = fake.posts();
    assert_eq!(posts_now.len(), labels.len(), "{posts_now:?}");
    let mut ids: Vec<String> = posts.iter().map(|p| p.request.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), labels.len());

    let card = |label: &str| -> Post {
        posts
            .iter()
            .find(|p| p.params.to_string().contains(&format!("echo {label}")))
            .cloned()
            .unwrap()
    };
    // The requester approving their own request from Slack: refused.
    let own = fake.click_payload(&card("a1"), "UREQ", "gate_approve");
    assert!(fake.deliver(&To::Random, &own).1);
    // Recorded before the approving click, so that the host judges it first.
    let end = Instant::now() + Duration::from_secs(10);
    while db
        .admin()
        .query_one(
            "SELECT count(*) FROM gate.events WHERE kind = 'vote' AND data::jsonb->>'approver' = 'slack:UREQ'",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(Instant::now() < end, "the requester's click was not recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let mut by = std::collections::HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        let click = fake.click_payload(&card(l), "UALICE", "gate_approve");
        let (to, acked) = fake.deliver(&To::Random, &click);
        assert!(acked);
        *by.entry(to.clone()).or_insert(0) += 1;
        if i == 0 {
            // Slack delivering the same click again, to the other relay.
            assert!(fake.deliver(&To::NotLabel(to), &click).1);
        }
    }
    for (l, child) in children {
        let out = finish(child);
        assert_eq!(out.code, 0, "{l}: {}", out.stderr);
        assert_eq!(out.stdout, format!("{l}\n"));
    }
    eprintln!(
        "2 relays, 6 requests on 2 hosts: clicks by relay {by:?}; all ran {:.0} ms after the first click",
        started.elapsed().as_secs_f64() * 1e3
    );
    // One relay vote per click in the fleet: 6 approvals and the requester's own.
    let counts: Vec<(String, i64)> = db
        .admin()
        .query(
            "SELECT e.request, count(*) FROM gate.events e JOIN gate.streams s ON s.stream = e.stream \
             WHERE s.kind = 'relay' AND e.kind = 'vote' AND e.data::jsonb->>'approver' = 'slack:UALICE' \
             GROUP BY e.request",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(counts.len(), labels.len(), "{counts:?}");
    assert!(counts.iter().all(|(_, n)| *n == 1), "{counts:?}");
    // On the host: approved by slack:UALICE, the requester's click refused.
    let show = a.show(card("a1").request.as_deref().unwrap());
    assert_eq!(show["approvals"][0]["approver"], "slack:UALICE");
    let refused: Vec<_> = events(&show, "vote")
        .into_iter()
        .filter(|v| v["approver"] == "slack:UREQ")
        .collect();
    assert_eq!(refused.len(), 1, "{show}");
    assert_eq!(refused[0]["accepted"], false);
    // Every card was closed by the relay that posted it, with the verdict the host shipped.
    let end = Instant::now() + Duration::from_secs(15);
    let closed = || {
        fake.updates()
            .iter()
            .filter(|u| u.contains("Approved by <@UALICE>") && !u.contains("gate_approve"))
            .count()
    };
    while closed() < labels.len() {
        assert!(Instant::now() < end, "{:?}", fake.updates());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(fake.updates().len(), labels.len(), "{:?}", fake.updates());
    // `gate fleet status` shows the relays by their cards: every card posted once, none open.
    let audit = db.role("audit", "gate_auditor");
    let status = Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(0)
        .run()
        .json_lines()[0]
        .clone();
    let relays = status["relays"].as_array().unwrap();
    let posted: i64 = relays.iter().map(|r| r["posted"].as_i64().unwrap()).sum();
    assert_eq!(posted, labels.len() as i64, "{status}");
    assert!(relays.iter().all(|r| r["open"] == 0), "{status}");
    assert_eq!(status["unserved"], 0, "{status}");
}

#[test]
fn fleet_status_warns_of_requests_no_relay_serves() {
    let Some(db) = pg::fleet("fleet_status_warns_of_requests_no_relay_serves") else {
        return;
    };
    // No relay runs: the request waits on Slack and nobody posts its card.
    let (a, _) = host(&db, "build1", "60s");
    let waiting = a.gate().args(["--", "echo", "x"]).spawn();
    let audit = db.role("audit", "gate_auditor");
    let reader = Env::new().var("GATE_FLEET", db.url_as(&audit));
    let until = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let out = reader.gate().args(["fleet", "status"]).status(0).run();
        if out.stdout.contains("no card posted") {
            break out.stdout;
        }
        assert!(Instant::now() < until, "no warning: {}", out.stdout);
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(text.contains("gate slack serve"), "{text}");
    let json = reader
        .gate()
        .args(["fleet", "status", "--json"])
        .status(0)
        .run()
        .json_lines()[0]
        .clone();
    assert_eq!(json["unserved"], 1, "{json}");
    assert_eq!(json["relays"], serde_json::json!([]), "{json}");
    let mut child = waiting;
    let _ = child.kill();
    let _ = child.wait();
}

/// The figure: 20 requests waiting on 4 hosts, 2 relays, each click handed to a random relay,
/// one at a time: from the click leaving the fake Slack to the host's gate ending (its command
/// ran). Prints p50 and the worst.
#[test]
fn twenty_waiting_in_the_fleet_click_to_exit() {
    let Some(db) = pg::fleet("twenty_waiting_in_the_fleet_click_to_exit") else {
        return;
    };
    let fake = FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    });
    let _r1 = relay(&db, &fake, "relay1");
    let _r2 = relay(&db, &fake, "relay2");
    wait_links(&fake, &["relay1", "relay2"]);
    let hosts: Vec<Env> = (0..4)
        .map(|h| host(&db, &format!("h{h}"), "90s").0)
        .collect();
    let labels: Vec<String> = (0..20).map(|i| format!("job{i:02}")).collect();
    let mut children = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        children.push(hosts[i % 4].gate().args(["--", "echo", l]).spawn());
    }
    let end = Instant::now() + Duration::from_secs(60);
    while fake.posts().len() < labels.len() {
        assert!(
            Instant::now() < end,
            "{} of 20 cards posted",
            fake.posts().len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let posts = fake.posts();
    let mut ms = Vec::new();
    for (l, mut child) in labels.iter().zip(children) {
        let card = posts
            .iter()
            .find(|p| p.params.to_string().contains(&format!("echo {l}")))
            .unwrap();
        let click = fake.click_payload(card, "UALICE", "gate_approve");
        let sent = Instant::now();
        assert!(fake.deliver(&To::Random, &click).1);
        while child.try_wait().unwrap().is_none() {
            assert!(sent.elapsed() < Duration::from_secs(10), "{l} never ran");
            std::thread::sleep(Duration::from_millis(2));
        }
        ms.push(sent.elapsed().as_secs_f64() * 1e3);
        let out = finish(child);
        assert_eq!(out.code, 0, "{l}: {}", out.stderr);
    }
    assert_eq!(fake.posts().len(), 20, "a card was posted twice");
    ms.sort_by(f64::total_cmp);
    eprintln!(
        "fleet, 20 waiting on 4 hosts, 2 relays: click to exit p50 {:.0} ms, max {:.0} ms",
        ms[10], ms[19]
    );
}

/// Reactions in a fleet arrive as `reaction_added` events over a relay's connection (no
/// polling): a ✅ on the card approves; the same event delivered to both relays is one vote; a
/// ❌ on another message is nobody's vote.
#[test]
fn a_reaction_on_the_card_approves_through_a_relay() {
    let Some(db) = pg::fleet("a_reaction_on_the_card_approves_through_a_relay") else {
        return;
    };
    let fake = FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    });
    let _r1 = relay(&db, &fake, "relay1");
    let _r2 = relay(&db, &fake, "relay2");
    wait_links(&fake, &["relay1", "relay2"]);
    let (env, _) = host(&db, "hostr", "30s");
    let child = env.gate().args(["--", "echo", "reacted"]).spawn();
    let end = Instant::now() + Duration::from_secs(20);
    while fake.posts().is_empty() {
        assert!(Instant::now() < end, "no card posted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let card = fake.posts()[0].clone();
    let reaction = |name: &str, user: &str, ts: &str, at: &str| {
        serde_json::json!({
            "type": "reaction_added", "user": user, "reaction": name,
            "item": {"type": "message", "channel": slack::CHANNEL, "ts": ts},
            "item_user": "UGATEBOT", "event_ts": at,
        })
    };
    let elsewhere = reaction("x", "UBOB", "1600000000.000001", "1700000300.000001");
    assert!(fake.deliver_event(&To::Random, &elsewhere).1);
    let yes = reaction(
        "white_check_mark::skin-tone-2",
        "UBOB",
        &card.ts,
        "1700000300.000002",
    );
    let (to, acked) = fake.deliver_event(&To::Random, &yes);
    assert!(acked);
    assert!(fake.deliver_event(&To::NotLabel(to), &yes).1);
    let out = finish(child);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "reacted\n");
    let id = card.request.unwrap();
    assert_eq!(env.show(&id)["approvals"][0]["approver"], "slack:UBOB");
    let votes: i64 = db
        .admin()
        .query_one(
            "SELECT count(*) FROM gate.events e JOIN gate.streams s ON s.stream = e.stream \
             WHERE s.kind = 'relay' AND e.kind = 'vote'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(votes, 1);
}

/// Self-approval across identities: the people table links a Slack id to the requester's OS
/// user; that person's click, relayed, is refused, as a `pg:` vote of theirs would be.
#[test]
fn a_relayed_click_by_the_requesters_linked_slack_identity_is_refused() {
    let Some(db) = pg::fleet("a_relayed_click_by_the_requesters_linked_slack_identity_is_refused")
    else {
        return;
    };
    let fake = FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    });
    let _r1 = relay(&db, &fake, "relay1");
    wait_links(&fake, &["relay1"]);
    let me = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let bob = db.role("bob", "gate_approver");
    db.admin()
        .execute(
            "INSERT INTO gate.people (role, slack, email, os_users) VALUES ($1, 'UBOB', 'bob@example.com', ARRAY[$2])",
            &[&bob, &me],
        )
        .unwrap();
    let (env, _) = host(&db, "hostp", "30s");
    let child = env.gate().args(["--", "echo", "linked"]).spawn();
    let end = Instant::now() + Duration::from_secs(20);
    while fake.posts().is_empty() {
        assert!(Instant::now() < end, "no card posted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let card = fake.posts()[0].clone();
    let own = fake.click_payload(&card, "UBOB", "gate_approve");
    assert!(fake.deliver(&To::Random, &own).1);
    let id = card.request.clone().unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while !env
        .ledger_events()
        .iter()
        .any(|e| e.request == id && e.kind == "vote")
    {
        assert!(Instant::now() < end, "the linked click was never judged");
        std::thread::sleep(Duration::from_millis(20));
    }
    let alice = fake.click_payload(&card, "UALICE", "gate_approve");
    assert!(fake.deliver(&To::Random, &alice).1);
    let out = finish(child);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let show = env.show(&id);
    assert_eq!(show["approvals"][0]["approver"], "slack:UALICE");
    let v = events(&show, "vote");
    assert_eq!(v[0]["approver"], "slack:UBOB");
    assert_eq!(v[0]["accepted"], false, "{show}");
    assert!(
        v[0]["refused"].as_str().unwrap().contains("the requester"),
        "{show}"
    );
}

// The Events API over HTTP: Slack's requests signed with the app's signing secret.

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// `gate slack serve --http 127.0.0.1:PORT` as its own role; no app token.
fn http_relay(db: &Db, fake: &FakeSlack, label: &str) -> (Relay, u16) {
    let role = db.role(label, "gate_relay");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::with_policy(&format!(
        "[slack]\nchannel = \"{}\"\napi_base = \"{}\"\n",
        slack::CHANNEL,
        fake.url
    ));
    let child = env
        .gate()
        .args(["slack", "serve", "--http", &format!("127.0.0.1:{port}")])
        .env("GATE_FLEET", db.url_as(&role))
        .env("GATE_SLACK_TOKEN", slack::TOKEN)
        .env("GATE_SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .spawn();
    std::mem::forget(env);
    let end = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "the relay never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Relay(Some(child)), port)
}

fn signature(secret: &str, ts: u64, body: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// POST `body` to the relay as Slack would; the status and the body of the answer.
fn slack_post(port: u16, ctype: &str, body: &str, signed: Option<(u64, String)>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let headers = match signed {
        Some((ts, sig)) => {
            format!("X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sig}\r\n")
        }
        None => String::new(),
    };
    write!(
        s,
        "POST /slack HTTP/1.1\r\nHost: relay\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let code = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn relay_votes(db: &Db, user: &str) -> i64 {
    db.admin()
        .query_one(
            "SELECT count(*) FROM gate.events e JOIN gate.streams s ON s.stream = e.stream \
             WHERE s.kind = 'relay' AND e.kind = 'vote' AND e.data::jsonb->>'approver' = $1",
            &[&format!("slack:{user}")],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_relay_over_http_takes_only_requests_signed_by_slack() {
    let Some(db) = pg::fleet("a_relay_over_http_takes_only_requests_signed_by_slack") else {
        return;
    };
    let fake = FakeSlack::start(Script::default());
    let (_relay, port) = http_relay(&db, &fake, "httprelay");
    let (a, _) = host(&db, "hosta", "60s");
    let child = a.gate().args(["--", "echo", "over-http"]).spawn();
    let end = Instant::now() + Duration::from_secs(20);
    while fake.posts().is_empty() {
        assert!(Instant::now() < end, "no card was posted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let card = fake.posts()[0].clone();
    let click = fake.click_payload(&card, "UALICE", "gate_approve");
    let body = format!("payload={}", form_encode(&click.to_string()));
    let form = "application/x-www-form-urlencoded";

    // Attacks: unsigned, signed with another secret, signed but replayed ten minutes later,
    // and a signed body altered on the way. None is read as a click.
    assert_eq!(slack_post(port, form, &body, None).0, 401);
    let t = now();
    let wrong = signature("not-the-secret", t, &body);
    assert_eq!(slack_post(port, form, &body, Some((t, wrong))).0, 401);
    let old = t - 600;
    let stale = signature(SIGNING_SECRET, old, &body);
    assert_eq!(slack_post(port, form, &body, Some((old, stale))).0, 401);
    let sig = signature(SIGNING_SECRET, t, &body);
    let altered = body.replace("UALICE", "UBOB");
    assert_eq!(
        slack_post(port, form, &altered, Some((t, sig.clone()))).0,
        401
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(relay_votes(&db, "UALICE"), 0);
    assert_eq!(relay_votes(&db, "UBOB"), 0);

    // Slack's handshake when the request URL is set: the challenge comes back.
    let hello = r#"{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}"#;
    let (code, said) = slack_post(
        port,
        "application/json",
        hello,
        Some((t, signature(SIGNING_SECRET, t, hello))),
    );
    assert_eq!(code, 200);
    assert_eq!(said, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");

    // Control: the click as Slack signs it approves, once.
    assert_eq!(slack_post(port, form, &body, Some((t, sig))).0, 200);
    let out = finish(child);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "over-http\n");
    assert_eq!(relay_votes(&db, "UALICE"), 1);
}
