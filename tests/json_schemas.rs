//! Every JSON shape gate prints, produced for real and validated against its committed schema
//! (`schemas/NAME.schema.json`) with a JSON Schema validator: the check, run, request (log,
//! export), show, pending, verify, doctor, rules lint/list/show and checkpoints shapes, and the
//! error object of every command that takes `--json`.
//!
//! The committed schemas are open (a reader ignores fields it does not know, so adding one is
//! no new version); here they are validated closed: an object schema that lists its properties
//! and says nothing of others gets `additionalProperties: false`, so a field printed that the
//! schema does not describe fails. Objects that hold what the ledger stored stay open, as their
//! schemas say.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::http::{self, HttpResponse};
use support::*;

/// Every shape this file produces (a shape `gate schema` names and this file does not test
/// fails [`every_shape_is_tested`]).
const TESTED: &[&str] = &[
    "check",
    "run",
    "request",
    "show",
    "pending",
    "verify",
    "doctor",
    "rules.lint",
    "rules.list",
    "rules.show",
    "checkpoints.post",
    "error",
    "fleet.init",
    "fleet.status",
    "fleet.verify",
    "ledger.migrate",
    "fleet.ship",
    "fleet.seal",
    "policy.push",
    "policy.status",
];

fn committed(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The schema with every object schema that lists properties and says nothing of others closed.
fn closed(mut schema: Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(o) => {
                if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                    o.insert("additionalProperties".into(), Value::Bool(false));
                }
                o.values_mut().for_each(close);
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema);
    schema
}

/// `instance` is a `name` (`gate.NAME/1`) as its committed schema describes it, closed.
#[track_caller]
fn valid(name: &str, instance: &Value) {
    let schema = committed(name);
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("schemas/{name}.schema.json is no valid JSON Schema: {e}"));
    let validator = jsonschema::validator_for(&closed(schema)).expect("a schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid {name}:\n{}\n{instance:#}",
        errors.join("\n")
    );
    assert_eq!(instance["schema"], format!("gate.{name}/1"), "{instance}");
}

/// Every line of stdout is a `name`; how many.
#[track_caller]
fn valid_lines(name: &str, out: &Output) -> Vec<Value> {
    let lines = out.json_lines();
    for line in &lines {
        valid(name, line);
    }
    lines
}

/// stdout is one `gate.error/1` object of this kind and exit code, and stderr has the usual
/// `gate: error:` line.
#[track_caller]
fn error_on_stdout(out: &Output, kind: &str) -> Value {
    let v = out.json();
    error_object(&v, kind, out.code);
    assert!(out.stderr.contains("gate: error: "), "{}", out.stderr);
    v
}

#[track_caller]
fn error_object(v: &Value, kind: &str, code: i32) {
    valid("error", v);
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert_eq!(v["error"]["exit_code"], code, "{v}");
}

/// The JSON lines of stderr (`gate --json -- CMD`).
fn stderr_json(out: &Output) -> Vec<Value> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line on stderr"))
        .collect()
}

const BAD_POLICY: &str = "[defaults]\ndecision = \"maybe\"\n";

#[test]
fn every_shape_is_tested() {
    let env = Env::new();
    let names = env.gate().arg("schema").status(0).run().stdout;
    let names: BTreeSet<&str> = names.lines().collect();
    let tested: BTreeSet<&str> = TESTED.iter().copied().collect();
    assert_eq!(names, tested);
}

/// The validation catches what it is here to catch: a field the schema does not list, a missing
/// one, a wrong type, another version; and it leaves the ledger's open objects open.
#[test]
fn the_validation_is_strict_where_the_schemas_are_closed() {
    let schema = jsonschema::validator_for(&closed(committed("check"))).unwrap();
    let good = json!({"schema": "gate.check/1", "decision": "allow", "risk": "low",
        "rules": [], "opaque": [], "commands": []});
    assert!(schema.is_valid(&good));
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v
    };
    assert!(!schema.is_valid(&with("extra", json!(1))));
    assert!(!schema.is_valid(&with("decision", json!("maybe"))));
    assert!(!schema.is_valid(&with("schema", json!("gate.check/2"))));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("opaque");
    assert!(!schema.is_valid(&missing));
    // The committed schema itself is open: a reader of version 1 accepts an added field.
    let open = jsonschema::validator_for(&committed("check")).unwrap();
    assert!(open.is_valid(&with("extra", json!(1))));

    let request = jsonschema::validator_for(&closed(committed("request"))).unwrap();
    let rec = json!({"schema": "gate.request/1", "id": "x", "time": "t",
        "requester": {"user": "u", "agent": null, "host": "h", "uid": 1, "agent_process": null,
            "stored_by_a_newer_gate": true},
        "cwd": "/", "command": ["true"], "script": null, "decision": "allow", "rules": [],
        "approvals": [], "status": "ran", "exit_code": 0, "signal": null, "duration_ms": 1,
        "reason": null, "ci": null, "risk": "low", "argv_hmac": null, "policy_digest": null,
        "stream": null, "policy_version": null});
    assert!(request.is_valid(&rec), "what the ledger stored stays open");
    let mut bad = rec.clone();
    bad["requester"].as_object_mut().unwrap().remove("agent");
    assert!(!request.is_valid(&bad), "a known key is always there");
}

