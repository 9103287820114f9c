//! `gate hook claude-code|codex|gemini`: the pre-tool-call hooks of Claude Code, OpenAI Codex
//! CLI and Gemini CLI. They send much the same JSON on stdin and differ in how they read the
//! answer, which [`Dialect`] knows.
//!
//! - Claude Code: `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command",
//!   "description"},"cwd","session_id","tool_use_id"}`; the answer is
//!   `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow|deny|ask",
//!   "permissionDecisionReason":"…"}}`. PostToolUse records the outcome against the same
//!   request, found by `tool_use_id`.
//! - Codex CLI: the same input (and PostToolUse); it accepts no allow or ask answer, so allow is
//!   silence and exit 0, deny is the reason on stderr and exit status 2. An ask goes to gate's
//!   own channels.
//! - Gemini CLI: `{"hook_event_name":"BeforeTool","tool_name":"run_shell_command",
//!   "tool_input":{"command"},"cwd","session_id"}`; it reads only a top-level `decision`, so allow
//!   is `{}`, deny is `{"decision":"deny","reason":"…"}` with exit status 2. No tool-use id, so
//!   outcomes are not recorded (AfterTool is accepted and ignored). An ask goes to gate's channels.
//!
//! Anything gate cannot read is denied, with exit status 2 as well (each agent blocks on 2 even
//! if it cannot parse the JSON): a crash must never read as "allow". Other tools pass through.

use std::io::Read;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::{HookAsk, RunOptions};
use crate::commands::{prepare, run::seek_approval};
use crate::context::Context;
use crate::decide::Decider;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{NewEvent, events, intake, keyed, store};
use crate::policy::Decision;
use crate::redact::Redactor;

/// Hook input larger than this is refused (Claude Code's commands are far smaller).
const MAX_INPUT: u64 = 4 * 1024 * 1024;

/// Which agent is asking, and so how it reads the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ClaudeCode,
    Codex,
    Gemini,
}

pub struct Options {
    pub dialect: Dialect,
    pub ask: HookAsk,
    pub policy: Option<std::path::PathBuf>,
    pub agent: Option<String>,
}

impl Dialect {
    /// The adapter name in the ledger, and the agent recorded unless told otherwise.
    pub fn agent(self) -> &'static str {
        match self {
            Dialect::ClaudeCode => "claude-code",
            Dialect::Codex => "codex",
            Dialect::Gemini => "gemini-cli",
        }
    }

    fn before_event(self) -> &'static str {
        match self {
            Dialect::ClaudeCode | Dialect::Codex => "PreToolUse",
            Dialect::Gemini => "BeforeTool",
        }
    }

    fn after_event(self) -> &'static str {
        match self {
            Dialect::ClaudeCode | Dialect::Codex => "PostToolUse",
            Dialect::Gemini => "AfterTool",
        }
    }

    fn shell_tool(self) -> &'static str {
        match self {
            Dialect::ClaudeCode | Dialect::Codex => "Bash",
            Dialect::Gemini => "run_shell_command",
        }
    }

    /// Whether the agent can ask its user itself (`--ask claude`).
    fn can_ask(self) -> bool {
        self == Dialect::ClaudeCode
    }

    fn allow(self, reason: &str) -> Exit {
        match self {
            Dialect::ClaudeCode => claude_answer("allow", reason),
            Dialect::Codex => {}
            Dialect::Gemini => println!("{{}}"),
        }
        Exit::Success
    }

    fn deny(self, reason: &str) -> Exit {
        match self {
            Dialect::ClaudeCode => {
                claude_answer("deny", reason);
                Exit::Success
            }
            Dialect::Codex => {
                eprintln!("{reason}");
                Exit::HookBlock
            }
            Dialect::Gemini => {
                println!("{}", json!({"decision": "deny", "reason": reason}));
                eprintln!("{reason}");
                Exit::HookBlock
            }
        }
    }

    /// Refuse: a deny answer the agent cannot miss, the reason on stderr, exit status 2.
    fn refuse(self, reason: &str) -> Result<Exit> {
        let reason = format!("gate: {reason}");
        match self {
            Dialect::ClaudeCode => {
                claude_answer("deny", &reason);
                eprintln!("{reason}");
            }
            Dialect::Codex | Dialect::Gemini => {
                self.deny(&reason);
            }
        }
        Ok(Exit::HookBlock)
    }
}

