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

use crate::approve::Outcome;
use crate::cli::HookAsk;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{Kind, NewEvent, events, store};
use crate::pipeline::{self, Ask, Request, Target};
use crate::policy::Decision;

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

    /// The events that report how a tool call ended.
    fn after_events(self) -> &'static [&'static str] {
        match self {
            Dialect::ClaudeCode => &["PostToolUse", "PostToolUseFailure"],
            Dialect::Codex => &["PostToolUse"],
            Dialect::Gemini => &["AfterTool"],
        }
    }

    fn command_name(self) -> &'static str {
        match self {
            Dialect::ClaudeCode => "claude-code",
            Dialect::Codex => "codex",
            Dialect::Gemini => "gemini",
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

    /// What the agent's model reads: one line.
    fn deny(self, reason: &str) -> Exit {
        let reason = one_line(reason);
        match self {
            Dialect::ClaudeCode => {
                claude_answer("deny", &reason);
                Exit::Success
            }
            // Codex blocks on exit 2 and hands the model the whole of stderr: the reason alone.
            Dialect::Codex => {
                eprintln!("{reason}");
                Exit::HookBlock
            }
            // Gemini honours the JSON decision with exit 0 and logs any other exit as a failed
            // hook.
            Dialect::Gemini => {
                println!("{}", json!({"decision": "deny", "reason": reason}));
                Exit::Success
            }
        }
    }

    /// Refuse: a deny answer the agent cannot miss, the reason on stderr, exit status 2
    /// (Gemini: its JSON deny with exit 0, which it honours).
    fn refuse(self, reason: &str) -> Result<Exit> {
        let reason = format!("gate: {reason}");
        match self {
            Dialect::ClaudeCode => {
                claude_answer("deny", &one_line(&reason));
                eprintln!("{reason}");
                Ok(Exit::HookBlock)
            }
            Dialect::Codex | Dialect::Gemini => Ok(self.deny(&reason)),
        }
    }

    /// No decision: the agent's own permissions apply (an event gate does not handle).
    fn no_decision(self) -> Exit {
        if self == Dialect::Gemini {
            println!("{{}}");
        }
        Exit::Success
    }
}

/// Text for a model: one line, blanks collapsed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
    let digest = Sha256::digest(format!("{}\0{session}\0{tool_use}", dialect.agent()).as_bytes());
    pipeline::id_from_bytes(&digest)
}