#[test]
fn check_allow_ask_deny() {
    let env = Env::with_policy(ASK_TOUCH);
    let check = |args: &[&str], status: i32| {
        let out = env
            .gate()
            .args(["check", "--json"])
            .args(args)
            .status(status)
            .run();
        let v = out.json();
        valid("check", &v);
        v
    };
    let allow = check(&["--", "ls", "-l"], 0);
    assert_eq!(allow["decision"], "allow");
    assert_eq!(allow["rules"], json!([]));
    let ask = check(&["--", "touch", "x"], 1);
    assert_eq!(ask["decision"], "ask");
    assert_eq!(ask["rules"][0]["unresolved"], false);
    let deny = check(&["--", "rm", "x"], 2);
    assert_eq!(deny["rules"][0]["message"], "Use trash instead of rm.");
    // Wrappers peeled, something opaque, a rule without a message.
    env.policy(&format!(
        "{ASK_TOUCH}\n[[rule]]\nid = \"quiet\"\ncommand = \"mv\"\ndecision = \"ask\"\n"
    ));
    let v = check(&["--shell", "sudo bash -c 'touch x'; $K y; mv a b"], 1);
    assert_eq!(v["commands"][0]["via"][0], "sudo", "{v}");
    assert!(!v["opaque"].as_array().unwrap().is_empty(), "{v}");
    let quiet = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "quiet")
        .expect("mv matched");
    assert!(quiet["message"].is_null(), "{v}");
}

#[test]
fn the_run_decision_line() {
    let env = Env::with_policy(ASK_TOUCH);
    let out = env
        .gate()
        .args(["--json", "--", "rm", "x"])
        .status(77)
        .run();
    let lines = stderr_json(&out);
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    valid("run", &lines[0]);
    assert_eq!(lines[0]["decision"], "deny");
    let out = env
        .gate()
        .args(["--json", "--", "echo", "--password=hunter2"])
        .status(0)
        .stdout("--password=hunter2\n")
        .run();
    let line = &stderr_json(&out)[0];
    valid("run", line);
    assert_eq!(line["command"][0], "echo");
    assert!(!line["command"].to_string().contains("hunter2"), "{line}");
    // `gate run` and `gate shell -c` print the same line.
    let out = env
        .gate()
        .args(["run", "--json", "--", "true"])
        .status(0)
        .run();
    valid("run", &stderr_json(&out)[0]);
    let out = env
        .gate()
        .args(["shell", "--json", "-c", "rm y"])
        .status(77)
        .run();
    valid("run", &stderr_json(&out)[0]);
}