fn claude_answer(decision: &str, reason: &str) {
    println!(
        "{}",
        json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }
        })
    );
}

/// The request id for a tool call: derived from the session and tool-use ids, so PostToolUse
/// finds the request PreToolUse made without any lookup table.
pub fn request_id(dialect: Dialect, session: &str, tool_use: &str) -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let digest = Sha256::digest(format!("{}\0{session}\0{tool_use}", dialect.agent()).as_bytes());
    digest
        .iter()
        .take(10)
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect()
}

/// Answer one hook call. Every error and every panic answers deny (exit status 2 with the
/// reason): an agent reads any other exit as "go ahead".
pub fn run(opts: Options) -> Exit {
    let d = opts.dialect;
    // A write past the file-size limit must fail with EFBIG (and so deny), not kill gate with
    // SIGXFSZ: a hook killed by a signal reads as "go ahead".
    // SAFETY: setting a signal to be ignored runs no handler code.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGXFSZ,
            nix::sys::signal::SigHandler::SigIgn,
        );
    }
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer(&opts)));
    let refused = match answered {
        Ok(Ok(exit)) => return exit,
        Ok(Err(e)) => d.refuse(&format!("{e}; nothing may run unrecorded")),
        Err(_) => d.refuse("gate failed unexpectedly (a bug: please report it); nothing may run"),
    };
    refused.unwrap_or(Exit::HookBlock)
}

fn answer(opts: &Options) -> Result<Exit> {
    let d = opts.dialect;
    let mut raw = Vec::new();
    let read = std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut raw);
    if let Err(e) = read {
        return d.refuse(&format!("cannot read the hook input: {e}"));
    }
    if raw.len() as u64 > MAX_INPUT {
        return d.refuse(&format!(
            "the hook input is larger than {} MiB: refused",
            MAX_INPUT / (1024 * 1024)
        ));
    }
    let input: Value = match serde_json::from_slice(&raw) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return d.refuse("the hook input is not a JSON object"),
        Err(e) => return d.refuse(&format!("the hook input is not JSON ({e})")),
    };
    let event = input
        .get("hook_event_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if event == d.before_event() {
        pre_tool_use(&input, opts)
    } else if event == d.after_event() {
        match d {
            Dialect::Gemini => Ok(Exit::Success),
            Dialect::ClaudeCode | Dialect::Codex => post_tool_use(&input, opts),
        }
    } else if event.is_empty() {
        d.refuse("the hook input has no hook_event_name")
    } else {
        d.refuse(&format!(
            "unknown hook event `{event}`: `gate hook {}` handles {} and {} (register it only for those)",
            match d {
                Dialect::ClaudeCode => "claude-code",
                Dialect::Codex => "codex",
                Dialect::Gemini => "gemini",
            },
            d.before_event(),
            d.after_event()
        ))
    }
}

