//! Made for agents and CI: the Claude Code hook contract, `gate shell -c`, PATH shims, CI
//! context and agent identity.

mod support;

use serde_json::{Value, json};
use support::*;

/// Who a hook's requests come from: the hook's agent, unless the test runner itself runs under
/// an agent, which is then the nearest one in the process tree.
fn hook_agent(dialect: &'static str) -> &'static str {
    agent_above_runner().map_or(dialect, |a| a.name.as_str())
}

#[test]
fn allow_runs_deny_explains_and_both_are_recorded() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let (rc, answer, _) = env.hook(&pre_tool_use("ls -la && git status", "tu-1"));
    assert_eq!(rc, 0);
    assert_eq!(decision(&answer), "allow");
    let a = answer.unwrap();
    assert_eq!(a["hookSpecificOutput"]["hookEventName"], "PreToolUse");

    let (rc, answer, _) = env.hook(&pre_tool_use("echo hi; rm notes.txt", "tu-2"));
    assert_eq!(rc, 0);
    assert_eq!(decision(&answer), "deny");
    let reason = decision_reason(&answer);
    assert!(
        reason.contains("no-rm") && reason.contains("Use trash instead of rm."),
        "{reason}"
    );

    let log = env.log();
    assert_eq!(log.len(), 2);
    let denied = &log[0];
    assert_eq!(denied["status"], "denied");
    assert_eq!(denied["requester"]["agent"], "claude-code");
    assert_eq!(denied["cwd"], "/srv/app");
    assert_eq!(denied["reason"], "what the agent says it does");
}

#[test]
fn ask_is_handed_to_claude_codes_prompt() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let (rc, answer, _) = env.hook(&pre_tool_use("touch /srv/app/x", "tu-3"));
    assert_eq!(rc, 0);
    assert_eq!(decision(&answer), "ask");
    let reason = decision_reason(&answer);
    assert!(reason.contains("touch-asks"), "{reason}");
}

#[test]
fn ask_through_gate_channels_fails_closed_without_one() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let out = env
        .gate()
        .args(["hook", "claude-code", "--ask", "gate"])
        .stdin(pre_tool_use("touch x", "tu-4"))
        .run();
    let answer: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        answer["hookSpecificOutput"]["permissionDecision"], "deny",
        "{answer}"
    );
}

#[test]
fn other_tools_pass_through() {
    let env = Env::new();
    let input = json!({"hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {"file_path": "/etc/hosts"}, "session_id": "s", "tool_use_id": "t"});
    let (rc, answer, _) = env.hook(&input.to_string());
    assert_eq!(rc, 0);
    assert!(answer.is_none(), "no opinion on non-Bash tools");
}

#[test]
fn post_tool_use_records_the_outcome_on_the_same_request() {
    let env = Env::new();
    let (_, answer, _) = env.hook(&pre_tool_use("cargo build", "tu-5"));
    assert_eq!(decision(&answer), "allow");
    let post = json!({
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "cargo build"},
        "tool_response": {"stdout": "Compiling x\n", "stderr": "", "interrupted": false, "exit_code": 0},
        "session_id": "sess-1",
        "tool_use_id": "tu-5",
    });
    let (rc, _, _) = env.hook(&post.to_string());
    assert_eq!(rc, 0);
    let log = env.log();
    assert_eq!(log.len(), 1, "PostToolUse must not create a new request");
    assert_eq!(log[0]["status"], "ran");
    assert_eq!(log[0]["exit_code"], 0);
    env.assert_last_event_kinds(&["request", "decision", "started", "finished"]);
}

#[test]
fn bad_input_is_denied_never_allowed() {
    let env = Env::new();
    let huge = format!(
        "{{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{{\"command\":\"{}\"}}}}",
        "a".repeat(5 * 1024 * 1024)
    );
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "not JSON"),
        ("[1,2,3]".into(), "not a JSON object"),
        ("{}".into(), "no hook_event_name"),
        (
            json!({"hook_event_name": "PreToolUse"}).to_string(),
            "no tool_name",
        ),
        (
            json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {}})
                .to_string(),
            "no command",
        ),
        (huge, "larger than"),
    ];
    for (input, want) in cases {
        let (rc, answer, err) = env.hook(&input);
        assert_eq!(rc, 2, "{want}: exit 2 blocks in Claude Code");
        assert_eq!(decision(&answer), "deny", "{want}");
        assert!(err.contains(want), "stderr should say {want:?}: {err}");
    }
    // An event gate does not handle gets the agent's "no decision" answer and a warning, not a
    // block that would break the agent on every such event (issue 14).
    let (rc, answer, err) =
        env.hook(&json!({"hook_event_name": "Teleport", "tool_name": "Bash"}).to_string());
    assert_eq!(rc, 0, "{err}");
    assert_eq!(answer, None, "no decision: no answer");
    assert!(
        err.contains("does not handle the event `Teleport`"),
        "{err}"
    );
    let env = Env::new();
    env.policy("[defaults]\ndecision = \"maybe\"\n");
    let (rc, answer, err) = env.hook(&pre_tool_use("ls", "tu-9"));
    assert_eq!(rc, 2);
    assert_eq!(decision(&answer), "deny");
    assert!(err.contains("unknown decision"), "{err}");
}