#[test]
fn log_and_export_lines_are_requests() {
    let env = Env::with_policy(ASK_TOUCH);
    env.gate().args(["--", "true"]).status(0).run();
    env.gate().args(["--", "rm", "x"]).status(77).run();
    env.gate()
        .args([
            "--as", "my-agent", "--reason", "why not", "--", "sh", "-c", "exit 3",
        ])
        .status(3)
        .run();
    env.gate()
        .args(["shell", "-c", "echo from a script"])
        .status(0)
        .run();
    env.gate()
        .args(["--", "true"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "o/r")
        .status(0)
        .run();
    let log = valid_lines(
        "request",
        &env.gate().args(["log", "--json"]).status(0).run(),
    );
    assert_eq!(log.len(), 5);
    // The null convention: absent things are null, not missing.
    let plain = &log[4];
    assert!(plain["requester"]["agent"].is_null(), "{plain}");
    assert!(plain["script"].is_null() && plain["ci"].is_null() && plain["reason"].is_null());
    assert!(log[0]["ci"]["job_url"].is_null(), "{}", log[0]);
    assert_eq!(log[0]["ci"]["provider"], "github-actions");
    assert!(log[1]["script"].is_string(), "{}", log[1]);
    assert_eq!(log[2]["requester"]["agent"], "my-agent");
    assert!(log[3]["rules"][0]["message"].is_string(), "{}", log[3]);
    let export = valid_lines("request", &env.gate().arg("export").status(0).run());
    assert_eq!(export.len(), 5);
    assert_eq!(export[0]["id"], log[4]["id"]);
}

/// A receiver for webhook approval requests that approves them.
fn approving_webhook() -> String {
    http::serve(Arc::new(|_req: &http::HttpRequest| {
        HttpResponse::json(
            200,
            json!({"decision": "approve", "approver": "alice", "comment": "lgtm"}),
        )
    }))
}

fn webhook_policy(url: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["webhook"]
timeout = "10s"

[webhook]
url = "{url}/hook"

[[rule]]
id = "echo-ask"
command = "echo"
decision = "ask"
risk = "high"
message = "Echo needs a yes."
"#
    )
}

#[test]
fn show_with_approvals_and_events() {
    let env = Env::with_policy(&webhook_policy(&approving_webhook()))
        .var("GATE_WEBHOOK_SECRET", "s3cret");
    env.gate().args(["--", "echo", "hi"]).status(0).run();
    let id = env.log()[0]["id"].as_str().unwrap().to_string();
    let out = env.gate().args(["show", &id, "--json"]).status(0).run();
    let show = out.json();
    valid("show", &show);
    assert_eq!(show["approvals"][0]["approver"], "webhook:alice", "{show}");
    assert_eq!(show["approvals"][0]["comment"], "lgtm");
    assert!(kinds(&show).contains(&"vote".to_string()), "{show}");
    // A denied request: no approvals, exit code null.
    env.policy(ASK_TOUCH);
    env.gate().args(["--", "rm", "x"]).status(77).run();
    let show = env.last();
    valid("show", &show);
    assert_eq!(show["approvals"], json!([]));
    assert!(show["exit_code"].is_null() && show["duration_ms"].is_null());
}

const LOCAL: &str = r#"
[defaults]
channels = ["local"]
timeout = "4s"

[approvers]
ops = ["alice", "bob"]

[[rule]]
id = "true-ask"
command = "true"
decision = "ask"
approvers = ["ops"]
"#;

#[test]
fn pending_lists_a_waiting_request() {
    let env = Env::with_policy(LOCAL);
    let out = env.gate().args(["pending", "--json"]).status(0).run();
    assert_eq!(out.stdout, "", "nothing waits yet");
    let waiting = env
        .gate()
        .args(["--as", "claude-code", "--", "true"])
        .spawn();
    let id = env.wait_pending();
    let pending = valid_lines(
        "pending",
        &env.gate().args(["pending", "--json"]).status(0).run(),
    );
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], id.as_str());
    assert_eq!(pending[0]["quorum"], 1);
    assert_eq!(pending[0]["approvers"], json!([["alice", "bob"]]));
    assert!(pending[0]["expires"].is_string());
    // Nobody answers: it expires.
    assert_eq!(finish(waiting).code, 75);
}

#[test]
fn verify_ok_and_broken() {
    let env = Env::new();
    let v = env.gate().args(["verify", "--json"]).status(0).run().json();
    valid("verify", &v);
    assert_eq!(
        (v["events"].clone(), v["first_broken"].clone()),
        (json!(0), Value::Null)
    );
    for _ in 0..3 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    let v = env.gate().args(["verify", "--json"]).status(0).run().json();
    valid("verify", &v);
    assert_eq!(v["seals_unchecked"], 0);
    env.sql("DROP TRIGGER events_append_only_update; UPDATE events SET time = '2000-01-01T00:00:00.000Z' WHERE seq = 2;")
        .unwrap();
    let v = env.gate().args(["verify", "--json"]).status(1).run().json();
    valid("verify", &v);
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["seq"], 2, "{v}");
}

#[test]
fn doctor_report() {
    let env = Env::with_policy(ASK_TOUCH);
    let out = env.gate().args(["doctor", "--json"]).run();
    assert!([0, 1].contains(&out.code), "{}", out.stderr);
    let v = out.json();
    valid("doctor", &v);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["fix"].is_null())
    );
}