fn pre_tool_use(input: &Value, opts: &Options) -> Result<Exit> {
    let d = opts.dialect;
    let refuse = |reason: &str| d.refuse(reason);
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    let Some(tool) = field("tool_name") else {
        return refuse("the hook input has no tool_name");
    };
    let call = if tool == d.shell_tool() {
        let Some(script) = input.pointer("/tool_input/command").and_then(Value::as_str) else {
            return refuse(&format!("the {tool} tool input has no command"));
        };
        Call::Shell(script)
    } else if let Some(paths) = file_tool_paths(tool, input.get("tool_input")) {
        match paths {
            Ok(paths) => Call::FileWrite(tool, paths),
            Err(why) => return refuse(&format!("the {tool} tool input {why}")),
        }
    } else {
        // Neither a shell command nor a file write: no opinion, the agent's own permissions
        // apply.
        return Ok(Exit::Success);
    };
    let session = field("session_id").unwrap_or("");
    let tool_use = field("tool_use_id").unwrap_or("");
    let description = input
        .pointer("/tool_input/description")
        .and_then(Value::as_str);

    let mut policy = match prepare::load_policy(opts.policy.clone()) {
        Ok(p) => p,
        Err(e) => return refuse(&format!("the policy is invalid, nothing may run:\n{e}")),
    };
    let redactor = Redactor::new(&policy.redact)
        .map_err(|e| Error::Config(format!("[redact] patterns: {e}")))?;
    let mut ctx = Context::detect(opts.agent.as_deref());
    if ctx.requester.agent.is_none() {
        ctx.requester.agent = Some(d.agent().into());
    }
    if let Some(cwd) = field("cwd").filter(|c| !c.is_empty()) {
        ctx.cwd = cwd.to_string();
    }
    let (verdict, argv, script) = match &call {
        Call::Shell(script) => {
            let mut analysis = prepare::analyse_script(&policy, script);
            prepare::read_scripts(&policy, &ctx, &mut analysis, None);
            let verdict = match prepare::decide(&mut policy, &ctx, &analysis) {
                Ok(v) => v,
                Err(e) => return refuse(&format!("the policy is invalid, nothing may run:\n{e}")),
            };
            let argv = vec!["/bin/sh".to_string(), "-c".to_string(), script.to_string()];
            (verdict, argv, Some(*script))
        }
        Call::FileWrite(tool, paths) => {
            let env = |k: &str| std::env::var(k).ok();
            let scope = prepare::protection(&policy, &ctx, &env);
            let findings: Vec<_> = paths
                .iter()
                .filter_map(|p| scope.check_file_write(p))
                .collect();
            if findings.is_empty() {
                // An ordinary file: the agent's own permissions apply, as for any other tool.
                return Ok(Exit::Success);
            }
            let mut argv = vec![tool.to_string()];
            argv.extend(paths.iter().cloned());
            let mut verdict = crate::decide::Verdict {
                decision: Decision::Allow,
                hits: Vec::new(),
                opaque: Vec::new(),
                commands: vec![crate::analyze::SimpleCommand {
                    words: argv.iter().map(crate::analyze::Word::lit).collect(),
                    origin: crate::analyze::Origin::Argv,
                    via: Vec::new(),
                }],
                risk: crate::policy::Risk::Low,
            };
            crate::protect::apply(&mut verdict, findings);
            (verdict, argv, None)
        }
    };

    let id = if tool_use.is_empty() {
        crate::commands::run::new_request_id()
    } else {
        request_id(d, session, tool_use)
    };
    let ledger_path = match crate::dirs::ledger_path() {
        Some(p) => p,
        None => return refuse("cannot find the ledger: set HOME, XDG_DATA_HOME or GATE_LEDGER"),
    };
    // Allowed and denied calls go to the intake (see `ledger::intake`): one line, no SQLite.
    // The first call ever, and a call that finds the intake long, open the ledger itself.
    let quick = matches!(verdict.decision, Decision::Allow | Decision::Deny)
        && ledger_is_writable_file(&ledger_path)
        && intake::waiting_bytes(&ledger_path) < intake::FOLD_AT
        && !intake::blocked(&ledger_path);
    let mut ledger = if quick {
        None
    } else {
        match store::open(&ledger_path, policy.sync) {
            Ok(mut l) => {
                crate::commands::checkpoints::post_checkpoints_from(
                    &mut *l,
                    &policy,
                    opts.policy.clone(),
                );
                Some(l)
            }
            Err(e) => return refuse(&format!("{e}; nothing may run unrecorded")),
        }
    };
    let key = match keyed::load_key(&ledger_path) {
        Ok(k) => k,
        Err(e) => return refuse(&format!("{e}; nothing may run unrecorded")),
    };
    let os_argv: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
    let hmac = keyed::argv_hmac_with(&key, &os_argv);
    let masked_script = script.map(|s| redactor.text(s));
    let masked_command = redactor.argv(&argv);
    let reason = description.map(|d| redactor.text(d));
    let request = events::request(&events::RequestData {
        requester: &ctx.requester,
        cwd: &ctx.cwd,
        command: &masked_command,
        script: masked_script.as_deref(),
        reason: reason.as_deref(),
        ci: ctx.ci.as_ref(),
        argv_hmac: &hmac,
        policy_sources: &policy.sources,
        protect_except: &policy.protect_except,
        extra: Some(json!({"adapter": d.agent(), "session_id": session, "tool_use_id": tool_use})),
    });
    let decision = events::decision(&verdict, &redactor);
    // The agent runs the command itself: an allowed request is `started` when gate answers.
    let batch = events::opening(&id, request, decision, verdict.decision == Decision::Allow);
    let rules: Vec<String> = verdict
        .deciding()
        .map(|h| match &h.message {
            Some(m) => format!("{} ({m})", h.rule),
            None => h.rule.clone(),
        })
        .collect();
    let why = if rules.is_empty() {
        verdict
            .opaque
            .first()
            .map(|o| format!("gate cannot see what runs: {}", o.reason))
            .unwrap_or_default()
    } else {
        rules.join("; ")
    };
    // The answer to an allowed or denied call, once it is recorded.
    let answer_decided = || {
        if verdict.decision == Decision::Allow {
            d.allow(&format!("gate: allowed by policy (request {id})"))
        } else {
            d.deny(&format!("gate denied this command (request {id}): {why}"))
        }
    };
    let Some(ledger) = &mut ledger else {
        if let Err(e) = intake::append(&ledger_path, &key, &batch, policy.sync) {
            return refuse(&format!("{e}; nothing may run unrecorded"));
        }
        return Ok(answer_decided());
    };
    match verdict.decision {
        Decision::Allow | Decision::Deny => {
            if let Err(e) = ledger.append(&batch) {
                return refuse(&format!("{e}; nothing may run unrecorded"));
            }
            Ok(answer_decided())
        }
        Decision::Ask => {
            if let Err(e) = ledger.append(&batch) {
                return refuse(&format!("{e}; nothing may run unrecorded"));
            }
            match opts.ask {
                HookAsk::Claude if d.can_ask() => {
                    ledger.append(&[NewEvent {
                        request: &id,
                        kind: "verdict",
                        data: json!({"outcome": "handed-over", "to": "claude-code"}),
                    }])?;
                    claude_answer(
                        "ask",
                        &format!("gate: needs approval (request {id}): {why}"),
                    );
                    Ok(Exit::Success)
                }
                HookAsk::Claude | HookAsk::Gate => {
                    let run_opts = RunOptions {
                        reason: reason.clone(),
                        agent: ctx.requester.agent.clone(),
                        ..RunOptions::default()
                    };
                    let display = masked_script
                        .clone()
                        .unwrap_or_else(|| masked_command.join(" "));
                    let terms = Decider::new(&policy).ask_terms(&verdict);
                    let outcome = seek_approval(
                        &policy,
                        &ctx,
                        &verdict,
                        &terms,
                        &run_opts,
                        None,
                        &id,
                        &display,
                        &redactor,
                        &mut **ledger,
                    );
                    match outcome {
                        Ok(crate::approve::Outcome::Approved { by, channel }) => {
                            ledger.append(&[NewEvent {
                                request: &id,
                                kind: "started",
                                data: json!({"by": d.agent()}),
                            }])?;
                            Ok(d.allow(&format!(
                                "gate: approved in {channel} by {} (request {id})",
                                by.join(", ")
                            )))
                        }
                        Ok(other) => Ok(
                            d.deny(&format!("gate: {} (request {id}); {why}", other.describe()))
                        ),
                        Err(e) => refuse(&format!("approval could not be asked: {e}")),
                    }
                }
            }
        }
    }
}