/// Codex CLI's PreToolUse input (codex-rs/hooks pre-tool-use.command.input.schema.json): Claude
/// Code's fields plus turn_id, model, permission_mode, transcript_path.
fn codex_pre(command: &str, tool_use: &str) -> String {
    json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "cwd": "/srv/app",
        "session_id": "codex-sess",
        "tool_use_id": tool_use,
        "turn_id": "turn-1",
        "model": "gpt-5-codex",
        "permission_mode": "default",
        "transcript_path": "/tmp/t.jsonl",
    })
    .to_string()
}

/// Gemini CLI's BeforeTool input (packages/core/src/hooks/types.ts): no tool-use id.
fn gemini_before(command: &str) -> String {
    json!({
        "hook_event_name": "BeforeTool",
        "tool_name": "run_shell_command",
        "tool_input": {"command": command, "description": "what gemini says"},
        "cwd": "/srv/app",
        "session_id": "gemini-sess",
        "transcript_path": "/tmp/g.json",
        "timestamp": "2026-11-23T10:00:00Z",
    })
    .to_string()
}

#[test]
fn codex_allow_is_silence_and_deny_is_exit_2_with_the_reason() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let (rc, answer, err) = env.hook_for("codex", &codex_pre("git status", "c-1"));
    assert_eq!(rc, 0, "{err}");
    assert!(
        answer.is_none(),
        "Codex accepts no allow answer: say nothing"
    );

    let (rc, answer, err) = env.hook_for("codex", &codex_pre("rm notes.txt", "c-2"));
    assert_eq!(rc, 2, "Codex blocks on exit 2");
    assert!(answer.is_none());
    assert!(
        err.contains("no-rm") && err.contains("Use trash instead of rm."),
        "{err}"
    );

    // Codex cannot ask its user from a hook: gate asks its own channels, and with none usable
    // (no terminal here) the answer is deny, never a silent allow.
    let (rc, _, err) = env.hook_for("codex", &codex_pre("touch x", "c-3"));
    assert_eq!(rc, 2, "{err}");

    // Bad input blocks too.
    let (rc, _, err) = env.hook_for("codex", "not json");
    assert_eq!(rc, 2);
    assert!(err.contains("not JSON"), "{err}");

    // Other tools pass through (apply_patch is judged: see tests/self_defence.rs).
    let other =
        json!({"hook_event_name": "PreToolUse", "tool_name": "web_search", "tool_input": {}});
    let (rc, answer, _) = env.hook_for("codex", &other.to_string());
    assert_eq!((rc, answer), (0, None));

    let log = env.log();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter()
            .all(|r| r["requester"]["agent"] == hook_agent("codex"))
    );
    let statuses: Vec<&str> = log.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "denied").count(), 1);

    // PostToolUse records the outcome on the same request, as for Claude Code.
    let post = json!({
        "hook_event_name": "PostToolUse", "tool_name": "Bash",
        "tool_input": {"command": "git status"},
        "tool_response": {"exit_code": 0, "stdout": "clean", "stderr": ""},
        "session_id": "codex-sess", "tool_use_id": "c-1",
    });
    let (rc, _, err) = env.hook_for("codex", &post.to_string());
    assert_eq!(rc, 0, "{err}");
    assert!(env.log().iter().any(|r| r["status"] == "ran"));
}

