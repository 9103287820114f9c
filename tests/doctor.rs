//! `gate doctor`: every check is ok, warn or fail, the JSON says so, and the exit status is 1
//! exactly when something fails. The network checks answer in time even when nothing answers
//! them.

mod support;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::http::{self, HttpRequest, HttpResponse};
use support::slack::{self, FakeSlack};
use support::*;

/// `gate doctor --json`, expecting exit status `status`.
fn doctor(env: &Env, status: i32) -> Value {
    let report = env
        .gate()
        .args(["doctor", "--json"])
        .status(status)
        .run()
        .json();
    assert_eq!(report["ok"], status == 0, "{report}");
    for c in report["checks"].as_array().expect("checks") {
        assert!(c["section"].is_string() && c["name"].is_string(), "{c}");
        assert!(c["detail"].is_string(), "{c}");
        assert!(
            ["ok", "warn", "fail"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
        assert!(c["fix"].is_null() || c["fix"].is_string(), "{c}");
    }
    report
}

/// The checks of `section` named `name`.
fn checks<'a>(report: &'a Value, section: &str, name: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == section && c["name"] == name)
        .collect()
}

/// The one check of `section` named `name`.
#[track_caller]
fn check<'a>(report: &'a Value, section: &str, name: &str) -> &'a Value {
    match checks(report, section, name).as_slice() {
        [one] => one,
        other => panic!("{} checks {section}/{name}: {report}", other.len()),
    }
}

#[test]
fn a_fresh_home_without_a_ledger_warns_and_passes() {
    let env = Env::new();
    let report = doctor(&env, 0);
    let ledger = check(&report, "ledger", "path");
    assert_eq!(ledger["status"], "warn", "{report}");
    assert!(
        ledger["detail"]
            .as_str()
            .unwrap()
            .contains("nothing has run through gate yet"),
        "{ledger}"
    );
    assert!(ledger["fix"].is_string(), "{ledger}");
    assert_eq!(check(&report, "gate", "version")["status"], "ok");
    let layer = check(&report, "policy", "built-in policy");
    assert_eq!(layer["status"], "ok");
    assert!(
        layer["detail"].as_str().unwrap().contains("sha256 "),
        "{layer}"
    );
    assert_eq!(check(&report, "policy", "lint")["status"], "ok");
    assert!(checks(&report, "slack", "token").is_empty(), "{report}");
    // Sections come in their order, each in one piece.
    let sections: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["section"].as_str().unwrap())
        .collect();
    let mut seen: Vec<&str> = sections.clone();
    seen.dedup();
    assert_eq!(
        seen,
        ["gate", "policy", "ledger", "shims", "environment"],
        "{report}"
    );
}

#[test]
fn after_a_run_the_ledger_is_ok_and_counted() {
    let env = Env::with_policy("[defaults]\ndecision = \"allow\"\npacks = [\"git\"]\n");
    env.gate().args(["--", "true"]).status(0).run();
    env.gate().args(["--", "true"]).status(0).run();
    let report = doctor(&env, 0);
    assert_eq!(check(&report, "ledger", "path")["status"], "ok", "{report}");
    // The second run waited in the intake: the doctor chained it, as a reader does.
    let intake = check(&report, "ledger", "intake");
    assert!(
        intake["detail"].as_str().unwrap().contains("chained"),
        "{intake}"
    );
    let events = env.ledger_events().len();
    let counted = check(&report, "ledger", "events");
    assert_eq!(counted["status"], "ok");
    assert!(
        counted["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{events} events")),
        "{events} events in the file: {counted}"
    );
    let chain = check(&report, "ledger", "chain");
    assert_eq!(chain["status"], "ok");
    assert_eq!(chain["detail"], format!("intact: all {events} events"));
    let layer = check(&report, "policy", "user policy");
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(env.policy_path()).unwrap(),
        ))
    };
    assert_eq!(
        layer["detail"],
        format!("{} (sha256 {digest})", env.policy_path().display())
    );
    let packs = check(&report, "policy", "packs");
    assert_eq!(packs["status"], "ok");
    assert_eq!(packs["detail"], "1 on: git");
}