#[test]
fn rules_lint_list_show() {
    let env = Env::with_policy(&format!(
        "[packs]\nenable = [\"git\"]\ndisable = [\"git.force-push\"]\n{ASK_TOUCH}\n[[rule]]\nid = \"kd\"\ncommand = \"kubectl delete\"\ndecision = \"ask\"\nwhen = {{ env = {{ KUBECONFIG = \"*prod*\" }} }}\ntests = {{ hit = [\"kubectl delete ns x\"], miss = [\"kubectl get ns\"] }}\n"
    ));
    let lint = env
        .gate()
        .args(["rules", "lint", "--json"])
        .status(0)
        .run()
        .json();
    valid("rules.lint", &lint);
    assert_eq!(lint["disabled"][0]["state"], "off", "{lint}");
    assert!(lint["disabled"][0]["kept_by"].is_null());
    assert!(lint["tests"]["passed"].as_u64().unwrap() >= 2, "{lint}");

    let list = valid_lines(
        "rules.list",
        &env.gate().args(["rules", "list", "--json"]).status(0).run(),
    );
    for source in ["file", "pack", "builtin"] {
        assert!(
            list.iter().any(|e| e["source"].get(source).is_some()),
            "no rule from a {source}"
        );
    }
    assert!(
        list.iter()
            .any(|e| e["disabled"] == true && e["disabled_by"].is_string())
    );

    let show = |id: &str| {
        let v = env
            .gate()
            .args(["rules", "show", id, "--json"])
            .status(0)
            .run()
            .json();
        valid("rules.show", &v);
        v
    };
    let kd = show("kd");
    assert_eq!(kd["when"]["env"]["KUBECONFIG"], "*prod*", "{kd}");
    assert!(kd["regex"].is_null() && kd["covers"].is_null());
    let pack_rule = show("git.force-push");
    assert_eq!(pack_rule["disabled"], true, "{pack_rule}");
    let off_pack = show("k8s.delete-namespace");
    assert_eq!(off_pack["in_force"], false, "{off_pack}");
    let protection = show("gate.protect.state");
    assert!(protection["covers"].is_string(), "{protection}");
    assert!(protection["when"].is_null() && protection["tests"].is_null());

    // A policy that does not load: the lint's own object, not an error.
    env.policy(BAD_POLICY);
    let lint = env
        .gate()
        .args(["rules", "lint", "--json"])
        .status(78)
        .run()
        .json();
    valid("rules.lint", &lint);
    assert_eq!(lint["problems"][0]["line"], 2, "{lint}");
    assert!(lint["tests"].is_null() && lint["policy_digest"].is_null());
    // An inline test that fails.
    env.policy(
        "[[rule]]\nid = \"r\"\ncommand = \"rm\"\ndecision = \"deny\"\ntests = { hit = [\"ls\"] }\n",
    );
    let lint = env
        .gate()
        .args(["rules", "lint", "--json"])
        .status(78)
        .run()
        .json();
    valid("rules.lint", &lint);
    assert_eq!(lint["ok"], false);
    assert_eq!(lint["tests"]["failed"][0]["rule"], "r", "{lint}");
}

#[test]
fn checkpoints_post() {
    let seen = Arc::new(Mutex::new(0));
    let s = Arc::clone(&seen);
    let url = http::serve(Arc::new(move |_req: &http::HttpRequest| {
        *s.lock().unwrap() += 1;
        HttpResponse::json(200, json!({}))
    }));
    let env = Env::with_policy(&format!("[webhook]\nurl = \"{url}/hook\"\n"))
        .var("GATE_WEBHOOK_SECRET", "s3cret");
    // Before anything has run there is no checkpoint, and nothing to fail.
    let fresh = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(0)
        .run()
        .json();
    valid("checkpoints.post", &fresh);
    assert_eq!(fresh["ok"], true, "{fresh}");
    assert_eq!(*seen.lock().unwrap(), 0);
    env.gate().args(["--", "true"]).status(0).run();
    let v = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(0)
        .run()
        .json();
    valid("checkpoints.post", &v);
    assert_eq!(v["posted"][0]["sent"], 0, "{v}");
    assert!(v["posted"][0]["to"].is_null(), "{v}");
    for _ in 0..9 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    env.gate().arg("log").status(0).run();
    let v = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(0)
        .run()
        .json();
    valid("checkpoints.post", &v);

    // A destination that is down: the report (one object) says so, exit 69.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let other = Env::with_policy(&format!("[webhook]\nurl = \"{dead}\"\n"))
        .var("GATE_WEBHOOK_SECRET", "s3cret");
    for _ in 0..9 {
        other.gate().args(["--", "true"]).status(0).run();
    }
    other.gate().arg("log").status(0).run();
    let out = other
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(69)
        .stderr_contains("gate: error: could not post checkpoints")
        .run();
    let v = out.json();
    valid("checkpoints.post", &v);
    assert_eq!(v["ok"], false);
    assert!(
        v["failures"][0].as_str().unwrap().starts_with("webhook"),
        "{v}"
    );
}