#[test]
fn gemini_reads_a_top_level_decision() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let (rc, answer, err) = env.hook_for("gemini", &gemini_before("git status"));
    assert_eq!(rc, 0, "{err}");
    assert_eq!(answer, Some(json!({})), "allow: no objection");

    // Gemini honours the JSON decision with exit 0, and logs any other exit status as a
    // failed hook: a deny is the JSON and exit 0, the reason (rule and message) in it.
    let (rc, answer, err) = env.hook_for("gemini", &gemini_before("rm notes.txt"));
    assert_eq!(rc, 0, "{err}");
    let answer = answer.expect("a JSON answer");
    assert_eq!(answer["decision"], "deny");
    let reason = answer["reason"].as_str().unwrap();
    assert!(reason.contains("Use trash instead of rm."), "{reason}");
    assert!(reason.contains("no-rm"), "{reason}");
    assert!(!reason.contains('\n'), "one line for the model: {reason}");

    let (rc, answer, _) = env.hook_for("gemini", &gemini_before("touch x"));
    assert_eq!(rc, 0);
    assert_eq!(answer.unwrap()["decision"], "deny");

    // Other tools, and AfterTool, pass through; Claude Code's event name is not Gemini's.
    let read = json!({"hook_event_name": "BeforeTool", "tool_name": "read_file", "tool_input": {}});
    assert_eq!(env.hook_for("gemini", &read.to_string()).0, 0);
    let after = json!({"hook_event_name": "AfterTool", "tool_name": "run_shell_command"});
    assert_eq!(env.hook_for("gemini", &after.to_string()).0, 0);
    let (rc, answer, err) = env.hook_for("gemini", &pre_tool_use("ls", "x"));
    assert_eq!(rc, 0);
    assert_eq!(answer, Some(json!({})), "no decision");
    assert!(
        err.contains("does not handle the event `PreToolUse`"),
        "{err}"
    );

    let log = env.log();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter()
            .all(|r| r["requester"]["agent"] == hook_agent("gemini-cli"))
    );
    assert!(log.iter().any(|r| r["reason"] == "what gemini says"));
}

#[test]
fn gate_shell_runs_the_exact_script_with_its_status_and_stdio() {
    let env = Env::new();
    env.gate()
        .args(["shell", "-c", "echo out; echo err >&2; exit 5"])
        .status(5)
        .stdout("out\n")
        .stderr_contains("err")
        .run();
    env.gate()
        .args([
            "shell",
            "-c",
            "printf '%s|' \"$0\" \"$1\"",
            "name",
            "arg one",
        ])
        .stdout("name|arg one|")
        .run();
    env.policy(ASK_TOUCH);
    // Nothing of a denied script may run.
    env.gate()
        .args(["shell", "-c", "echo fine && rm -rf notes"])
        .status(77)
        .stdout("")
        .run();
    // gate -- sh -c analyses the script.
    env.gate()
        .args(["--", "sh", "-c", "true; rm x"])
        .status(77)
        .run();
}

#[test]
fn shims_route_through_gate_and_never_call_themselves() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let shims = env.path("shims");
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_exec(
        &bin.join("deploytool"),
        "#!/bin/sh\necho \"real deploytool $*\"\n",
    );
    let path = format!(
        "{}:{}:{}:/usr/bin:/bin",
        shims.display(),
        shims.display(),
        bin.display()
    );
    // gate, or a shim, with the shim dir set and on PATH.
    let shimmed = |program: &std::path::Path| {
        env.program(program)
            .env("GATE_SHIM_DIR", &shims)
            .env("PATH", &path)
    };
    let run = |args: &[&str]| shimmed(gate_bin()).args(args);
    run(&["shim", "install", "deploytool", "rm"])
        .status(0)
        .stdout_contains("deploytool ->")
        .run();
    // Through the shim, as a tool would call it (the shim dir is on PATH twice).
    shimmed(&shims.join("deploytool"))
        .args(["--prod", "v2"])
        .status(0)
        .stdout("real deploytool --prod v2\n")
        .run();
    let victim = env.work().join("victim");
    std::fs::write(&victim, "x").unwrap();
    // The shimmed rm must be denied by policy.
    shimmed(&shims.join("rm")).arg(&victim).status(77).run();
    assert!(victim.exists());
    // A shim copied elsewhere on PATH is recognised as a shim, not as the real program.
    let decoy = env.path("decoy");
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::copy(shims.join("deploytool"), decoy.join("ghosttool")).unwrap();
    run(&["shim", "install", "ghosttool"])
        .stdout_contains("no `ghosttool` found")
        .run();
    // A shim must not find another shim.
    shimmed(&shims.join("ghosttool"))
        .env(
            "PATH",
            format!("{}:{}:/usr/bin:/bin", shims.display(), decoy.display()),
        )
        .env_remove("XDG_CONFIG_HOME")
        .status(127)
        .run();
    run(&["shim", "list"]).stdout_contains("deploytool").run();
    run(&["shim", "remove", "deploytool"]).status(0).run();
    assert!(!shims.join("deploytool").exists());
    // Never overwrite or remove something that is not a gate shim.
    std::fs::write(shims.join("mine"), "#!/bin/sh\n").unwrap();
    run(&["shim", "install", "mine"]).status(64).run();
    run(&["shim", "remove", "mine"]).status(64).run();
    assert!(shims.join("mine").exists());
}

