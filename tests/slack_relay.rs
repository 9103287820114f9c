//! Socket mode with several requests waiting on one host: Slack hands each click to one of the
//! app's open connections, so most clicks reach a gate process whose request they are not for.
//! That process records the click in the ledger, sealed, as a `slack_vote` for the request it
//! belongs to, and the request's own process counts it. These tests run the real binary against
//! the fake Slack handing clicks to chosen or random connections, and attack the relay: votes
//! written into the ledger by hand, clicks on another message or workspace, clicks delivered
//! twice.

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;
use serde_json::{Value, json};
use support::slack::{self, FakeSlack, Post, Script, To};
use support::{Env, Output, events, finish};

fn policy(api_base: &str, quorum: u32, timeout: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["slack"]
timeout = "{timeout}"

[approvers]
sre = ["slack:UALICE", "email:bob@example.com", "slack:UREQ"]

[identity]
slack = "UREQ"

[slack]
channel = "{channel}"
api_base = "{api_base}"
poll_interval = "5s"
mode = "socket"

[[rule]]
id = "echo-ask"
command = "echo"
decision = "ask"
approvers = ["sre"]
quorum = {quorum}
"#,
        channel = slack::CHANNEL
    )
}

fn routed() -> FakeSlack {
    FakeSlack::start(Script {
        routed: true,
        ..Script::default()
    })
}

fn env(fake: &FakeSlack, quorum: u32, timeout: &str) -> Env {
    Env::with_policy(&policy(&fake.url, quorum, timeout)).var("GATE_SLACK_TOKEN", slack::TOKEN)
}

/// `gate -- echo LABEL`, its Socket Mode connection labelled LABEL.
fn spawn(env: &Env, label: &str) -> Child {
    env.gate()
        .args(["--", "echo", label])
        .env("GATE_SLACK_APP_TOKEN", slack::app_token(label))
        .spawn()
}

/// A gate process waiting beside the one a test watches: ended when the test is.
struct Bystander(Child);