#[test]
fn errors_on_stdout_for_each_command() {
    let env = Env::with_policy(BAD_POLICY);
    // An invalid policy (78), with every problem and its place.
    let out = env
        .gate()
        .args(["check", "--json", "--", "ls"])
        .status(78)
        .run();
    let v = error_on_stdout(&out, "policy");
    assert_eq!(v["error"]["problems"][0]["line"], 2, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains(":2:"),
        "{v}"
    );
    let out = env
        .gate()
        .args(["rules", "list", "--json"])
        .status(78)
        .run();
    error_on_stdout(&out, "policy");
    let out = env
        .gate()
        .args(["rules", "show", "fs.rm-root", "--json"])
        .status(78)
        .run();
    error_on_stdout(&out, "policy");
    let out = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(78)
        .run();
    error_on_stdout(&out, "policy");

    let env = Env::with_policy(ASK_TOUCH);
    // Usage errors found after parsing (64).
    let out = env.gate().args(["check", "--json"]).status(64).run();
    error_on_stdout(&out, "usage");
    let out = env
        .gate()
        .args(["log", "--json", "--status", "bogus"])
        .status(64)
        .run();
    error_on_stdout(&out, "usage");
    let out = env
        .gate()
        .args(["export", "--since", "yesterday-ish"])
        .status(64)
        .run();
    error_on_stdout(&out, "usage");
    let out = env
        .gate()
        .args(["rules", "show", "no-such-rule", "--json"])
        .status(64)
        .run();
    error_on_stdout(&out, "usage");
    // No configured destination (an invalid configuration, 78).
    let out = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(78)
        .run();
    error_on_stdout(&out, "policy");
    // No ledger yet, then an unknown id (1).
    let out = env.gate().args(["show", "abc", "--json"]).status(1).run();
    error_on_stdout(&out, "not_found");
    env.gate().args(["--", "true"]).status(0).run();
    let out = env.gate().args(["show", "zzzz", "--json"]).status(1).run();
    error_on_stdout(&out, "not_found");

    // A ledger that cannot be used (74).
    let bad = env.path("bad.db");
    std::fs::write(&bad, "not a database").unwrap();
    for args in [
        &["log", "--json"][..],
        &["export"],
        &["show", "abc", "--json"],
        &["pending", "--json"],
        &["verify", "--json"],
    ] {
        let out = env
            .gate()
            .args(args)
            .env("GATE_LEDGER", &bad)
            .status(74)
            .run();
        error_on_stdout(&out, "ledger");
    }
    // Without --json: the line on stderr only.
    let out = env
        .gate()
        .args(["log", "--status", "bogus"])
        .status(64)
        .run();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("gate: error: "), "{}", out.stderr);
}

#[test]
fn run_errors_go_to_stderr() {
    let env = Env::with_policy(BAD_POLICY);
    let out = env.gate().args(["--json", "--", "true"]).status(78).run();
    assert_eq!(out.stdout, "", "stdout is the command's");
    let lines = stderr_json(&out);
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    error_object(&lines[0], "policy", 78);
    assert!(out.stderr.contains("gate: error: "), "{}", out.stderr);

    // The ledger cannot be written: the decision line, then the error.
    let env = Env::new();
    let out = env
        .gate()
        .args(["--json", "--", "true"])
        .env("GATE_LEDGER", "/proc/no-such-dir/ledger.db")
        .status(74)
        .run();
    let lines = stderr_json(&out);
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    valid("run", &lines[0]);
    error_object(&lines[1], "ledger", 74);
    // An empty command is a usage error.
    let out = env
        .gate()
        .args(["run", "--json", "--", ""])
        .status(64)
        .run();
    error_object(&stderr_json(&out)[0], "usage", 64);
    // No channel can ask (69): the decision, then the error.
    env.policy(ASK_TOUCH);
    let out = env
        .gate()
        .args(["--json", "--", "touch", "x"])
        .status(69)
        .run();
    let lines = stderr_json(&out);
    valid("run", &lines[0]);
    error_object(lines.last().unwrap(), "unavailable", 69);
}