#[test]
fn ci_context_is_recorded_and_ci_never_prompts() {
    let env = Env::new();
    env.gate()
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_RUN_ID", "77")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_ACTOR", "octocat")
        .args(["--", "true"])
        .status(0)
        .run();
    let r = &env.log()[0];
    assert_eq!(r["ci"]["provider"], "github-actions");
    assert_eq!(
        r["ci"]["job_url"],
        "https://github.com/acme/app/actions/runs/77"
    );
    assert_eq!(r["ci"]["actor"], "octocat");
    for (var, val, provider) in [
        ("GITLAB_CI", "true", "gitlab-ci"),
        ("BUILDKITE", "true", "buildkite"),
        ("JENKINS_URL", "http://jenkins", "jenkins"),
        ("CIRCLECI", "true", "circleci"),
    ] {
        let env = Env::new();
        env.gate().env(var, val).args(["--", "true"]).run();
        assert_eq!(env.log()[0]["ci"]["provider"], provider);
    }
}

#[test]
fn agent_identity_comes_from_as_env_or_markers() {
    let env = Env::new();
    env.gate().args(["--as", "deploy-bot", "--", "true"]).run();
    env.gate()
        .env("GATE_AGENT", "nightly")
        .args(["--", "true"])
        .run();
    env.gate().env("CLAUDECODE", "1").args(["--", "true"]).run();
    env.gate().env("GEMINI_CLI", "1").args(["--", "true"]).run();
    let agents: Vec<Value> = env
        .log()
        .iter()
        .map(|r| r["requester"]["agent"].clone())
        .collect();
    assert_eq!(
        agents,
        [
            json!("gemini-cli"),
            json!("claude-code"),
            json!("nightly"),
            json!("deploy-bot")
        ]
    );
}