/// Answer one hook call. Every error and every panic answers deny (exit status 2 with the
/// reason): an agent reads any other exit as "go ahead".
pub fn run(opts: Options) -> Exit {
    let d = opts.dialect;
    // The agent hands stderr to its model (Codex: all of it): notices meant for a person (where
    // to approve, which channel is down) go to the terminal instead.
    crate::ui::notes_to_terminal();
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
    } else if d.after_events().contains(&event) {
        post_tool_use(&input, opts, event)
    } else if event.is_empty() {
        d.refuse("the hook input has no hook_event_name")
    } else {
        // Not a tool call gate judges: no decision, so the agent goes on as it would without
        // gate (a block here would break the agent on every such event).
        eprintln!(
            "gate: warning: `gate hook {}` does not handle the event `{event}` (it handles {} and {}): no decision; register gate only for those",
            d.command_name(),
            d.before_event(),
            d.after_events().join(", ")
        );
        Ok(d.no_decision())
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

    let mut ctx = Context::detect(opts.agent.as_deref());
    if ctx.requester.agent.is_none() {
        ctx.requester.agent = Some(d.agent().into());
    }
    if let Some(cwd) = field("cwd").filter(|c| !c.is_empty()) {
        ctx.cwd = cwd.to_string();
    }
    let target = match call {
        Call::Shell(script) => Target::ToolScript(script.to_string()),
        Call::FileWrite(tool, paths) => Target::FileWrite {
            tool: tool.to_string(),
            paths,
        },
    };
    let ask = Ask {
        options: pipeline::Options {
            reason: description.map(str::to_string),
            agent: ctx.requester.agent.clone(),
            policy: opts.policy.clone(),
            ..Default::default()
        },
        target,
        ctx,
        id: (!tool_use.is_empty()).then(|| request_id(d, session, tool_use)),
        via: Some(json!({"adapter": d.agent(), "session_id": session, "tool_use_id": tool_use})),
    };
    let mut req = match Request::prepare(ask) {
        Ok(Some(req)) => req,
        // An ordinary file: the agent's own permissions apply, as for any other tool.
        Ok(None) => return Ok(Exit::Success),
        Err(e @ Error::Policy(_)) => {
            return refuse(&format!("the policy is invalid, nothing may run:\n{e}"));
        }
        Err(e) => return refuse(&format!("{e}; nothing may run unrecorded")),
    };
    // The agent runs the command itself: an allowed request is `started` when gate answers.
    if let Err(e) = req.open() {
        return refuse(&format!("{e}; nothing may run unrecorded"));
    }
    let id = req.id.clone();
    let why = req.why();
    match req.decision() {
        Decision::Allow => Ok(d.allow(&format!("gate: allowed by policy (request {id})"))),
        Decision::Deny => Ok(d.deny(&format!("gate denied this command (request {id}): {why}"))),
        Decision::Ask if opts.ask == HookAsk::Claude && d.can_ask() => {
            let verdict = events::Verdict::HandedOver { to: "claude-code" };
            req.note(Kind::Verdict, events::verdict(&verdict))?;
            claude_answer(
                "ask",
                &format!("gate: needs approval (request {id}): {why}"),
            );
            Ok(Exit::Success)
        }
        Decision::Ask => match req.approve() {
            Ok(Outcome::Approved { by, channel }) => {
                req.note(Kind::Started, events::started_by(d.agent()))?;
                Ok(d.allow(&format!(
                    "gate: approved in {channel} by {} (request {id})",
                    by.join(", ")
                )))
            }
            Ok(other) => Ok(d.deny(&format!("gate: {} (request {id}); {why}", other.describe()))),
            Err(e) => refuse(&format!("approval could not be asked: {e}")),
        },
    }
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

fn post_tool_use(input: &Value, opts: &Options, event: &str) -> Result<Exit> {
    let d = opts.dialect;
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    if field("tool_name") != Some(d.shell_tool()) {
        return Ok(d.no_decision());
    }
    let Some(session) = field("session_id") else {
        eprintln!("gate: {event} input without session_id: outcome not recorded");
        return Ok(d.no_decision());
    };
    // Reading chains what the pre-tool call left in the intake, this call's request among it.
    let mut ledger = store::open(crate::policy::SyncMode::Normal)?;
    let (id, tool_use) = match field("tool_use_id") {
        Some(tool_use) => (request_id(d, session, tool_use), tool_use.to_string()),
        // Gemini sends no tool-use id: the oldest request of this session for this command
        // that has no outcome yet is the one.
        None => {
            let command = input
                .pointer("/tool_input/command")
                .and_then(Value::as_str)
                .unwrap_or("");
            match unfinished_request(&*ledger, d, session, command)? {
                Some(id) => (id, String::new()),
                None => {
                    eprintln!(
                        "gate: {event}: no request of session {session} for this command waits for its outcome: not recorded"
                    );
                    return Ok(d.no_decision());
                }
            }
        }
    };
    let found = ledger.events_of(&id)?;
    let mut appended = ledger.take_written();
    if found.is_empty() {
        // A command ran that the ledger holds no request for: its PreToolUse line was erased
        // from the intake before it was chained, or no PreToolUse recorded it. `gate verify`
        // reports this event as a break.
        let data = events::orphan_outcome(session, &tool_use, d.agent());
        appended = ledger.append(&[NewEvent::new(&id, Kind::OrphanOutcome, data)])?;
        eprintln!(
            "gate: no PreToolUse request for tool use {tool_use}: recorded as an outcome without a request"
        );
        post_checkpoints(appended, opts);
        return Ok(d.no_decision());
    }
    let outcome = read_outcome(input, event, d);
    // Masked with the built-in patterns (the policy is not loaded here), and kept short.
    let error = outcome.error.as_deref().map(|e| {
        let masked = crate::redact::Redactor::new(&[])
            .map(|r| r.text(e))
            .unwrap_or_else(|_| "(the error text could not be masked)".into());
        masked.chars().take(300).collect::<String>()
    });
    let data = events::tool_finished(&events::ToolOutcome {
        exit_code: outcome.exit_code,
        interrupted: outcome.interrupted,
        stdout_bytes: outcome.stdout_bytes,
        stderr_bytes: outcome.stderr_bytes,
        duration_ms: outcome.duration_ms,
        error: error.as_deref(),
        by: d.agent(),
    });
    appended = appended.and(ledger.append(&[NewEvent::new(&id, Kind::Finished, data)])?);
    post_checkpoints(appended, opts);
    Ok(d.no_decision())
}

/// How a tool call ended, as its post-tool event tells.
#[derive(Debug, Default, PartialEq, Eq)]
struct ToolEnd {
    exit_code: Option<i64>,
    interrupted: bool,
    stdout_bytes: Option<usize>,
    stderr_bytes: Option<usize>,
    duration_ms: Option<u64>,
    /// The failure's text, when it gives no exit code.
    error: Option<String>,
}

/// Read the outcome from each agent's post-tool input:
/// - Claude Code `PostToolUse`: success (exit 0); `tool_response.interrupted`; `duration_ms`.
/// - Claude Code `PostToolUseFailure`: `error` (`Exit code N` …), `is_interrupt`, `duration_ms`.
/// - Codex `PostToolUse`: sent for failed commands too, with `tool_response` the output as a
///   plain string and no exit code: the code is unknown (never taken for 0).
/// - Gemini `AfterTool`: `tool_response` text holding `Exit Code: N`.
///
/// Output itself is never stored (it may hold secrets); its size says enough for an audit.
fn read_outcome(input: &Value, event: &str, d: Dialect) -> ToolEnd {
    let resp = input.get("tool_response").cloned().unwrap_or(Value::Null);
    let len = |k: &str| resp.get(k).and_then(Value::as_str).map(str::len);
    let duration_ms = input.get("duration_ms").and_then(Value::as_u64);
    let stated = ["exit_code", "exitCode", "returnCode"]
        .iter()
        .find_map(|k| resp.get(k).and_then(Value::as_i64));
    match event {
        "PostToolUseFailure" => {
            let error = input.get("error").and_then(Value::as_str).unwrap_or("");
            let interrupted = input
                .get("is_interrupt")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let exit_code = stated.or_else(|| number_after(error, "Exit code "));
            ToolEnd {
                exit_code,
                interrupted,
                duration_ms,
                error: (exit_code.is_none() && !error.is_empty()).then(|| error.to_string()),
                ..ToolEnd::default()
            }
        }
        "AfterTool" => {
            // Gemini's shell tool reports `Exit Code: N` in its text (and nothing, or
            // `(none)`, when the command succeeded).
            let text = response_text(&resp);
            let error = resp
                .get("error")
                .filter(|e| !e.is_null())
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string));
            let exit_code = stated
                .or_else(|| number_after(&text, "Exit Code: "))
                .or(if error.is_none() { Some(0) } else { None });
            ToolEnd {
                exit_code,
                duration_ms,
                error: exit_code.is_none().then_some(error).flatten(),
                ..ToolEnd::default()
            }
        }
        _ if d == Dialect::Codex => ToolEnd {
            exit_code: stated,
            interrupted: false,
            stdout_bytes: resp.as_str().map(str::len).or(len("stdout")),
            stderr_bytes: len("stderr"),
            duration_ms,
            error: None,
        },
        _ => ToolEnd {
            // Claude Code sends PostToolUse only for a call that succeeded (a failure is
            // PostToolUseFailure): exit 0 unless it says otherwise.
            exit_code: stated.or(Some(0)),
            interrupted: resp
                .get("interrupted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            stdout_bytes: len("stdout"),
            stderr_bytes: len("stderr"),
            duration_ms,
            error: None,
        },
    }
}