/// The fleet commands' shapes, against a real PostgreSQL (see `support::pg`; skipped, saying
/// so, where there is none, and failing in CI).
#[test]
fn fleet_init_status_verify_and_migrate() {
    let Some(server) = support::pg::server("fleet_init_status_verify_and_migrate") else {
        return;
    };
    let db = server.database();
    let admin = Env::new().var("GATE_FLEET", db.admin_url());
    let init = admin
        .gate()
        .args(["fleet", "init", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.init", &init);
    let host = db.role("jsonhost", "gate_host");
    let env = Env::new().var("GATE_FLEET", db.url_as(&host));
    // Written before the machine joined the fleet, so that migrate has it to move.
    env.gate()
        .args(["--", "true"])
        .env_remove("GATE_FLEET")
        .status(0)
        .run();
    let moved = env
        .gate()
        .args(["ledger", "migrate", "--json"])
        .status(0)
        .run()
        .json();
    valid("ledger.migrate", &moved);
    assert!(moved["moved"].as_u64().unwrap() > 0, "{moved}");
    let status = env
        .gate()
        .args(["fleet", "status", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.status", &status);
    assert_eq!(status["hosts"][0]["stream"], host.as_str(), "{status}");
    let verify = admin
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.verify", &verify);
    assert_eq!(verify["ok"], true);
    let shipped = env
        .gate()
        .args(["fleet", "ship", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.ship", &shipped);
    let sealed = env
        .gate()
        .args(["fleet", "seal", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.seal", &sealed);
    let verify = admin
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(0)
        .run()
        .json();
    valid("fleet.verify", &verify);
    assert_eq!(verify["seals"]["checked"], sealed["n"], "{verify}");
    // The fleet's requests, in a host's shapes (with the stream that holds each).
    let logged = admin
        .gate()
        .args(["log", "--fleet", "--json"])
        .status(0)
        .run()
        .json();
    valid("request", &logged);
    assert_eq!(logged["stream"], host.as_str());
    let id = logged["id"].as_str().unwrap().to_string();
    let shown = admin
        .gate()
        .args(["show", "--fleet", "--json", &id])
        .status(0)
        .run()
        .json();
    valid("show", &shown);
    // An error object when the database cannot be reached.
    let down = Env::new().var(
        "GATE_FLEET",
        "postgres://nobody@127.0.0.1:1/none?connect_timeout=2",
    );
    let err = down.gate().args(["fleet", "status", "--json"]).run().json();
    valid("error", &err);
}

/// `gate policy push --json` and `gate policy status --json` (fetching needs a system policy
/// that pins the key, root's: tests/fleet_policy.rs).
#[test]
fn policy_push_and_status() {
    let Some(server) = support::pg::server("policy_push_and_status") else {
        return;
    };
    let db = server.database();
    Env::new()
        .var("GATE_FLEET", db.admin_url())
        .gate()
        .args(["fleet", "init"])
        .status(0)
        .run();
    let ops = db.role("jsonops", "gate_admin");
    let admin = Env::new().var("GATE_FLEET_APPROVER", db.url_as(&ops));
    let keys = admin.path("keys");
    admin
        .gate()
        .args(["policy", "keygen", "--out"])
        .arg(&keys)
        .status(0)
        .run();
    let file = admin.path("fleet.toml");
    std::fs::write(&file, "[defaults]\ndecision = \"allow\"\n").unwrap();
    let pushed = admin
        .gate()
        .args(["policy", "push", "--json"])
        .arg(&file)
        .arg("--key")
        .arg(keys.join("policy-signing.key"))
        .status(0)
        .run()
        .json();
    valid("policy.push", &pushed);
    assert_eq!(pushed["version"], 1);
    let host = db.role("jsonhost", "gate_host");
    let status = Env::new()
        .var("GATE_FLEET", db.url_as(&host))
        .gate()
        .args(["policy", "status", "--json"])
        .status(0)
        .run()
        .json();
    valid("policy.status", &status);
    assert_eq!(status["newest_version"], 1, "{status}");
}