#[test]
fn an_invalid_policy_fails_with_file_and_line() {
    let env = Env::with_policy("[defaults]\ndecision = \"allow\"\nopaque = \"perhaps\"\n");
    let report = doctor(&env, 1);
    let invalid = check(&report, "policy", "invalid");
    assert_eq!(invalid["status"], "fail");
    let detail = invalid["detail"].as_str().unwrap();
    let at = format!("{}:3:", env.policy_path().display());
    assert!(detail.starts_with(&at), "{at}: {invalid}");
    assert!(detail.contains("perhaps"), "{invalid}");
    assert!(invalid["fix"].as_str().unwrap().contains("78"), "{invalid}");
    // The rest is still checked.
    assert_eq!(check(&report, "ledger", "path")["status"], "warn");
}

#[test]
fn a_failing_inline_test_fails_the_lint() {
    let env = Env::with_policy(
        r#"
packs = []

[[rule]]
id = "no-curl"
command = "curl"
decision = "deny"
tests = { hit = ["wget http://x"] }
"#,
    );
    let report = doctor(&env, 1);
    let failed = check(&report, "policy", "inline test");
    assert_eq!(failed["status"], "fail");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:8:", env.policy_path().display())),
        "{failed}"
    );
    assert_eq!(check(&report, "policy", "packs")["status"], "warn");
    assert!(checks(&report, "policy", "lint").is_empty(), "{report}");
}

#[test]
fn a_tampered_ledger_fails() {
    let env = Env::new();
    for _ in 0..3 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    // Fold the intake, so that the events are in the database to be changed.
    env.gate().args(["log"]).status(0).run();
    env.sql(
        "DROP TRIGGER events_append_only_update; UPDATE events SET kind = 'finished' WHERE seq = 2;",
    )
    .unwrap();
    let report = doctor(&env, 1);
    let chain = check(&report, "ledger", "chain");
    assert_eq!(chain["status"], "fail", "{report}");
    assert!(
        chain["detail"]
            .as_str()
            .unwrap()
            .starts_with("breaks at event #2 "),
        "{chain}"
    );
    assert!(chain["fix"].is_string());
}

/// A Slack API that accepts connections and never answers: the doctor still answers within
/// 3 s, with the Slack checks failed.
#[test]
fn an_unanswering_slack_fails_in_time() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let env = Env::with_policy(&format!(
        r#"
packs = []

[defaults]
channels = ["slack"]

[slack]
channel = "{channel}"
api_base = "http://{addr}/api"
"#,
        channel = slack::CHANNEL
    ))
    .var("GATE_SLACK_TOKEN", slack::TOKEN);
    let start = Instant::now();
    let report = doctor(&env, 1);
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(3500),
        "took {took:?}: {report}"
    );
    assert_eq!(check(&report, "slack", "token")["status"], "ok");
    for name in ["auth.test", "channel"] {
        let c = check(&report, "slack", name);
        assert_eq!(c["status"], "fail", "{c}");
        assert!(c["fix"].is_string(), "{c}");
    }
}

#[test]
fn a_working_slack_is_ok_and_a_missing_app_token_fails() {
    let fake = FakeSlack::start(slack::Script::default());
    let env = Env::with_policy(&format!(
        r#"
[defaults]
channels = ["slack"]

[slack]
channel = "{channel}"
api_base = "{api}"
mode = "socket"
"#,
        channel = slack::CHANNEL,
        api = fake.url
    ))
    .var("GATE_SLACK_TOKEN", slack::TOKEN);
    let report = doctor(&env, 1);
    let auth = check(&report, "slack", "auth.test");
    assert_eq!(auth["status"], "ok", "{report}");
    assert!(
        auth["detail"].as_str().unwrap().contains("gatebot"),
        "{auth}"
    );
    let channel = check(&report, "slack", "channel");
    assert_eq!(channel["status"], "ok", "{channel}");
    assert!(
        channel["detail"].as_str().unwrap().contains("#deploys"),
        "{channel}"
    );
    let app = check(&report, "slack", "app token");
    assert_eq!(app["status"], "fail", "{app}");
    assert!(
        app["detail"]
            .as_str()
            .unwrap()
            .contains("GATE_SLACK_APP_TOKEN"),
        "{app}"
    );
    // Nothing was posted.
    assert!(fake.calls("chat.postMessage").is_empty());
}