/// Whether the ledger is a regular SQLite file its owner may write: anything else (missing, a
/// directory, made read-only, not SQLite) takes the slow path, which opens it and fails closed
/// there.
fn ledger_is_writable_file(path: &std::path::Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 16];
    file.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o200 != 0)
        && file.read_exact(&mut magic).is_ok()
        && &magic == b"SQLite format 3\0"
}

/// What an agent is about to do.
enum Call<'i> {
    Shell(&'i str),
    /// A file tool that writes these paths.
    FileWrite(&'i str, Vec<String>),
}

/// The paths a file-writing tool writes: Claude Code's Write, Edit, MultiEdit (`file_path`)
/// and NotebookEdit (`notebook_path`), Gemini CLI's `write_file` and `replace` (`file_path`),
/// Codex's `apply_patch` (every `*** Add/Update/Delete File:` and `*** Move to:` path of the
/// patch). `None` for any other tool; an error when such a tool's input names no path.
fn file_tool_paths(
    tool: &str,
    input: Option<&Value>,
) -> Option<std::result::Result<Vec<String>, String>> {
    let text = |k: &str| input.and_then(|i| i.get(k)).and_then(Value::as_str);
    let key = match tool {
        "Write" | "Edit" | "MultiEdit" | "write_file" | "replace" => "file_path",
        "NotebookEdit" => "notebook_path",
        "apply_patch" | "ApplyPatch" => {
            let patch = ["input", "patch", "command"]
                .iter()
                .find_map(|k| text(k))
                .or_else(|| {
                    input
                        .and_then(|i| i.get("command"))
                        .and_then(Value::as_array)
                        .and_then(|a| a.last())
                        .and_then(Value::as_str)
                });
            let Some(patch) = patch else {
                return Some(Err("holds no patch".into()));
            };
            let paths: Vec<String> = patch
                .lines()
                .filter_map(|l| {
                    let l = l.trim_start();
                    [
                        "*** Add File:",
                        "*** Update File:",
                        "*** Delete File:",
                        "*** Move to:",
                    ]
                    .iter()
                    .find_map(|p| l.strip_prefix(p))
                    .map(|p| p.trim().to_string())
                })
                .collect();
            return Some(Ok(paths));
        }
        _ => return None,
    };
    Some(match text(key) {
        Some(p) if !p.is_empty() => Ok(vec![p.to_string()]),
        _ => Err(format!("has no {key}")),
    })
}

fn post_tool_use(input: &Value, opts: &Options) -> Result<Exit> {
    let d = opts.dialect;
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    if field("tool_name") != Some(d.shell_tool()) {
        return Ok(Exit::Success);
    }
    let (Some(session), Some(tool_use)) = (field("session_id"), field("tool_use_id")) else {
        eprintln!("gate: PostToolUse input without session_id/tool_use_id: outcome not recorded");
        return Ok(Exit::Success);
    };
    let id = request_id(d, session, tool_use);
    let path =
        crate::dirs::ledger_path().ok_or_else(|| Error::Config("cannot find the ledger".into()))?;
    // Opening chains what PreToolUse left in the intake, this call's request among it.
    let mut ledger = store::open(&path, crate::policy::SyncMode::Normal)?;
    crate::commands::checkpoints::post_checkpoints_lazily(&mut *ledger, opts.policy.clone());
    if ledger.events_of(&id)?.is_empty() {
        // A command ran that the ledger holds no request for: its PreToolUse line was erased
        // from the intake before it was chained, or no PreToolUse recorded it. `gate verify`
        // reports this event as a break.
        ledger.append(&[NewEvent {
            request: &id,
            kind: "orphan_outcome",
            data: json!({"tool_use_id": tool_use, "session_id": session, "by": d.agent()}),
        }])?;
        eprintln!(
            "gate: no PreToolUse request for tool use {tool_use}: recorded as an outcome without a request"
        );
        return Ok(Exit::Success);
    }
    let resp = input.get("tool_response").cloned().unwrap_or(Value::Null);
    let exit_code = ["exit_code", "exitCode", "returnCode"]
        .iter()
        .find_map(|k| resp.get(k).and_then(Value::as_i64));
    let interrupted = resp
        .get("interrupted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Output is not stored: it may hold secrets. Its size says enough for an audit trail.
    let len = |k: &str| resp.get(k).and_then(Value::as_str).map(str::len);
    ledger.append(&[NewEvent {
        request: &id,
        kind: "finished",
        data: json!({
            "exit_code": exit_code,
            "interrupted": interrupted,
            "stdout_bytes": len("stdout"),
            "stderr_bytes": len("stderr"),
            "by": d.agent(),
        }),
    }])?;
    Ok(Exit::Success)
}