/// Every string in a tool response, joined (Gemini nests its text in `llmContent` parts).
fn response_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(response_text).collect::<Vec<_>>().join("\n"),
        Value::Object(o) => o.values().map(response_text).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

/// The integer right after the first `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> Option<i64> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let end = rest
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// The oldest request of `session` for `command` made through this dialect that has no
/// outcome yet (within the last day). The command is compared by its keyed hash, which the
/// request holds unmasked.
fn unfinished_request(
    ledger: &dyn crate::ledger::Store,
    d: Dialect,
    session: &str,
    command: &str,
) -> Result<Option<String>> {
    let since = ledger
        .now()
        .checked_sub(std::time::Duration::from_secs(24 * 3600))
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    let filter = crate::ledger::query::Filter {
        since: Some(humantime::format_rfc3339_millis(since).to_string()),
        ..Default::default()
    };
    let argv: Vec<std::ffi::OsString> = ["/bin/sh", "-c", command].iter().map(Into::into).collect();
    let hmac = ledger.argv_hmac(&argv)?;
    let mut found = None;
    ledger.query(&filter, false, usize::MAX, &mut |r| {
        if found.is_some() || r.decision != "allow" && !r.approved {
            return;
        }
        let via = |k: &str| {
            r.via
                .as_ref()
                .and_then(|v| v.get(k))
                .and_then(Value::as_str)
        };
        let waiting = matches!(
            r.status,
            crate::ledger::Status::Unknown | crate::ledger::Status::Running
        );
        if waiting
            && via("adapter") == Some(d.agent())
            && via("session_id") == Some(session)
            && r.argv_hmac.as_deref() == Some(hmac.as_str())
        {
            found = Some(r.id.clone());
        }
    })?;
    Ok(found)
}

/// Post a checkpoint an append (or the fold opening did) wrote, if the policy says where.
fn post_checkpoints(appended: store::Appended, opts: &Options) {
    pipeline::post_written(appended, opts.policy.clone());
    pipeline::ship_written();
}
