//! Seeing and editing the policy: `gate rules list|show|lint|edit`, `[packs] disable` (and
//! that a user policy cannot switch off what the system policy enables), and the policy
//! digest every request records.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::*;

/// A policy with one rule of its own (its `[[rule]]` at line 4) and only the git pack.
const OWN_AND_GIT: &str = r#"[defaults]
packs = ["git"]

[[rule]]
id = "k8s-prod-delete"
command = "kubectl delete"
unless = ["--dry-run*"]
flags = ["-n|--namespace"]
when = { env = { KUBECONFIG = "*prod*" } }
decision = "ask"
message = "Deleting production objects needs an SRE."
risk = "critical"
approvers = ["sre"]
quorum = 2
timeout = "30m"
tests = { hit = ["kubectl delete -n x ns prod"], miss = ["kubectl get ns"] }

[approvers]
sre = ["alice", "bob"]
"#;

const DISABLE_FORCE_PUSH: &str = "[packs]\ndisable = [\"git.force-push\"]\n";

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The digest gate records for a one-layer policy: the SHA-256 of the file's SHA-256 line.
fn digest_of(file: &Path) -> String {
    let layer = sha256(&std::fs::read(file).unwrap());
    sha256(format!("{layer}\n").as_bytes())
}

/// The data of the newest request's `request` event.
fn last_request_event(env: &Env) -> Value {
    events(&env.last(), "request")[0].clone()
}

// ---- gate rules list ----