impl Drop for Bystander {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bystander(env: &Env, label: &str) -> Bystander {
    Bystander(spawn(env, label))
}

/// Wait until `labels` all have an open connection and a posted card; the card of each.
fn wait_cards(fake: &FakeSlack, labels: &[&str]) -> Vec<Post> {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let posts = fake.posts();
        let links = fake.open_links();
        let cards: Vec<Option<Post>> = labels
            .iter()
            .map(|l| {
                posts
                    .iter()
                    .find(|p| p.params.to_string().contains(&format!("echo {l}")))
                    .cloned()
            })
            .collect();
        // Slack keeps ten connections per app: past ten, ten of them are open.
        let connected = if labels.len() <= slack::MAX_LINKS {
            labels.iter().all(|l| links.iter().any(|k| k == l))
        } else {
            links.len() == slack::MAX_LINKS
        };
        if cards.iter().all(Option::is_some) && connected {
            return cards.into_iter().map(Option::unwrap).collect();
        }
        assert!(
            Instant::now() < end,
            "not every request posted its card and connected: posts {posts:?}, links {links:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn request_of(post: &Post) -> String {
    post.request.clone().expect("the card has buttons")
}

/// The votes of a request as (approver, verdict, accepted, refused).
fn votes(show: &Value) -> Vec<(String, String, bool, String)> {
    events(show, "vote")
        .iter()
        .map(|v| {
            (
                v["approver"].as_str().unwrap().to_string(),
                v["verdict"].as_str().unwrap().to_string(),
                v["accepted"].as_bool().unwrap(),
                v["refused"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn approvers(show: &Value) -> Vec<String> {
    show["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approver"].as_str().unwrap().to_string())
        .collect()
}

/// Wait until the ledger holds `n` events of `kind` for `request`.
fn wait_events(env: &Env, request: &str, kind: &str, n: usize) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let have = env
            .ledger_events()
            .iter()
            .filter(|e| e.request == request && e.kind == kind)
            .count();
        if have >= n {
            return;
        }
        assert!(
            Instant::now() < end,
            "{have} of {n} {kind} events for {request}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn still_waiting(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

#[track_caller]
fn ran(out: &Output, label: &str) {
    assert_eq!(out.code, 0, "{label}: {}", out.stderr);
    assert_eq!(out.stdout, format!("{label}\n"), "{label}: {}", out.stderr);
}

/// Append an event to the ledger by hand, as anything that can write the file can: the chain
/// hash is right, only gate's seal (a MAC under the ledger key) is missing or made up.
fn forge(env: &Env, request: &str, kind: &str, data: &Value) {
    let mut conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let (seq, prev): (i64, Vec<u8>) = tx
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .unwrap()
        .unwrap_or((0, gate::ledger::GENESIS.to_vec()));
    let time = gate::ledger::now_rfc3339();
    let data = data.to_string();
    let hash = gate::ledger::event_hash(&prev, seq + 1, request, &time, kind, &data);
    tx.execute(
        "INSERT INTO events (seq, request, time, kind, data, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![seq + 1, request, time, kind, data, &hash[..]],
    )
    .unwrap();
    tx.commit().unwrap();
}

/// The attack: a local process (the agent, or anything running as the user) writes a Slack
/// vote for a waiting request into the ledger, without a seal or with a made-up one, with
/// every other field right. Neither counts; the requester's own Slack identity, relayed by
/// another gate process, is refused as on a direct click; an allowed approver's relayed click
/// approves.
#[test]
fn slack_votes_written_into_the_ledger_by_hand_do_not_count() {
    let fake = routed();
    let env = env(&fake, 1, "20s");
    let mut target = spawn(&env, "target");
    let _other = bystander(&env, "other");
    let cards = wait_cards(&fake, &["target", "other"]);
    let id = request_of(&cards[0]);
    let vote = json!({
        "verdict": "approve",
        "action_ts": "1700000200.000001",
        "api_base": fake.url,
        "channel": slack::CHANNEL,
        "message_ts": cards[0].ts,
        "team": "T1",
        "user": "UALICE",
        "relayed_by": 4242,
    });
    forge(&env, &id, "slack_vote", &vote);
    let mut made_up = vote.clone();
    made_up["action_ts"] = json!("1700000200.000002");
    made_up["mac"] = json!("00".repeat(32));
    forge(&env, &id, "slack_vote", &made_up);
    // Both are looked at (and refused) before anything real arrives.
    wait_events(&env, &id, "vote", 2);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        still_waiting(&mut target),
        "a forged Slack vote approved it"
    );

    // The requester clicks on their own card; the click reaches the other process.
    let own = fake.click_payload(&cards[0], "UREQ", "gate_approve");
    assert!(fake.deliver(&To::Label("other".into()), &own).1);
    wait_events(&env, &id, "vote", 3);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        still_waiting(&mut target),
        "the requester approved their own request"
    );

    let alice = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    assert!(fake.deliver(&To::Label("other".into()), &alice).1);
    ran(&finish(target), "target");
    let show = env.show(&id);
    assert_eq!(approvers(&show), ["slack:UALICE"]);
    let v = votes(&show);
    assert_eq!(v.len(), 4, "{v:?}");
    for forged in &v[..2] {
        assert!(!forged.2, "{v:?}");
        assert!(forged.3.contains("not written by gate"), "{v:?}");
    }
    assert_eq!(v[2].0, "slack:UREQ");
    assert!(!v[2].2 && v[2].3.contains("requester"), "{v:?}");
    assert_eq!((v[3].0.as_str(), v[3].2), ("slack:UALICE", true), "{v:?}");
    // `gate verify` names the first forged row.
    let out = env.gate().args(["verify"]).run();
    assert_ne!(out.code, 0, "{}", out.stdout);
}

/// A click for the request on another card (a message the request's process did not post),
/// from another workspace, or relayed by a gate process talking to another Slack (another
/// `api_base`) does not count, though its button names the request.
#[test]
fn a_relayed_click_for_another_message_workspace_or_slack_does_not_count() {
    let fake = routed();
    let env = env(&fake, 1, "20s");
    let mut target = spawn(&env, "target");
    let _other = bystander(&env, "other");
    // A gate process of the same user, waiting on another Slack (its own policy file).
    let elsewhere = routed();
    let elsewhere_policy = env.path("elsewhere.toml");
    std::fs::write(&elsewhere_policy, policy(&elsewhere.url, 1, "20s")).unwrap();
    let _far = Bystander(
        env.gate()
            .args(["--", "echo", "far"])
            .env("GATE_POLICY", &elsewhere_policy)
            .env("GATE_SLACK_APP_TOKEN", slack::app_token("far"))
            .spawn(),
    );
    let cards = wait_cards(&fake, &["target", "other"]);
    wait_cards(&elsewhere, &["far"]);
    let id = request_of(&cards[0]);

    // The target's button, on the other request's card.
    let mut wrong_card = fake.click_payload(&cards[1], "UALICE", "gate_approve");
    wrong_card["actions"][0]["value"] = json!(id);
    assert!(fake.deliver(&To::Label("other".into()), &wrong_card).1);
    // The target's card, clicked from another workspace.
    let mut wrong_team = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    wrong_team["team"]["id"] = json!("T2");
    wrong_team["user"]["team_id"] = json!("T2");
    assert!(fake.deliver(&To::Label("other".into()), &wrong_team).1);
    // The same click (channel, ts, value) arriving at the process that talks to another Slack.
    let far_click = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    assert!(elsewhere.deliver(&To::Label("far".into()), &far_click).1);

    wait_events(&env, &id, "slack_vote", 3);
    wait_events(&env, &id, "vote", 3);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        still_waiting(&mut target),
        "a click on another card approved it"
    );

    // The control: the same person's click on the right card, relayed, approves.
    let right = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    assert!(fake.deliver(&To::Label("other".into()), &right).1);
    ran(&finish(target), "target");
    let show = env.show(&id);
    assert_eq!(approvers(&show), ["slack:UALICE"]);
    let v = votes(&show);
    assert_eq!(v.len(), 4, "{v:?}");
    assert!(v[..3].iter().all(|v| !v.2), "{v:?}");
    assert!(v[0].3.contains("another Slack message"), "{v:?}");
    assert!(v[1].3.contains("another Slack workspace"), "{v:?}");
    assert!(v[2].3.contains("another Slack"), "{v:?}");
    assert!(v[3].2, "{v:?}");
}

/// Slack delivers a click again when it thinks it was not acknowledged: the same click reaching
/// two other processes and the request's own counts once.
#[test]
fn a_click_delivered_twice_counts_once() {
    let fake = routed();
    let env = env(&fake, 2, "20s");
    let mut target = spawn(&env, "target");
    let _a = bystander(&env, "a");
    let _b = bystander(&env, "b");
    let cards = wait_cards(&fake, &["target", "a", "b"]);
    let id = request_of(&cards[0]);
    let alice = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    for to in ["a", "b", "a", "target"] {
        assert!(fake.deliver(&To::Label(to.into()), &alice).1);
    }
    wait_events(&env, &id, "vote", 1);
    std::thread::sleep(Duration::from_millis(800));
    assert!(still_waiting(&mut target), "one click made a quorum of two");
    let bob = fake.click_payload(&cards[0], "UBOB", "gate_approve");
    assert!(fake.deliver(&To::NotLabel("target".into()), &bob).1);
    ran(&finish(target), "target");
    let show = env.show(&id);
    assert_eq!(approvers(&show), ["slack:UALICE", "slack:UBOB"]);
    let alice_votes = votes(&show)
        .into_iter()
        .filter(|v| v.0 == "slack:UALICE")
        .count();
    assert_eq!(alice_votes, 1);
    // Recorded once, by the first process it reached: the others found it there.
    let relayed = env
        .ledger_events()
        .into_iter()
        .filter(|e| e.request == id && e.kind == "slack_vote" && e.json()["user"] == "UALICE")
        .count();
    assert_eq!(relayed, 1, "one click recorded {relayed} times");
}

/// The single-host fix: five requests waiting, every click handed to a connection that is not
/// the request's; all five are approved by their clicks and run.
#[test]
fn five_waiting_requests_each_click_on_a_wrong_connection_all_run() {
    let fake = routed();
    let env = env(&fake, 1, "30s");
    let labels = ["one", "two", "three", "four", "five"];
    let children: Vec<Child> = labels.iter().map(|l| spawn(&env, l)).collect();
    let cards = wait_cards(&fake, &labels);
    let started = Instant::now();
    for (label, card) in labels.iter().zip(&cards) {
        let click = fake.click_payload(card, "UALICE", "gate_approve");
        let (to, acked) = fake.deliver(&To::NotLabel(label.to_string()), &click);
        assert!(acked && to != *label, "{to} {acked}");
    }
    for ((label, child), card) in labels.iter().zip(children).zip(&cards) {
        ran(&finish(child), label);
        assert_eq!(approvers(&env.show(&request_of(card))), ["slack:UALICE"]);
    }
    eprintln!(
        "5 requests, 5 clicks on wrong connections: all ran {:.0} ms after the first click",
        started.elapsed().as_secs_f64() * 1e3
    );
    // Nobody was told to react instead.
    assert!(fake.responded().is_empty(), "{:?}", fake.responded());
}

/// The control: a click reaching the request's own connection counts as before.
#[test]
fn a_click_on_the_requests_own_connection_still_counts() {
    let fake = routed();
    let env = env(&fake, 1, "20s");
    let target = spawn(&env, "target");
    let cards = wait_cards(&fake, &["target"]);
    let click = fake.click_payload(&cards[0], "UALICE", "gate_approve");
    assert!(fake.deliver(&To::Label("target".into()), &click).1);
    ran(&finish(target), "target");
    let id = request_of(&cards[0]);
    assert_eq!(approvers(&env.show(&id)), ["slack:UALICE"]);
    assert!(
        !env.ledger_events().iter().any(|e| e.kind == "slack_vote"),
        "a direct click was relayed"
    );
}

/// Clicks handed to random connections, as Slack does, with five requests waiting: every one
/// counted.
#[test]
fn random_delivery_counts_every_click() {
    let fake = routed();
    let env = env(&fake, 1, "30s");
    let labels = ["r1", "r2", "r3", "r4", "r5"];
    let children: Vec<Child> = labels.iter().map(|l| spawn(&env, l)).collect();
    let cards = wait_cards(&fake, &labels);
    let mut wrong = 0;
    for (label, card) in labels.iter().zip(&cards) {
        let click = fake.click_payload(card, "UALICE", "gate_approve");
        let (to, acked) = fake.deliver(&To::Random, &click);
        assert!(acked);
        wrong += usize::from(to != *label);
    }
    for (label, child) in labels.iter().zip(children) {
        ran(&finish(child), label);
    }
    eprintln!(
        "random delivery: {wrong} of 5 clicks reached another request's process; 5 of 5 counted"
    );
}

/// The figure: twenty requests waiting (ten connected: Slack's limit per app), each click handed
/// to another request's connection, one at a time; from the click leaving the fake Slack to the gate process ending (its command
/// ran). Prints p50 and the worst.
#[test]
fn twenty_waiting_relayed_click_to_exit() {
    let fake = routed();
    let env = env(&fake, 1, "60s");
    let labels: Vec<String> = (1..=20).map(|i| format!("w{i:02}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let children: Vec<Child> = refs.iter().map(|l| spawn(&env, l)).collect();
    let cards = wait_cards(&fake, &refs);
    // Ten hold a connection; the other ten were told `too_many_websockets`. Those are clicked
    // first (every click reaches another process), then the ten, each on another's connection
    // while there is one.
    assert!(fake.too_many() >= 10, "{} refused", fake.too_many());
    let links = fake.open_links();
    let mut order: Vec<_> = refs.iter().zip(children).zip(&cards).collect();
    order.sort_by_key(|((l, _), _)| links.iter().any(|k| k == *l));
    let mut ms = Vec::new();
    for ((label, mut child), card) in order {
        let click = fake.click_payload(card, "UALICE", "gate_approve");
        let sent = Instant::now();
        let others = fake.open_links().iter().any(|k| k != label);
        let to = if others {
            To::NotLabel(label.to_string())
        } else {
            To::Label(label.to_string())
        };
        let (got, acked) = fake.deliver(&to, &click);
        assert!(acked && (got != *label || !others));
        while still_waiting(&mut child) {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "{label} never ran"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        ms.push(sent.elapsed().as_secs_f64() * 1e3);
        ran(&finish(child), label);
    }
    ms.sort_by(f64::total_cmp);
    eprintln!(
        "20 waiting (10 connected, Slack's limit), every click on another process's connection but perhaps the last: click to exit p50 {:.0} ms, max {:.0} ms",
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
    assert!(ms[ms.len() / 2] < 1000.0, "{ms:?}");
}
