//! The approval channels end to end: the real binary against a fake Slack, a fake webhook
//! receiver, and `gate approve` from another process under a PTY.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::http::{self, HttpRequest, HttpResponse};
use support::slack::{self, FakeSlack, Script, react};
use support::{Env, events, finish, skip_under_agent};

fn slack_policy(api_base: &str, channel: &str, quorum: u32, timeout: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["slack"]
timeout = "{timeout}"

[approvers]
sre = ["slack:UALICE", "email:bob@example.com"]

[identity]
slack = "UREQ"

[slack]
channel = "{channel}"
api_base = "{api_base}"
poll_interval = "200ms"

[[rule]]
id = "echo-ask"
command = "echo"
decision = "ask"
message = "Echoing needs a second pair of eyes <!here>"
risk = "high"
approvers = ["sre"]
quorum = {quorum}
"#
    )
}

fn slack_env(fake: &FakeSlack, quorum: u32) -> Env {
    Env::with_policy(&slack_policy(&fake.url, slack::CHANNEL, quorum, "5s"))
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
}

/// The votes of a request as (approver, verdict, accepted).
fn votes(show: &Value) -> Vec<(String, String, bool)> {
    events(show, "vote")
        .iter()
        .map(|v| {
            (
                v["approver"].as_str().unwrap().to_string(),
                v["verdict"].as_str().unwrap().to_string(),
                v["accepted"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn slack_approval_runs_the_command_and_updates_the_message() {
    let fake = FakeSlack::start(Script {
        reactions: vec![react(1, "white_check_mark", "UALICE")],
        ..Script::default()
    });
    let env = slack_env(&fake, 1);
    let out = env
        .gate()
        .args([
            "--reason",
            "ping <@U999> & friends",
            "--",
            "echo",
            "<@U123>",
            "<!channel>",
            "--password=hunter2",
        ])
        .status(0)
        .run();
    assert!(out.stdout.contains("<@U123> <!channel>"));

    // What was posted: escaped, masked, with the request's context.
    let posted = fake.posted();
    let text = posted.to_string();
    assert!(text.contains("&lt;@U123&gt;"), "{text}");
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(text.contains("&lt;@U999&gt; &amp; friends"), "{text}");
    assert!(text.contains("&lt;!here&gt;"), "{text}");
    assert!(!text.contains("<@U123>") && !text.contains("<!channel>") && !text.contains("<!here>"));
    assert!(!text.contains("hunter2"), "secret leaked: {text}");
    assert!(text.contains("echo-ask") && text.contains("high"));
    let auth = &fake.calls("auth.test")[0];
    assert_eq!(auth.auth.as_deref(), Some("Bearer xoxb-test-token"));
    let poll = &fake.calls("reactions.get")[0];
    assert_eq!(poll.params["full"], "true");

    let updates = fake.updates();
    assert_eq!(updates.len(), 1);
    assert!(
        updates[0].contains("Approved by <@UALICE>"),
        "{}",
        updates[0]
    );

    let show = env.last();
    assert_eq!(show["status"], "ran");
    assert_eq!(show["approvals"][0]["approver"], "slack:UALICE");
    assert_eq!(show["approvals"][0]["channel"], "slack");
    assert_eq!(show["approvals"][0]["verdict"], "approve");
}

#[test]
fn slack_denial_exits_77() {
    let fake = FakeSlack::start(Script {
        reactions: vec![react(0, "x", "UALICE")],
        ..Script::default()
    });
    let env = slack_env(&fake, 1);
    env.gate()
        .args(["--", "echo", "hi"])
        .status(77)
        .stderr_contains("denied in slack by slack:UALICE")
        .run();
    assert!(
        fake.updates()
            .last()
            .unwrap()
            .contains("Denied by <@UALICE>")
    );
    assert_eq!(env.last()["status"], "denied");
}

#[test]
fn slack_requester_and_strangers_are_refused_and_gate_keeps_waiting() {
    let fake = FakeSlack::start(Script {
        reactions: vec![
            react(0, "white_check_mark", "UREQ"),
            react(0, "white_check_mark", "UCAROL"),
            react(0, "white_check_mark", "UROBOT"),
            react(0, "white_check_mark", "UGUEST"),
            react(0, "white_check_mark", "UOTHER"),
            react(0, "x", "UGONE"),
            // Bob is an approver through his profile email.
            react(3, "white_check_mark", "UBOB"),
        ],
        ..Script::default()
    });
    let env = slack_env(&fake, 1);
    env.gate().args(["--", "echo", "hi"]).status(0).run();
    let show = env.last();
    let v = votes(&show);
    let refused = |who: &str| {
        v.iter()
            .any(|(a, _, accepted)| a == &format!("slack:{who}") && !accepted)
    };
    for who in ["UREQ", "UCAROL", "UROBOT", "UGUEST", "UOTHER", "UGONE"] {
        assert!(refused(who), "{who} not refused: {v:?}");
    }
    let reasons: Vec<String> = events(&show, "vote")
        .iter()
        .filter_map(|e| e["refused"].as_str().map(str::to_string))
        .collect();
    let all = reasons.join(" | ");
    assert!(all.contains("requester"), "{all}");
    assert!(all.contains("bots cannot approve"), "{all}");
    assert!(all.contains("guest"), "{all}");
    assert!(all.contains("another Slack workspace"), "{all}");
    assert!(all.contains("deactivated"), "{all}");
    assert!(all.contains("not among the approvers"), "{all}");
    assert_eq!(show["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(show["approvals"][0]["approver"], "slack:UBOB");
    assert!(
        fake.updates()
            .last()
            .unwrap()
            .contains("Approved by <@UBOB>")
    );
}

#[test]
fn slack_quorum_of_two_needs_two_people() {
    let fake = FakeSlack::start(Script {
        reactions: vec![
            react(0, "white_check_mark", "UALICE"),
            react(2, "white_check_mark", "UBOB"),
        ],
        ..Script::default()
    });
    let env = slack_env(&fake, 2);
    env.gate().args(["--", "echo", "hi"]).status(0).run();
    let show = env.last();
    let approvers: Vec<&str> = show["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approver"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["slack:UALICE", "slack:UBOB"]);
    // Alice alone did not settle it: at least two polls happened after her reaction.
    assert!(fake.calls("reactions.get").len() >= 3);
    let posted = fake.posted().to_string();
    assert!(posted.contains("Approvals needed"), "{posted}");
}

#[test]
fn slack_nobody_answers_expires_with_75_and_says_so() {
    let fake = FakeSlack::start(Script::default());
    let env = Env::with_policy(&slack_policy(&fake.url, slack::CHANNEL, 1, "1500ms"))
        .var("GATE_SLACK_TOKEN", slack::TOKEN);
    env.gate().args(["--", "echo", "hi"]).status(75).run();
    assert!(fake.updates().last().unwrap().contains("Expired"));
    let show = env.last();
    assert_eq!(show["status"], "expired");
}

#[test]
fn slack_ctrl_c_cancels_with_130_and_updates_the_message() {
    let fake = FakeSlack::start(Script::default());
    let env = slack_env(&fake, 1);
    let child = env.gate().args(["--", "echo", "hi"]).spawn();
    let end = Instant::now() + Duration::from_secs(5);
    while fake.calls("reactions.get").is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(fake.updates().last().unwrap().contains("Cancelled"));
    assert_eq!(env.last()["status"], "cancelled");
}

#[test]
fn slack_429_retry_after_is_honoured() {
    let fake = FakeSlack::start(Script {
        rate_limited: 1,
        reactions: vec![react(0, "white_check_mark", "UALICE")],
        ..Script::default()
    });
    let env = slack_env(&fake, 1);
    env.gate().args(["--", "echo", "hi"]).status(0).run();
    let polls = fake.calls("reactions.get");
    assert!(polls.len() >= 2);
    let gap = polls[1].at - polls[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

fn slack_fails(env: &Env, needle: &str) {
    let out = env.gate().args(["--", "echo", "hi"]).status(69).run();
    assert!(
        out.stderr.contains(needle),
        "{needle:?} not in {}",
        out.stderr
    );
    let show = env.last();
    let failed = events(&show, "channel_failed");
    let unavailable = events(&show, "approval_requested")[0]["unavailable"].to_string();
    assert!(
        failed
            .iter()
            .any(|f| f["error"].as_str().unwrap().contains(needle))
            || unavailable.contains(needle),
        "{needle:?} not in the ledger"
    );
    assert_eq!(show["status"], "error");
}

#[test]
fn slack_bad_token_missing_channel_and_dead_server_exit_69() {
    let fake = FakeSlack::start(Script::default());
    slack_fails(
        &slack_env(&fake, 1).var("GATE_SLACK_TOKEN", "xoxb-wrong"),
        "invalid_auth",
    );
    slack_fails(
        &Env::with_policy(&slack_policy(&fake.url, "C0NOPE", 1, "5s"))
            .var("GATE_SLACK_TOKEN", slack::TOKEN),
        "channel_not_found",
    );
    slack_fails(
        &Env::with_policy(&slack_policy(
            "http://127.0.0.1:9/api",
            slack::CHANNEL,
            1,
            "5s",
        ))
        .var("GATE_SLACK_TOKEN", slack::TOKEN),
        "cannot reach Slack",
    );
    slack_fails(
        &Env::with_policy(&slack_policy(&fake.url, slack::CHANNEL, 1, "5s")),
        "GATE_SLACK_TOKEN is not set",
    );
    slack_fails(
        &slack_env(&fake, 1).var("GATE_SLACK_TOKEN", "hunter2"),
        "xoxb-",
    );
    // The bad token never reached the ledger or the fake's chat methods.
    assert!(fake.calls("chat.postMessage").len() == 1);
}

#[test]
fn slack_deleted_message_fails_the_channel() {
    let fake = FakeSlack::start(Script {
        delete_after: Some(1),
        ..Script::default()
    });
    slack_fails(&slack_env(&fake, 1), "message_not_found");
}

#[test]
fn slack_socket_mode_buttons_approve_after_a_reconnect() {
    let click = |user, action, value| slack::Click {
        user,
        action,
        value,
    };
    let fake = FakeSlack::start(Script {
        clicks: vec![
            click("UALICE", "gate_approve", Some("someotherid")),
            click("UREQ", "gate_approve", None),
            click("UALICE", "gate_approve", None),
        ],
        ..Script::default()
    });
    let policy = slack_policy(&fake.url, slack::CHANNEL, 1, "5s").replace(
        "poll_interval = \"200ms\"",
        "poll_interval = \"200ms\"\nmode = \"socket\"",
    );
    let env = Env::with_policy(&policy)
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
        .var("GATE_SLACK_APP_TOKEN", slack::APP_TOKEN);
    env.gate().args(["--", "echo", "hi"]).status(0).run();
    // Slack asked the first connection to reconnect; the clicks came on the second.
    assert_eq!(fake.ws_connections(), 2);
    assert_eq!(fake.acks(), ["env-0", "env-1", "env-2"]);
    let posted = fake.posted().to_string();
    assert!(
        posted.contains("gate_approve") && posted.contains("gate_deny"),
        "{posted}"
    );
    // The click meant for another request was answered through its response_url.
    assert_eq!(fake.responded().len(), 1);
    let show = env.last();
    let v = votes(&show);
    assert!(
        v.contains(&("slack:UREQ".into(), "approve".into(), false)),
        "{v:?}"
    );
    assert_eq!(show["approvals"][0]["approver"], "slack:UALICE");
    let updates = fake.updates();
    assert!(updates.last().unwrap().contains("Approved by <@UALICE>"));
    assert!(
        !updates.last().unwrap().contains("gate_approve"),
        "buttons left on the closed card"
    );
}

#[test]
fn slack_socket_mode_needs_an_app_token() {
    let fake = FakeSlack::start(Script::default());
    let policy = slack_policy(&fake.url, slack::CHANNEL, 1, "5s").replace(
        "poll_interval = \"200ms\"",
        "poll_interval = \"200ms\"\nmode = \"socket\"",
    );
    slack_fails(
        &Env::with_policy(&policy).var("GATE_SLACK_TOKEN", slack::TOKEN),
        "GATE_SLACK_APP_TOKEN is not set",
    );
    slack_fails(
        &Env::with_policy(&policy)
            .var("GATE_SLACK_TOKEN", slack::TOKEN)
            .var("GATE_SLACK_APP_TOKEN", "xapp-wrong"),
        "invalid_auth",
    );
}

// ---------------------------------------------------------------------------------------------
// webhook

const SECRET: &str = "s3cret";

fn webhook_policy(url: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["webhook"]
timeout = "5s"

[webhook]
url = "{url}"
poll_interval = "200ms"

[[rule]]
id = "echo-ask"
command = "echo"
decision = "ask"
risk = "critical"
"#
    )
}

fn sign(data: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(data);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

type Seen = Arc<Mutex<Vec<HttpRequest>>>;

/// A receiver that refuses unsigned requests and answers with `answer(n, request)`, n counting
/// the requests it got.
fn receiver(
    answer: impl Fn(usize, &HttpRequest) -> HttpResponse + Send + Sync + 'static,
) -> (String, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let base = Arc::new(Mutex::new(String::new()));
    let b = Arc::clone(&base);
    let url = http::serve(Arc::new(move |req: &HttpRequest| {
        let signed = if req.method == "POST" {
            req.body.clone()
        } else {
            format!("{}{}", b.lock().unwrap(), req.path).into_bytes()
        };
        if req.header("x-gate-signature") != Some(sign(&signed).as_str()) {
            return HttpResponse::text(401, "bad signature");
        }
        let mut seen = s.lock().unwrap();
        seen.push(req.clone());
        answer(seen.len(), req)
    }));
    *base.lock().unwrap() = url.clone();
    (url, seen)
}

#[test]
fn webhook_200_approves_and_the_payload_is_signed_and_masked() {
    let (url, seen) = receiver(|_, _| {
        HttpResponse::json(
            200,
            json!({"decision": "approve", "approver": "alice", "comment": "lgtm"}),
        )
    });
    let env = Env::with_policy(&webhook_policy(&format!("{url}/hook")))
        .var("GATE_WEBHOOK_SECRET", SECRET);
    env.gate()
        .args(["--reason", "deploy", "--", "echo", "--password=hunter2"])
        .status(0)
        .run();
    let got = seen.lock().unwrap()[0].clone();
    assert_eq!(got.method, "POST");
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    for key in [
        "id",
        "command",
        "rules",
        "risk",
        "requester",
        "cwd",
        "reason",
        "ci",
        "expires",
    ] {
        assert!(body.get(key).is_some(), "payload lacks {key}: {body}");
    }
    assert!(!body.to_string().contains("hunter2"));
    assert_eq!(body["rules"][0]["id"], "echo-ask");
    assert_eq!(body["risk"], "critical");
    let show = env.last();
    assert_eq!(show["approvals"][0]["approver"], "webhook:alice");
    assert_eq!(show["approvals"][0]["comment"], "lgtm");
    assert_eq!(show["id"], body["id"]);
}

#[test]
fn webhook_202_is_polled_until_a_decision() {
    let (url, seen) = receiver(|n, _| match n {
        1 => HttpResponse::json(202, json!({"status_url": "/status/42"})),
        2 | 3 => HttpResponse::json(202, json!({"status": "pending"})),
        _ => HttpResponse::json(
            200,
            json!({"decision": "deny", "approver": "bob", "comment": "not today"}),
        ),
    });
    let env = Env::with_policy(&webhook_policy(&format!("{url}/hook")))
        .var("GATE_WEBHOOK_SECRET", SECRET);
    env.gate()
        .args(["--", "echo", "hi"])
        .status(77)
        .stderr_contains("not today")
        .run();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(
        seen[1..]
            .iter()
            .all(|r| r.method == "GET" && r.path == "/status/42")
    );
}

#[test]
fn webhook_garbage_redirect_and_missing_secret_exit_69() {
    let (url, _) = receiver(|_, _| HttpResponse::text(200, "<html>hello</html>"));
    let env = Env::with_policy(&webhook_policy(&url)).var("GATE_WEBHOOK_SECRET", SECRET);
    env.gate()
        .args(["--", "echo", "hi"])
        .status(69)
        .stderr_contains("not JSON")
        .run();

    let (url, _) = receiver(|_, _| {
        HttpResponse::text(302, "").with_header("Location", "http://127.0.0.1:9/elsewhere")
    });
    let env = Env::with_policy(&webhook_policy(&url)).var("GATE_WEBHOOK_SECRET", SECRET);
    env.gate()
        .args(["--", "echo", "hi"])
        .status(69)
        .stderr_contains("redirect")
        .run();

    let env = Env::with_policy(&webhook_policy(&url));
    env.gate()
        .args(["--", "echo", "hi"])
        .status(69)
        .stderr_contains("GATE_WEBHOOK_SECRET is not set")
        .run();

    let (url, _) = receiver(|_, _| HttpResponse::json(200, json!({"decision": "maybe"})));
    let env = Env::with_policy(&webhook_policy(&url)).var("GATE_WEBHOOK_SECRET", SECRET);
    env.gate()
        .args(["--", "echo", "hi"])
        .status(69)
        .stderr_contains("valid decision")
        .run();
}

// ---------------------------------------------------------------------------------------------
// local

const LOCAL_POLICY: &str = r#"
[defaults]
channels = ["local"]
timeout = "8s"

[[rule]]
id = "true-ask"
command = "true"
decision = "ask"
"#;

/// `gate ARGS` from a real terminal (a PTY is its controlling terminal): its exit code.
fn from_terminal(env: &Env, args: &[&str], extra_env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = env.gate().args(args);
    for (k, v) in extra_env {
        cmd = cmd.env(k, v);
    }
    let mut p =
        rexpect::session::spawn_command(cmd.command(), Some(8000)).expect("spawn under a PTY");
    let text = p.exp_eof().unwrap_or_default();
    let code = match p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, c)) => c,
        other => panic!("gate under a PTY: {other:?}"),
    };
    (code, text)
}

fn spawn_waiting(env: &Env, args: &[&str]) -> std::process::Child {
    env.gate().args(args).spawn()
}

#[test]
fn local_agent_request_is_approved_from_another_terminal() {
    if skip_under_agent("local_agent_request_is_approved_from_another_terminal") {
        return;
    }
    let env = Env::with_policy(LOCAL_POLICY);
    let waiting = spawn_waiting(&env, &["--as", "claude-code", "--", "true"]);
    let id = env.wait_pending();
    let listed = env.gate().args(["pending"]).run();
    assert!(listed.stdout.contains(&id) && listed.stdout.contains("true-ask"));

    let started = Instant::now();
    let (code, text) = from_terminal(&env, &["approve", &id[..5], "--comment", "fine"], &[]);
    assert_eq!(code, 0, "{text}");
    let out = finish(waiting);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("gate approve {id}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("gate deny {id}")));
    let show = env.show(&id);
    assert_eq!(show["status"], "ran");
    assert_eq!(show["approvals"][0]["channel"], "local");
    assert_eq!(show["approvals"][0]["comment"], "fine");
    assert_eq!(events(&show, "local_vote").len(), 1);
    assert!(
        env.gate()
            .args(["pending", "--json"])
            .run()
            .stdout
            .is_empty()
    );
}

#[test]
fn local_approve_refuses_agents_and_missing_terminals() {
    if skip_under_agent("local_approve_refuses_agents_and_missing_terminals") {
        return;
    }
    let env = Env::with_policy(LOCAL_POLICY);
    let waiting = spawn_waiting(&env, &["--as", "claude-code", "--", "true"]);
    let id = env.wait_pending();

    // The agent (its markers in the environment) cannot approve, even from a terminal.
    let (code, text) = from_terminal(&env, &["approve", &id], &[("CLAUDECODE", "1")]);
    assert_eq!(code, 77, "{text}");
    assert!(text.contains("agent"), "{text}");
    // No controlling terminal: refused.
    env.gate()
        .args(["approve", &id])
        .status(77)
        .stderr_contains("no controlling terminal")
        .run();
    // Still waiting; a person denies it.
    assert_eq!(env.wait_pending(), id);
    let (code, text) = from_terminal(&env, &["deny", &id, "--comment", "no"], &[]);
    assert_eq!(code, 0, "{text}");
    let out = finish(waiting);
    assert_eq!(out.code, 77, "{}", out.stderr);

    let show = env.show(&id);
    let v = votes(&show);
    assert_eq!(
        v.iter().filter(|(_, _, accepted)| !accepted).count(),
        2,
        "{v:?}"
    );
    assert_eq!(show["status"], "denied");
}

#[test]
fn local_person_cannot_approve_their_own_request() {
    if skip_under_agent("local_person_cannot_approve_their_own_request") {
        return;
    }
    let env = Env::with_policy(LOCAL_POLICY);
    let waiting = spawn_waiting(&env, &["--", "true"]);
    let id = env.wait_pending();
    let (code, text) = from_terminal(&env, &["approve", &id], &[]);
    assert_eq!(code, 77, "{text}");
    assert!(text.contains("nobody approves their own request"), "{text}");
    assert_eq!(env.wait_pending(), id);
    let (code, text) = from_terminal(&env, &["deny", &id], &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(finish(waiting).code, 77);
    let show = env.show(&id);
    assert!(
        votes(&show)
            .iter()
            .any(|(_, verdict, accepted)| verdict == "approve" && !accepted)
    );
}

#[test]
fn local_answers_to_unknown_or_settled_requests_are_usage_errors() {
    let env = Env::with_policy(LOCAL_POLICY);
    env.gate()
        .arg("pending")
        .status(0)
        .stdout_contains("no request is waiting")
        .run();
    let out = env.gate().args(["approve", "zzzz"]).run();
    assert_ne!(out.code, 0);
}

/// Socket mode: from the approving click leaving Slack to the command starting. Prints the
/// figure (the issue's target is 500 ms); asserts the chain works end to end.
#[test]
fn slack_socket_click_to_command_start() {
    let fake = FakeSlack::start(Script {
        clicks: vec![slack::Click {
            user: "UALICE",
            action: "gate_approve",
            value: None,
        }],
        ..Script::default()
    });
    let policy = slack_policy(&fake.url, slack::CHANNEL, 1, "10s").replace(
        "poll_interval = \"200ms\"",
        "poll_interval = \"200ms\"\nmode = \"socket\"",
    );
    let env = Env::with_policy(&policy)
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
        .var("GATE_SLACK_APP_TOKEN", slack::APP_TOKEN);
    // The policy asks for `echo`; `date` inside reports when the approved script started.
    let out = env
        .gate()
        .args(["--", "sh", "-c", "echo $(date +%s%N)"])
        .status(0)
        .run();
    let started_ns: u128 = out.stdout.trim().parse().expect("date printed nanoseconds");
    let clicked = *fake.clicks_sent().last().expect("a click was sent");
    let clicked_ns = clicked
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert!(
        started_ns > clicked_ns,
        "the command started before the click"
    );
    let ms = (started_ns - clicked_ns) as f64 / 1e6;
    eprintln!("socket mode: click to command start = {ms:.1} ms");
    assert_eq!(env.last()["approvals"][0]["approver"], "slack:UALICE");
}

// checkpoints held elsewhere

fn checkpoint_policy(slack_base: &str, webhook_url: &str) -> String {
    format!(
        r#"
[defaults]
decision = "allow"

[slack]
channel = "{channel}"
api_base = "{slack_base}"

[webhook]
url = "{webhook_url}"
"#,
        channel = slack::CHANNEL
    )
}

/// The checkpoints file beside the ledger, as (seq, hash hex).
fn checkpoint_lines(env: &Env) -> Vec<(i64, String)> {
    let path = env.state("ledger.db.checkpoints");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap().parse().unwrap(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn checkpoints_are_posted_to_slack_and_the_webhook_in_the_background() {
    let fake = FakeSlack::start(Script::default());
    let (url, seen) = receiver(|_, _| HttpResponse::json(200, json!({})));
    let env = Env::with_policy(&checkpoint_policy(&fake.url, &format!("{url}/hook")))
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
        .var("GATE_WEBHOOK_SECRET", SECRET);
    // Four events a run (request, decision, started, finished): the ninth run crosses event 32
    // once its events are chained (allowed runs leave them in the intake; a reader chains them).
    for i in 0..9 {
        let out = env.gate().args(["--", "true"]).run();
        assert_eq!(out.code, 0, "run {i}: {}", out.stderr);
    }
    env.gate().arg("log").status(0).run();
    let lines = checkpoint_lines(&env);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (seq, hash) = lines[0].clone();
    assert_eq!(seq, 32);

    // The runs did not wait for the posts; they arrive shortly after.
    let deadline = Instant::now() + Duration::from_secs(15);
    let webhook_body = loop {
        let got = seen.lock().unwrap().first().cloned();
        let posted = fake.calls("chat.postMessage");
        if let (Some(req), false) = (got, posted.is_empty()) {
            break serde_json::from_slice::<Value>(&req.body).unwrap();
        }
        assert!(Instant::now() < deadline, "checkpoints were not posted");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(webhook_body["kind"], "checkpoints");
    assert_eq!(webhook_body["checkpoints"][0]["seq"], 32);
    assert_eq!(webhook_body["checkpoints"][0]["hash"], hash.as_str());
    let slack_text = fake.calls("chat.postMessage")[0].params["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(slack_text.contains(&hash), "{slack_text}");
    assert!(slack_text.contains("event 32"), "{slack_text}");

    // Everything sent is remembered: posting again sends nothing.
    let out = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(0)
        .run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        report["posted"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["sent"] == 0 && d["upto"] == 32),
        "{report}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(fake.calls("chat.postMessage").len(), 1);
}

#[test]
fn a_destination_that_is_down_fails_69_and_catches_up_later() {
    let fake = FakeSlack::start(Script::default());
    // Nothing listens on this port.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let env = Env::with_policy(&checkpoint_policy(&fake.url, &dead))
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
        .var("GATE_WEBHOOK_SECRET", SECRET);
    for _ in 0..9 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    // A reader chains the runs' events.
    env.gate().arg("log").status(0).run();
    // Wait for the background poster to finish with Slack, then post by hand.
    let deadline = Instant::now() + Duration::from_secs(15);
    while fake.calls("chat.postMessage").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the checkpoint never reached Slack"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = env
        .gate()
        .args(["checkpoints", "post"])
        .status(69)
        .stderr_contains("webhook")
        .stderr_contains("sent next time")
        .run();
    assert!(out.stdout.contains("slack: nothing new"), "{}", out.stdout);

    // The receiver comes back (here: at a new address): the next post catches up.
    let (url, seen) = receiver(|_, _| HttpResponse::json(200, json!({})));
    env.policy(&checkpoint_policy(&fake.url, &format!("{url}/hook")));
    let out = env.gate().args(["checkpoints", "post"]).status(0).run();
    assert!(
        out.stdout.contains("webhook: posted 1 checkpoint(s)"),
        "{}",
        out.stdout
    );
    let body: Value = serde_json::from_slice(&seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["checkpoints"][0]["seq"], 32);
    assert_eq!(fake.calls("chat.postMessage").len(), 1, "Slack got it once");
}

/// `gate checkpoints post` while another post holds the lock waits for it, then posts what is
/// still unsent (it used to say "another gate is posting" and exit 0 having sent nothing).
#[test]
fn a_post_by_hand_waits_for_the_one_in_progress() {
    use std::os::unix::fs::OpenOptionsExt;
    let fake = FakeSlack::start(Script::default());
    let (url, seen) = receiver(|_, _| HttpResponse::json(200, json!({})));
    let env = Env::with_policy(&checkpoint_policy(&fake.url, &format!("{url}/hook")))
        .var("GATE_SLACK_TOKEN", slack::TOKEN)
        .var("GATE_WEBHOOK_SECRET", SECRET);
    let lock_path = env.state("ledger.db.checkpoints.posted.lock");
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    // Hold the posters' lock, as a poster in progress does, before any checkpoint exists.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .unwrap();
    let held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap();
    for _ in 0..9 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    // A reader chains the runs' events.
    env.gate().arg("log").status(0).run();
    let mut child = env.gate().args(["checkpoints", "post"]).spawn();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the post by hand did not wait for the one in progress"
    );
    assert!(fake.calls("chat.postMessage").is_empty());
    drop(held);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("webhook: posted 1 checkpoint(s)"),
        "{stdout}"
    );
    assert_eq!(fake.calls("chat.postMessage").len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
}