#[test]
fn list_shows_every_rule_with_its_decision_risk_and_source() {
    let env = Env::with_policy(OWN_AND_GIT);
    let path = env.policy_path().display().to_string();
    let out = env.gate().args(["rules", "list"]).status(0).run();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let own = lines
        .iter()
        .find(|l| l.starts_with("k8s-prod-delete "))
        .expect("the policy's own rule");
    let words: Vec<&str> = own.split_whitespace().collect();
    assert_eq!(
        words,
        ["k8s-prod-delete", "ask", "critical", &format!("{path}:4")]
    );
    let push = lines
        .iter()
        .find(|l| l.starts_with("git.force-push "))
        .expect("a git pack rule");
    assert!(push.ends_with("pack git"), "{push}");
    assert!(!push.contains("disabled"), "{push}");
    // Only the packs enabled: no filesystem rules.
    assert!(!out.stdout.contains("fs.rm-root"), "{}", out.stdout);
    // gate's own protections are in force too.
    let state = lines
        .iter()
        .find(|l| l.starts_with("gate.protect.state "))
        .unwrap();
    assert!(
        state.contains("deny") && state.contains("built-in"),
        "{state}"
    );

    let json = env
        .gate()
        .args(["rules", "list", "--json"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(json.len(), lines.len(), "one object per rule, as the text");
    let own = json.iter().find(|r| r["id"] == "k8s-prod-delete").unwrap();
    assert_eq!(own["decision"], "ask");
    assert_eq!(own["risk"], "critical");
    assert_eq!(own["source"], serde_json::json!({"file": path, "line": 4}));
    assert_eq!(own["disabled"], false);
    let push = json.iter().find(|r| r["id"] == "git.force-push").unwrap();
    assert_eq!(push["source"], serde_json::json!({"pack": "git"}));
    let git_rules = json.iter().filter(|r| r["source"]["pack"] == "git").count();
    assert!(git_rules > 20, "{git_rules} git rules");
    assert!(
        json.iter()
            .all(|r| r["source"]["pack"].is_null() || r["source"]["pack"] == "git")
    );
}

#[test]
fn list_marks_a_disabled_pack_rule_and_the_file_that_disables_it() {
    let env = Env::with_policy(DISABLE_FORCE_PUSH);
    let path = env.policy_path().display().to_string();
    let out = env.gate().args(["rules", "list"]).status(0).run();
    let push = out
        .stdout
        .lines()
        .find(|l| l.starts_with("git.force-push "))
        .unwrap();
    assert!(push.contains(&format!("disabled by {path}:2:12")), "{push}");
    let others: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("disabled"))
        .collect();
    assert_eq!(others.len(), 1, "only that rule: {others:?}");
    let json = env
        .gate()
        .args(["rules", "list", "--json"])
        .status(0)
        .run()
        .json_lines();
    let push = json.iter().find(|r| r["id"] == "git.force-push").unwrap();
    assert_eq!(push["disabled"], true);
    assert!(
        push["disabled_by"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{path}:2:12")),
        "{push}"
    );
}

// ---- gate rules show ----

#[test]
fn show_prints_a_rules_patterns_conditions_approvers_tests_and_source() {
    let env = Env::with_policy(OWN_AND_GIT);
    let path = env.policy_path().display().to_string();
    let out = env
        .gate()
        .args(["rules", "show", "k8s-prod-delete"])
        .status(0)
        .run();
    for want in [
        "rule k8s-prod-delete",
        &format!("source     {path}:4"),
        "decision   ask",
        "risk       critical",
        "command    kubectl delete",
        "flags      -n|--namespace",
        "unless     --dry-run*",
        "when       env KUBECONFIG = *prod*",
        "message    Deleting production objects needs an SRE.",
        "approvers  sre (alice, bob)",
        "quorum     2",
        "timeout    30m",
        "test hit   kubectl delete -n x ns prod",
        "test miss  kubectl get ns",
    ] {
        assert!(out.stdout.contains(want), "lacks {want:?}:\n{}", out.stdout);
    }
    let json = env
        .gate()
        .args(["rules", "show", "k8s-prod-delete", "--json"])
        .status(0)
        .run()
        .json();
    assert_eq!(json["command"], "kubectl delete");
    assert_eq!(
        json["approver_identities"],
        serde_json::json!(["alice", "bob"])
    );
    assert_eq!(json["when"]["env"]["KUBECONFIG"], "*prod*");
    assert_eq!(json["tests"]["miss"][0], "kubectl get ns");
    assert_eq!(json["in_force"], true);

    // A pack rule: its pattern, message and tests, from the pack.
    let out = env
        .gate()
        .args(["rules", "show", "git.force-push"])
        .status(0)
        .run();
    for want in [
        "source     pack git",
        "command    git push",
        "message ",
        "test hit   git push --force origin main",
    ] {
        assert!(out.stdout.contains(want), "lacks {want:?}:\n{}", out.stdout);
    }
}

#[test]
fn show_of_an_unknown_id_is_a_usage_error_with_the_nearest_id() {
    let env = Env::with_policy(OWN_AND_GIT);
    let out = env
        .gate()
        .args(["rules", "show", "git.force-pus"])
        .status(64)
        .stderr_contains("no rule `git.force-pus`")
        .stderr_contains("did you mean `git.force-push`?")
        .run();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    env.gate()
        .args(["rules", "show", "k8s-prod-delet"])
        .status(64)
        .stderr_contains("did you mean `k8s-prod-delete`?")
        .run();
    let out = env
        .gate()
        .args(["rules", "show", "zzzzzzzzzzzz"])
        .status(64)
        .run();
    assert!(!out.stderr.contains("did you mean"), "{}", out.stderr);
    // A rule of a pack that is not enabled is known, and said not to be in force.
    env.gate()
        .args(["rules", "show", "fs.rm-root"])
        .status(0)
        .stdout_contains("not in force: pack filesystem is not enabled")
        .run();
}

// ---- gate rules lint ----

#[test]
fn lint_names_every_file_it_read() {
    let env = Env::with_policy(OWN_AND_GIT);
    let path = env.policy_path().display().to_string();
    let out = env.gate().args(["rules", "lint"]).status(0).run();
    assert!(
        out.stdout.lines().any(|l| l == format!("read {path}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("read 1 built-in packs: git"),
        "{}",
        out.stdout
    );
    let json = env
        .gate()
        .args(["rules", "lint", "--json"])
        .status(0)
        .run()
        .json();
    assert_eq!(json["files"], serde_json::json!([path, "pack:git"]));
    assert_eq!(json["policy_digest"], digest_of(&env.policy_path()));

    // A file given: that file, and the packs it enables (here every one).
    let other = env.work().join("other.toml");
    std::fs::write(&other, "[defaults]\ndecision = \"allow\"\n").unwrap();
    let json = env
        .gate()
        .args(["rules", "lint", "--json"])
        .arg(&other)
        .status(0)
        .run()
        .json();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files[0], other.display().to_string());
    assert!(files.contains(&Value::from("pack:filesystem")), "{files:?}");
    assert!(files.contains(&Value::from("pack:remote")), "{files:?}");

    // No policy file: the built-in default.
    let bare = Env::new();
    bare.gate()
        .args(["rules", "lint"])
        .status(0)
        .stdout_contains("read (built-in default)")
        .run();
}

// ---- [packs] disable ----

#[test]
fn disable_switches_off_one_pack_rule_shown_by_lint_and_recorded_with_each_request() {
    let env = Env::new();
    let push = ["check", "--", "git", "push", "--force", "origin", "feature"];
    env.gate()
        .args(push)
        .status(1)
        .stdout_contains("git.force-push")
        .run();
    env.policy(DISABLE_FORCE_PUSH);
    let path = env.policy_path().display().to_string();
    env.gate().args(push).status(0).run();
    // Only that rule: a +refspec force push still asks, rm -rf / is still denied.
    env.gate()
        .args(["check", "--", "git", "push", "origin", "+feature"])
        .status(1)
        .stdout_contains("git.force-push-refspec")
        .run();
    env.gate()
        .args(["check", "--", "rm", "-rf", "/"])
        .status(2)
        .run();

    env.gate()
        .args(["rules", "lint"])
        .status(0)
        .stdout_contains(&format!(
            "disabled: git.force-push (pack git) by {path}:2:12"
        ))
        .run();
    let lint = env
        .gate()
        .args(["rules", "lint", "--json"])
        .status(0)
        .run()
        .json();
    assert_eq!(lint["disabled"][0]["id"], "git.force-push");
    assert_eq!(lint["disabled"][0]["state"], "off");
    assert_eq!(lint["disabled"][0]["by"]["file"], path);
    assert_eq!(lint["disabled"][0]["by"]["line"], 2);

    env.gate().args(["--", "true"]).status(0).run();
    let request = last_request_event(&env);
    assert_eq!(
        request["packs_disabled"],
        serde_json::json!(["git.force-push"])
    );
    // A policy that disables nothing records nothing of the kind.
    env.policy("packs = [\"all\"]\n");
    env.gate().args(["--", "true"]).status(0).run();
    assert!(last_request_event(&env).get("packs_disabled").is_none());
}

#[test]
fn an_unknown_rule_id_in_disable_is_an_invalid_policy_and_nothing_runs() {
    let env = Env::with_policy("[packs]\ndisable = [\"git.force-pus\"]\n");
    let path = env.policy_path().display().to_string();
    let marker = env.work().join("ran");
    env.gate()
        .arg("--")
        .arg("touch")
        .arg(&marker)
        .status(78)
        .stderr_contains(&format!("{path}:2:12: unknown pack rule `git.force-pus`"))
        .stderr_contains("did you mean `git.force-push`?")
        .run();
    assert!(!marker.exists());
    env.gate()
        .args(["rules", "lint"])
        .status(78)
        .stderr_contains("unknown pack rule `git.force-pus`")
        .run();
    // One of gate's own protections is not a pack rule: the message says where those go.
    env.policy("[packs]\ndisable = [\"gate.protect.state\"]\n");
    env.gate()
        .args(["check", "--", "true"])
        .status(78)
        .stderr_contains("[protect] except")
        .run();
}

/// An agent that can write the user policy tries to switch `git.force-push` off while the
/// system policy enables the git pack. The system path is fixed (`/etc/gate/policy.toml`,
/// deliberately not overridable from the environment, and shared by everything on this
/// machine), so the layers are loaded from real files through the library's loader, with the
/// system path pointed at a root-owned file as the trust check demands; only root can make
/// one, so elsewhere the test says so and checks that the untrusted file is ignored.
#[test]
fn a_user_policy_cannot_disable_what_the_system_policy_enables() {
    use gate::policy::{DisableState, LoadOptions, load};
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("system.toml");
    let user = dir.path().join("user.toml");
    let attacks = [
        DISABLE_FORCE_PUSH,
        "packs = { disable = [\"git.force-push\"] }\n",
        "[defaults]\npacks = { enable = [\"git\"], disable = [\"git.force-push\"] }\n",
        "[packs]\nenable = []\ndisable = [\"git.force-push\"]\n",
    ];
    let root = nix::unistd::getuid().is_root();
    for system_text in ["packs = [\"all\"]\n", "[packs]\nenable = [\"git\"]\n"] {
        std::fs::write(&system, system_text).unwrap();
        std::fs::set_permissions(&system, std::fs::Permissions::from_mode(0o644)).unwrap();
        for attack in attacks {
            std::fs::write(&user, attack).unwrap();
            let (policy, warnings) = load(&LoadOptions {
                override_path: None,
                system_path: Some(system.clone()),
                user_path: Some(user.clone()),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{attack:?}: {e}"));
            if !root {
                assert!(warnings[0].contains("not owned by root"), "{warnings:?}");
                eprintln!(
                    "not root: the system layer cannot be trusted here; see the unit tests in src/policy/load"
                );
                return;
            }
            let why = format!("system {system_text:?}, user {attack:?}");
            assert!(warnings.is_empty(), "{why}: {warnings:?}");
            assert!(policy.disabled().is_empty(), "{why}");
            let entry = &policy.disables[0];
            assert_eq!(
                entry.state,
                DisableState::KeptBy(system.display().to_string()),
                "{why}"
            );
            // Decided as a request would be: the force push still asks, by that rule.
            let wrappers = gate::analyze::Wrappers::builtin();
            let analysis =
                gate::analyze::analyze_script("git push --force origin feature", &wrappers);
            let invocations = gate::pipeline::prepare::invocations(&analysis);
            let packs = policy.pack_rules(&invocations).unwrap();
            let env = |_: &str| None;
            let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
            let facts = gate::decide::Facts {
                env: &env,
                cwd: "/srv/app",
                user: "agent",
                agent: None,
                ci: false,
                home: Some("/home/agent"),
                resolve: &resolve,
            };
            let verdict =
                gate::decide::Decider::with_rules(&policy, &packs).decide(&analysis, &facts);
            assert_eq!(verdict.decision, gate::policy::Decision::Ask, "{why}");
            assert!(
                verdict.hits.iter().any(|h| h.rule == "git.force-push"),
                "{why}: {:?}",
                verdict.hits
            );
        }
    }
}

// ---- the policy digest ----

#[test]
fn each_request_records_the_digest_of_the_policy_in_force() {
    let env = Env::with_policy(OWN_AND_GIT);
    env.gate().args(["--", "true"]).status(0).run();
    let first = digest_of(&env.policy_path());
    assert_eq!(last_request_event(&env)["policy_digest"], first);
    let rec = &env.log()[0];
    assert_eq!(rec["policy_digest"], first);
    let id = rec["id"].as_str().unwrap();
    env.gate()
        .args(["show", id])
        .status(0)
        .stdout_contains(&format!("sha256 {first}"))
        .run();

    // One byte more, another digest; the earlier request keeps its own.
    env.policy(&format!("{OWN_AND_GIT}\n"));
    env.gate().args(["--", "true"]).status(0).run();
    let second = digest_of(&env.policy_path());
    assert_ne!(first, second);
    assert_eq!(last_request_event(&env)["policy_digest"], second);
    assert_eq!(env.show(id)["policy_digest"], first);

    // The built-in default has a digest too.
    let bare = Env::new();
    bare.gate().args(["--", "true"]).status(0).run();
    let default = last_request_event(&bare)["policy_digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(default.len(), 64);
    assert_ne!(default, first);
}

// ---- gate rules edit ----

/// An editor: a shell script in the test's scratch directory.
fn editor(env: &Env, name: &str, body: &str) -> String {
    let path = env.path(name);
    write_exec(&path, &format!("#!/bin/sh\n{body}\n"));
    path.display().to_string()
}

/// The files in the policy's directory (no copy may be left behind).
fn policy_dir_files(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.policy_path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const SHRED_RULE: &str = "\n[[rule]]\nid = \"no-shred\"\ncommand = \"shred\"\ndecision = \"deny\"\ntests = { hit = [\"shred -u x\"], miss = [\"echo shred\"] }\n";

#[test]
fn rules_edit_installs_a_valid_edit_keeping_the_files_mode() {
    let env = Env::with_policy(OWN_AND_GIT);
    let live = env.policy_path();
    std::fs::set_permissions(&live, std::fs::Permissions::from_mode(0o640)).unwrap();
    let seen = env.path("seen");
    let ed = editor(
        &env,
        "append.sh",
        &format!(
            "stat -c '%a %U' \"$1\" > {seen}; dirname \"$1\" >> {seen}\nprintf '%s' '{SHRED_RULE}' >> \"$1\"",
            seen = seen.display()
        ),
    );
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(0)
        .stdout_contains(&format!("installed {}", live.display()))
        .run();
    // The editor was given a private copy in the policy's own directory.
    let seen = std::fs::read_to_string(&seen).unwrap();
    let mut seen = seen.lines();
    assert!(seen.next().unwrap().starts_with("600 "));
    assert_eq!(Path::new(seen.next().unwrap()), live.parent().unwrap());
    assert_eq!(
        std::fs::read_to_string(&live).unwrap(),
        format!("{OWN_AND_GIT}{SHRED_RULE}")
    );
    let mode = std::fs::metadata(&live).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
    env.gate()
        .args(["check", "--", "shred", "x"])
        .status(2)
        .stdout_contains("no-shred")
        .run();
}

#[test]
fn rules_edit_with_a_failing_editor_leaves_the_live_policy_byte_identical() {
    let env = Env::with_policy(OWN_AND_GIT);
    let before = std::fs::read(env.policy_path()).unwrap();
    // It even wrote something valid before failing: nothing is installed.
    let ed = editor(
        &env,
        "fail.sh",
        &format!("printf '%s' '{SHRED_RULE}' >> \"$1\"\nexit 1"),
    );
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(1)
        .stderr_contains("exited with status 1")
        .stderr_contains("is unchanged")
        .run();
    assert_eq!(std::fs::read(env.policy_path()).unwrap(), before);
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
    // An editor that cannot be found is a failed editor too.
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", env.path("no-such-editor"))
        .status(1)
        .run();
    assert_eq!(std::fs::read(env.policy_path()).unwrap(), before);
}

#[test]
fn rules_edit_of_invalid_toml_leaves_the_live_policy_byte_identical_and_exits_78() {
    let env = Env::with_policy(OWN_AND_GIT);
    let live = env.policy_path();
    let before = std::fs::read(&live).unwrap();
    let lines = OWN_AND_GIT.lines().count();
    let ed = editor(&env, "break.sh", "echo '[[rule' >> \"$1\"");
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(78)
        // Positions name the live file: the copy has the same lines.
        .stderr_contains(&format!("{}:{}:", live.display(), lines + 1))
        .stderr_contains("invalid TOML")
        .stderr_contains("nothing installed")
        .run();
    assert_eq!(std::fs::read(&live).unwrap(), before);
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
    // Valid TOML whose inline test fails does not lint either.
    let ed = editor(
        &env,
        "bad-test.sh",
        "printf '\\n[[rule]]\\nid = \"x\"\\ncommand = \"shred\"\\ndecision = \"deny\"\\ntests = { hit = [\"ls\"] }\\n' >> \"$1\"",
    );
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(78)
        .stderr_contains("rule `x` should match `ls`")
        .run();
    assert_eq!(std::fs::read(&live).unwrap(), before);
    // So does an unknown id in [packs] disable.
    let ed = editor(
        &env,
        "bad-disable.sh",
        "sed -i 's/^packs = .*/packs = { disable = [\"git.forcepush\"] }/' \"$1\"",
    );
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(78)
        .stderr_contains("did you mean `git.force-push`?")
        .run();
    assert_eq!(std::fs::read(&live).unwrap(), before);
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
}

#[test]
fn rules_edit_unchanged_says_no_changes() {
    let env = Env::with_policy(OWN_AND_GIT);
    let before = std::fs::metadata(env.policy_path()).unwrap();
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", "true")
        .status(0)
        .stdout_contains("no changes")
        .run();
    let after = std::fs::metadata(env.policy_path()).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(after.ino(), before.ino(), "not replaced");
    assert_eq!(
        std::fs::read_to_string(env.policy_path()).unwrap(),
        OWN_AND_GIT
    );
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
}

#[test]
fn rules_edit_starts_from_the_starter_policy_when_there_is_none() {
    let env = Env::new();
    let ed = editor(
        &env,
        "append.sh",
        &format!("printf '%s' '{SHRED_RULE}' >> \"$1\""),
    );
    env.gate()
        .args(["rules", "edit"])
        .env("EDITOR", &ed)
        .status(0)
        .run();
    let written = std::fs::read_to_string(env.policy_path()).unwrap();
    // What `gate init` writes, and the edit.
    let init = Env::new();
    init.gate().arg("init").status(0).run();
    let starter = std::fs::read_to_string(init.policy_path()).unwrap();
    assert_eq!(written, format!("{starter}{SHRED_RULE}"));
    let mode = std::fs::metadata(env.policy_path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644);
    // Left as it was, the starter is no change to make: nothing is written.
    let untouched = Env::new();
    untouched
        .gate()
        .args(["rules", "edit"])
        .env("EDITOR", "true")
        .status(0)
        .stdout_contains("no changes")
        .run();
    assert!(!untouched.policy_path().exists());
}

#[test]
fn rules_edit_takes_visual_first_editor_arguments_and_the_policy_override() {
    let env = Env::with_policy(OWN_AND_GIT);
    let other = env.work().join("team.toml");
    std::fs::write(&other, "packs = []\n").unwrap();
    // `$EDITOR` may hold arguments; `$VISUAL` wins over it.
    let ed = editor(
        &env,
        "with-args.sh",
        &format!("test \"$1\" = --wait || exit 9\nprintf '%s' '{SHRED_RULE}' >> \"$2\""),
    );
    env.gate()
        .args(["rules", "edit"])
        .env("VISUAL", format!("{ed} --wait"))
        .env("EDITOR", "false")
        .env("GATE_POLICY", &other)
        .status(0)
        .run();
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        format!("packs = []\n{SHRED_RULE}")
    );
    assert_eq!(
        std::fs::read_to_string(env.policy_path()).unwrap(),
        OWN_AND_GIT
    );
    // --policy names the file too.
    let ed = editor(&env, "mark.sh", "echo '# marked' >> \"$1\"");
    env.gate()
        .args(["rules", "edit", "--policy"])
        .arg(&other)
        .env("EDITOR", &ed)
        .status(0)
        .run();
    assert!(
        std::fs::read_to_string(&other)
            .unwrap()
            .ends_with("# marked\n")
    );
}

/// On a terminal, a policy that does not lint is not the end: `e` opens the editor again on
/// the same copy, `q` leaves everything as it was.
#[test]
fn rules_edit_on_a_terminal_offers_to_edit_again() {
    use rexpect::process::WaitStatus;
    use rexpect::session::spawn_command;
    let env = Env::with_policy(OWN_AND_GIT);
    let live = env.policy_path();
    let before = std::fs::read(&live).unwrap();
    // First round breaks the file; the second repairs it (the copy kept its broken line).
    let rounds = env.path("rounds");
    let ed = editor(
        &env,
        "twice.sh",
        &format!(
            "echo x >> {r}\nif [ \"$(wc -l < {r})\" -eq 1 ]; then echo '[[rule' >> \"$1\"; else sed -i 's/^\\[\\[rule$/# repaired/' \"$1\"; fi",
            r = rounds.display()
        ),
    );
    let wait = |p: &rexpect::session::PtySession| match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("{other:?}"),
    };
    let mut p = spawn_command(
        env.gate()
            .args(["rules", "edit"])
            .env("EDITOR", &ed)
            .command(),
        Some(30_000),
    )
    .unwrap();
    p.exp_string("invalid TOML").unwrap();
    p.exp_string("(e)dit again, (q)uit without saving").unwrap();
    assert_eq!(
        std::fs::read(&live).unwrap(),
        before,
        "untouched while asking"
    );
    p.send_line("e").unwrap();
    p.exp_string("installed").unwrap();
    assert_eq!(wait(&p), 0);
    let after = std::fs::read_to_string(&live).unwrap();
    assert_eq!(after, format!("{OWN_AND_GIT}# repaired\n"));

    // Quit without saving: untouched, exit 78, no copy left.
    let before = std::fs::read(&live).unwrap();
    let ed = editor(&env, "break.sh", "echo '[[rule' >> \"$1\"");
    let mut p = spawn_command(
        env.gate()
            .args(["rules", "edit"])
            .env("EDITOR", &ed)
            .command(),
        Some(30_000),
    )
    .unwrap();
    p.exp_string("(e)dit again, (q)uit without saving").unwrap();
    p.send_line("q").unwrap();
    assert_eq!(wait(&p), 78);
    assert_eq!(std::fs::read(&live).unwrap(), before);
    assert_eq!(policy_dir_files(&env), ["policy.toml"]);
}