/// Claude Code sends `PostToolUseFailure` (not `PostToolUse`) when a command fails, with the
/// exit code only in the `error` text, and `duration_ms` with both; a successful call carries
/// no exit code in `tool_response` but means 0 (issue 14).
#[test]
fn claude_code_outcomes_are_recorded_with_their_exit_codes_and_durations() {
    let env = Env::new();
    for tu in ["ok", "fail", "bare", "stop"] {
        let (_, answer, _) = env.hook(&pre_tool_use(&format!("make {tu}"), tu));
        assert_eq!(decision(&answer), "allow");
    }
    let post = |event: &str, tu: &str, extra: Value| {
        let mut v = json!({
            "hook_event_name": event, "tool_name": "Bash",
            "tool_input": {"command": format!("make {tu}")},
            "session_id": "sess-1", "tool_use_id": tu, "duration_ms": 118,
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        let (rc, answer, err) = env.hook(&v.to_string());
        assert_eq!(rc, 0, "{event}: {err}");
        assert_eq!(answer, None, "{event} takes no decision");
    };
    post(
        "PostToolUse",
        "ok",
        json!({"tool_response": {"stdout": "", "stderr": "", "interrupted": false}}),
    );
    post(
        "PostToolUseFailure",
        "fail",
        json!({"error": "Exit code 2\nmake: *** No rule to make target 'fail'.  Stop.", "is_interrupt": false}),
    );
    post(
        "PostToolUseFailure",
        "bare",
        json!({"error": "Command timed out after 2m 0.0s", "is_interrupt": false}),
    );
    post(
        "PostToolUseFailure",
        "stop",
        json!({"error": "The user doesn't want to proceed", "is_interrupt": true}),
    );
    let by_cmd = |c: &str| {
        env.log()
            .into_iter()
            .find(|r| r["command"][2] == format!("make {c}"))
            .unwrap()
    };
    let ok = by_cmd("ok");
    assert_eq!(ok["status"], "ran");
    assert_eq!(ok["exit_code"], 0, "{ok}");
    assert_eq!(ok["duration_ms"], 118);
    let fail = by_cmd("fail");
    assert_eq!(fail["exit_code"], 2, "{fail}");
    assert_eq!(fail["duration_ms"], 118);
    let bare = by_cmd("bare");
    assert_eq!(bare["status"], "ran");
    assert!(
        bare["exit_code"].is_null(),
        "no code given: unknown, {bare}"
    );
    let shown = env.show(bare["id"].as_str().unwrap());
    let finished = events(&shown, "finished");
    assert!(
        finished[0]["error"].as_str().unwrap().contains("timed out"),
        "{shown}"
    );
    let stop = env.show(by_cmd("stop")["id"].as_str().unwrap());
    assert_eq!(events(&stop, "finished")[0]["interrupted"], true);
}

/// Gemini's AfterTool has no tool-use id: the outcome goes to the oldest request of the same
/// session for the same command that has none yet; its exit code is in the text.
#[test]
fn gemini_after_tool_outcomes_are_matched_by_session_and_command() {
    let env = Env::new();
    for _ in 0..2 {
        let (rc, answer, _) = env.hook_for("gemini", &gemini_before("make test"));
        assert_eq!((rc, answer), (0, Some(json!({}))));
    }
    let (rc, _, _) = env.hook_for("gemini", &gemini_before("git status"));
    assert_eq!(rc, 0);
    let after = |command: &str, text: &str| {
        let v = json!({
            "hook_event_name": "AfterTool", "tool_name": "run_shell_command",
            "tool_input": {"command": command},
            "tool_response": {"llmContent": text, "returnDisplay": text},
            "session_id": "gemini-sess", "cwd": "/srv/app",
        });
        let (rc, answer, err) = env.hook_for("gemini", &v.to_string());
        assert_eq!(rc, 0, "{err}");
        assert_eq!(answer, Some(json!({})), "no decision");
    };
    after(
        "make test",
        "Command: make test\nDirectory: (root)\nOutput: FAIL\nError: (none)\nExit Code: 2",
    );
    after("make test", "Command: make test\nOutput: ok\nExit Code: 0");
    after("git status", "Command: git status\nOutput: clean");
    let mut log = env.log();
    log.reverse();
    let codes: Vec<Value> = log.iter().map(|r| r["exit_code"].clone()).collect();
    assert_eq!(codes, [json!(2), json!(0), json!(0)], "{log:?}");
    assert!(log.iter().all(|r| r["status"] == "ran"));
    // A control: an AfterTool of another session finds nothing to record, and says so.
    let v = json!({
        "hook_event_name": "AfterTool", "tool_name": "run_shell_command",
        "tool_input": {"command": "make test"}, "tool_response": {"llmContent": "Exit Code: 1"},
        "session_id": "other", "cwd": "/srv/app",
    });
    let (rc, _, err) = env.hook_for("gemini", &v.to_string());
    assert_eq!(rc, 0);
    assert!(err.contains("not recorded"), "{err}");
}

/// Codex hands the hook's whole stderr to its model: a denial is the reason alone, on one line,
/// and gate's notices for a person (where to approve) never reach it.
#[test]
fn codex_reads_only_the_answer_on_stderr() {
    let env = Env::new();
    env.policy(
        "[defaults]\nchannels = [\"local\"]\ntimeout = \"2s\"\n\n[[rule]]\nid = \"ask-touch\"\ncommand = \"touch\"\ndecision = \"ask\"\nmessage = \"Creating files needs a human.\"\n",
    );
    let input = json!({
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "touch /tmp/x"},
        "session_id": "codex-sess", "tool_use_id": "c-9", "cwd": "/tmp",
    });
    let (rc, _, err) = env.hook_for("codex", &input.to_string());
    assert_eq!(rc, 2, "expired: denied");
    assert_eq!(err.lines().count(), 1, "one line for the model: {err:?}");
    assert!(err.contains("expired"), "{err}");
    assert!(err.contains("ask-touch"), "{err}");
    assert!(
        !err.contains("gate approve"),
        "a notice for a person: {err}"
    );
}

/// Codex sends PostToolUse for failed commands too, with the output as a plain string and no
/// exit code: the outcome is recorded as ran with the code unknown, never as a 0.
#[test]
fn codex_outcomes_without_an_exit_code_stay_unknown() {
    let env = Env::new();
    let pre = json!({
        "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": {"command": "sh -c 'exit 3'"},
        "session_id": "codex-sess", "tool_use_id": "call_1", "cwd": "/tmp",
    });
    let (rc, _, err) = env.hook_for("codex", &pre.to_string());
    assert_eq!(rc, 0, "{err}");
    let post = json!({
        "hook_event_name": "PostToolUse", "tool_name": "Bash",
        "tool_input": {"command": "sh -c 'exit 3'"}, "tool_response": "",
        "session_id": "codex-sess", "tool_use_id": "call_1", "cwd": "/tmp",
    });
    let (rc, _, err) = env.hook_for("codex", &post.to_string());
    assert_eq!(rc, 0, "{err}");
    let r = &env.log()[0];
    assert_eq!(r["status"], "ran");
    assert!(r["exit_code"].is_null(), "{r}");
}