#[test]
fn a_webhook_that_answers_is_reachable() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let url = http::serve(Arc::new(move |req: &HttpRequest| {
        log.lock().unwrap().push(req.method.clone());
        HttpResponse::text(405, "POST only")
    }));
    let env = Env::with_policy(&format!(
        "[defaults]\nchannels = [\"webhook\"]\n\n[webhook]\nurl = \"{url}/approve?sig=s3cret\"\n"
    ))
    .var("GATE_WEBHOOK_SECRET", "hunter2");
    let report = doctor(&env, 0);
    assert_eq!(check(&report, "webhook", "secret")["status"], "ok");
    let reachable = check(&report, "webhook", "reachable");
    assert_eq!(reachable["status"], "ok", "{report}");
    let detail = reachable["detail"].as_str().unwrap();
    assert!(detail.contains("405"), "{reachable}");
    assert!(
        !detail.contains("s3cret"),
        "the URL's secret is masked: {reachable}"
    );
    assert_eq!(*seen.lock().unwrap(), ["HEAD"]);
}

#[test]
fn the_human_report_groups_by_section_with_fixes() {
    let env = Env::new();
    let out = env.gate().arg("doctor").status(0).run();
    assert!(out.stdout.starts_with("gate\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("\nledger\n  warn  path: no ledger at "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\n        fix: gate creates it with the first command it runs"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().last().unwrap().starts_with("ok: "),
        "{}",
        out.stdout
    );
}

/// The agents section: an agent found here (its directory in HOME) without gate's hooks fails
/// with the command that fixes it; installed, it is ok; Codex's hooks untrusted are a warn.
#[test]
fn agents_without_gates_hooks_fail_and_installed_ones_pass() {
    let env = Env::new();
    std::fs::create_dir_all(env.home().join(".claude")).unwrap();
    std::fs::create_dir_all(env.home().join(".codex")).unwrap();
    let report = doctor(&env, 1);
    let claude = check(&report, "agents", "Claude Code");
    assert_eq!(claude["status"], "fail", "{claude}");
    assert_eq!(claude["fix"], "gate hooks install claude-code");
    assert!(
        checks(&report, "agents", "Gemini CLI").is_empty(),
        "not here: not checked"
    );

    env.gate()
        .args(["hooks", "install", "claude-code"])
        .status(0)
        .run();
    env.gate()
        .args(["hooks", "install", "codex"])
        .status(0)
        .run();
    let report = doctor(&env, 0);
    assert_eq!(check(&report, "agents", "Claude Code")["status"], "ok");
    // Installing recorded Codex's trust for gate's hooks, as its /hooks does.
    assert_eq!(check(&report, "agents", "Codex CLI")["status"], "ok");

    // A trust for another version of the entry (or none): Codex skips the hook, so a warn.
    let config = env.home().join(".codex/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let stale = regex_lite_replace(&text);
    assert_ne!(stale, text, "{text}");
    std::fs::write(&config, stale).unwrap();
    let report = doctor(&env, 0);
    let codex = check(&report, "agents", "Codex CLI");
    assert_eq!(codex["status"], "warn", "{codex}");
    assert!(codex["fix"].as_str().unwrap().contains("/hooks"), "{codex}");

    // A hook pointing at a gate that is gone fails.
    let settings = env.home().join(".claude/settings.json");
    let moved = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("\"command\": \"/", "\"command\": \"/nonexistent/");
    std::fs::write(&settings, moved).unwrap();
    let report = doctor(&env, 1);
    let claude = check(&report, "agents", "Claude Code");
    assert!(
        claude["detail"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{claude}"
    );
}

/// `text` with every `trusted_hash` replaced by one that matches nothing.
fn regex_lite_replace(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("trusted_hash") {
                "trusted_hash = \"sha256:00\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
