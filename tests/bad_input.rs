//! Bad input: huge, deeply nested or re-read scripts. Each must get a decision (ask, with the reason),
//! never allow, never a hang or a crash. The work is bounded by the analyser's budgets
//! (`MAX_SCRIPT_BYTES`, `MAX_PARSED_BYTES`, `MAX_COMMANDS`, `MAX_DEPTH`/`MAX_STACK` in
//! src/analyze/unwrap.rs).
//!
//! The test uses small sizes, so that it stays quick in a debug build, and does not time
//! anything (a timing assertion would be flaky). The full sizes are for measuring the release
//! build: `GATE_BAD_INPUT_DIR=/tmp/bad cargo test --test bad_input -- write_full_size_inputs
//! --ignored` writes each input as `NAME.txt` (the line) and `NAME.json` (a Claude Code
//! PreToolUse call), then e.g.
//! `hyperfine 'target/release/gate hook claude-code < /tmp/bad/heredocs.json'`.
//! (A line above 128 KiB cannot be passed as one argument on Linux, so the large ones are timed
//! through the hook, which reads the command from standard input as an agent sends it.)

mod support;

use std::path::Path;

use gate::analyze::{Wrappers, analyze_script};
use support::Env;

/// `bash -c "$(cat <<'E1' … E1\n)"`, `depth` levels, the innermost body padded to about
/// `bytes` bytes of data lines.
fn nested_heredocs(depth: usize, bytes: usize) -> String {
    let line = format!(": {}\n", "x".repeat(78));
    let mut inner = String::from("rm -rf /\n");
    while inner.len() < bytes {
        inner.push_str(&line);
    }
    for level in (1..=depth).rev() {
        inner = format!("bash -c \"$(cat <<'E{level}'\n{inner}E{level}\n)\"\n");
    }
    inner
}

/// `echo $(echo $(… a …))`, `depth` deep.
fn nested_substitutions(depth: usize) -> String {
    let mut s = "echo $(".repeat(depth);
    s.push_str("rm -rf /");
    s.push_str(&")".repeat(depth));
    s
}

/// `a;a;a;…` of about `bytes` bytes, on one line.
fn semicolons(bytes: usize) -> String {
    "a;".repeat(bytes / 2)
}

/// One pipeline of `pipes` `|`.
fn pipeline(pipes: usize) -> String {
    let mut s = "a | ".repeat(pipes);
    s.push('a');
    s
}

/// `n` unclosed substitutions, quotes, backticks, braces and brackets.
fn unbalanced(n: usize) -> String {
    "$(\"'`{[(".repeat(n)
}

/// `gate check --json --shell LINE` with the default policy: (exit code, JSON).
fn check(line: &str) -> (Option<i32>, serde_json::Value) {
    let env = Env::new();
    let out = env.gate().args(["check", "--json", "--shell", line]).run();
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON from gate check ({e}): {out:?}"));
    (out.status.code(), json)
}

/// The line is not allowed, and gate says why with `reason`.
fn assert_asks(name: &str, line: &str, reason: &str) {
    let (code, json) = check(line);
    assert_ne!(code, Some(0), "{name}: allowed: {json}");
    assert!(
        json["decision"] == "ask" || json["decision"] == "deny",
        "{name}: {json}"
    );
    let reasons: Vec<&str> = json["opaque"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["reason"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        reasons.iter().any(|r| r.contains(reason)),
        "{name}: no opaque reason {reason:?} in {reasons:?}"
    );
}

/// What the analyser says of a script too large for one argument.
fn assert_opaque(name: &str, script: &str, reason: &str) {
    let a = analyze_script(script, &Wrappers::builtin());
    assert!(
        a.opaque.iter().any(|o| o.reason.contains(reason)),
        "{name}: no opaque reason {reason:?} in {:?}",
        a.opaque
    );
}

#[test]
fn nested_here_documents_are_bounded() {
    // `bash -c "$(…)"` is a shell string gate cannot see (an expansion): opaque at any depth.
    let line = nested_heredocs(12, 100_000);
    assert!(line.len() < 128 * 1024);
    assert_asks(
        "nested here-documents",
        &line,
        "shell command string is an expansion",
    );
    // Above the size of one script: not parsed at all.
    let huge = nested_heredocs(3, 1_200_000);
    assert_opaque("nested here-documents, 1.2 MB", &huge, "script too large");
}

/// A function's body is analysed at each call: 40 calls of a 120 KB body would parse 4.8 MB.
#[test]
fn re_reading_is_bounded() {
    let line = format!(
        "f() {{ echo '{}'; }}\n{}",
        "x".repeat(120_000),
        "f; ".repeat(40)
    );
    assert_opaque(
        "40 calls of a 120 KB function",
        &line,
        "too much to analyse",
    );
    assert_asks(
        "40 calls of a 120 KB function",
        &line,
        "too much to analyse",
    );
}

#[test]
fn deep_substitutions_are_bounded() {
    let line = nested_substitutions(10_000);
    assert_asks("10,000 nested $( )", &line, "nested too deeply");
}

#[test]
fn many_commands_are_bounded() {
    // 60 KB of `a;`: 30,000 commands.
    assert_asks("a;a;a;…", &semicolons(60_000), "too many commands");
    assert_asks("a | a | …", &pipeline(15_000), "too many commands");
    // More separators than the budget could report: not even parsed.
    assert_asks("25,000 |", &pipeline(25_000), "too many commands");
    assert_opaque("1.1 MB of a;", &semicolons(1_100_000), "script too large");
}

#[test]
fn unbalanced_text_is_bounded() {
    assert_asks("unbalanced", &unbalanced(10_000), "");
}

/// Writes the full-size inputs for measuring the release build (see the module docs).
#[test]
#[ignore = "writes the full-size inputs to $GATE_BAD_INPUT_DIR for hyperfine"]
fn write_full_size_inputs() {
    let dir = std::env::var("GATE_BAD_INPUT_DIR").expect("GATE_BAD_INPUT_DIR");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let inputs = [
        ("heredocs", nested_heredocs(80, 3_900_000)),
        ("heredocs-1m", nested_heredocs(80, 1_000_000)),
        (
            "functions",
            format!(
                "f() {{ echo '{}'; }}\n{}",
                "x".repeat(1_000_000),
                "f; ".repeat(1000)
            ),
        ),
        ("substitutions", nested_substitutions(10_000)),
        ("semicolons", semicolons(5_000_000)),
        ("semicolons-3m9", semicolons(3_900_000)),
        ("pipeline", pipeline(50_000)),
        ("unbalanced", unbalanced(100_000)),
    ];
    for (name, line) in inputs {
        std::fs::write(dir.join(format!("{name}.txt")), &line).unwrap();
        let call = serde_json::json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": { "command": line },
            "cwd": "/tmp",
            "session_id": "bad-input",
            "tool_use_id": format!("bad-{name}"),
        });
        std::fs::write(dir.join(format!("{name}.json")), call.to_string()).unwrap();
        eprintln!("{name}: {} bytes", line.len());
    }
}
