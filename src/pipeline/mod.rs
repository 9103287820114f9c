//! One request, from what was asked to what became of it: every way in (`gate --`, `gate run`,
//! `gate shell -c`, the shims, every `gate hook …` dialect) builds an [`Ask`] and goes through
//! the same steps:
//!
//! 1. [`Request::prepare`]: the policy, the analysis of what runs (with the script files it
//!    reads), the decision, the masked forms people see;
//! 2. [`Request::open`]: the request and its decision (and `started`, when allowed) recorded
//!    in one step before anything else happens;
//! 3. [`Request::approve`] when the decision is ask: an earlier approval reused, or the
//!    channels asked (see [`approval`]);
//! 4. [`Request::run`] when gate runs the command itself: exactly the argv analysed (a shell
//!    script from a sealed copy of the bytes read), then how it ended.
//!
//! The callers only translate: command-line options into [`Options`] (parsed, then resolved),
//! an agent's tool call into an [`Ask`], and the outcome into an exit status or an answer.

pub mod approval;
pub mod prepare;
pub mod script_files;

use std::ffi::OsString;
use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::analyze::Opaque;
use crate::context::Context;
use crate::decide::Verdict;
use crate::error::{Error, Result};
use crate::exec::{self, SpawnError};
use crate::exit::Exit;
use crate::ledger::store::{self, Appended, Store};
use crate::ledger::{Kind, NewEvent, events};
use crate::policy::{Decision, Policy, parse_duration};
use crate::redact::Redactor;
use crate::ui;

/// What the person or agent asked for beyond the command, resolved once: durations parsed,
/// channel names checked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Why the command must run (unmasked; masked wherever it is shown or stored).
    pub reason: Option<String>,
    /// The agent or job name given with `--as`.
    pub agent: Option<String>,
    /// How long to wait for approval instead of the rule's or the policy's.
    pub timeout: Option<Duration>,
    /// Ask only on these channels (of those the rule allows).
    pub channels: Vec<String>,
    /// One JSON line about the decision on stderr.
    pub json: bool,
    /// A policy file instead of the user policy (the system policy still applies).
    pub policy: Option<PathBuf>,
}

impl Options {
    /// From `gate -- …`'s flags.
    pub fn resolve(cli: crate::cli::RunOptions) -> Result<Options> {
        let timeout = match &cli.timeout {
            Some(t) => {
                Some(parse_duration(t).map_err(|e| Error::Usage(format!("--timeout {t}: {e}")))?)
            }
            None => None,
        };
        for name in &cli.channels {
            check_channel(name)?;
        }
        Ok(Options {
            reason: cli.reason,
            agent: cli.agent,
            timeout,
            channels: cli.channels,
            json: cli.json,
            policy: cli.policy,
        })
    }
}

/// A channel name given on the command line (`--channel`) is one gate has.
fn check_channel(name: &str) -> Result<()> {
    use crate::policy::CHANNELS;
    if CHANNELS.contains(&name) {
        return Ok(());
    }
    let hint = crate::nearest(name, CHANNELS.iter().copied())
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    Err(Error::Usage(format!(
        "unknown channel `{}`: the channels are {}{hint}",
        ui::printable(name),
        CHANNELS.join(", ")
    )))
}

/// What is to run.
pub enum Target {
    /// `gate -- ARGV`: gate runs it.
    Argv(Vec<OsString>),
    /// `gate shell -c SCRIPT [NAME ARGS...]`: gate runs `/bin/sh -c SCRIPT NAME ARGS...`.
    Script { script: String, args: Vec<OsString> },
    /// An agent's shell tool call: the agent runs `sh -c SCRIPT` itself once gate answers.
    ToolScript(String),
    /// An agent's file tool about to write these paths: only writes to what gate protects
    /// (its policy, its ledger) are gate's business.
    FileWrite { tool: String, paths: Vec<String> },
}

/// One request as it comes in.
pub struct Ask {
    pub options: Options,
    pub target: Target,
    pub ctx: Context,
    /// The request id, when the caller derives it (a hook, from the tool call's ids).
    pub id: Option<String>,
    /// Extra context from an adapter, recorded with the request (`via`).
    pub via: Option<Value>,
}

/// A request once decided, and the ledger it is recorded in.
pub struct Request {
    pub id: String,
    pub options: Options,
    /// Never freed: the process ends soon after, and dropping a thousand rules one by one is
    /// measurable on the allow path.
    pub policy: ManuallyDrop<Policy>,
    pub redactor: Redactor,
    pub ctx: Context,
    pub verdict: Verdict,
    /// The argv that runs, exactly (for a script: `/bin/sh -c SCRIPT …`).
    pub argv: Vec<OsString>,
    /// The argv as people see it (masked).
    pub masked: Vec<String>,
    /// The script, masked, when the request is one.
    pub masked_script: Option<String>,
    /// What people are shown as "the command": the masked argv, or an agent's masked script.
    pub display: String,
    /// The script files whose content was analysed, and how to run the one gate runs.
    pub read: script_files::Read,
    via: Option<Value>,
    store: Box<dyn Store>,
    /// In a fleet: every record is shipped by a background shipper (see `fleet::ship`).
    pub in_fleet: bool,
}

impl Request {
    /// Policy, context, analysis, decision. `None` when the request is none of gate's business
    /// (a file tool writing an ordinary file): nothing is recorded for it.
    pub fn prepare(ask: Ask) -> Result<Option<Request>> {
        let Ask {
            options,
            target,
            ctx,
            id,
            via,
        } = ask;
        if let Target::Argv(argv) = &target {
            if argv.is_empty() {
                return Err(Error::Usage(
                    "nothing to run: give the command after `--`, e.g. `gate -- kubectl get pods`"
                        .into(),
                ));
            }
            if argv[0].is_empty() {
                return Err(Error::Usage(
                    "nothing to run: the command after `--` is an empty word (`''`); give a program, e.g. `gate -- kubectl get pods`"
                        .into(),
                ));
            }
        }
        let mut timer = ui::Timer::start();
        let policy = ManuallyDrop::new(prepare::load_policy(options.policy.clone())?);
        timer.mark("policy loaded");
        let redactor = Redactor::new(&policy.redact)
            .map_err(|e| Error::Config(format!("[redact] patterns: {e}")))?;
        let decide = |analysis: &crate::analyze::Analysis| prepare::decide(&policy, &ctx, analysis);
        let (argv, strings, script, read, verdict) = match target {
            Target::Argv(argv) => {
                let (strings, bad) = prepare::argv_strings(&argv);
                let mut analysis = prepare::analyse_argv(&policy, &strings, bad);
                let read = prepare::read_scripts(&policy, &ctx, &mut analysis, Some(&strings));
                timer.mark("context and analysis");
                (argv, strings, None, read, decide(&analysis)?)
            }
            Target::Script { script, args } => {
                let mut argv: Vec<OsString> =
                    vec!["/bin/sh".into(), "-c".into(), script.clone().into()];
                argv.extend(args.iter().cloned());
                let (strings, _) = prepare::argv_strings(&argv);
                let mut analysis = prepare::analyse_script(&policy, &script);
                if args.iter().any(|a| a.to_str().is_none()) {
                    analysis.opaque.push(Opaque {
                        reason: "an argument is not valid UTF-8".into(),
                        snippet: String::new(),
                    });
                }
                let read = prepare::read_scripts(&policy, &ctx, &mut analysis, None);
                timer.mark("context and analysis");
                (argv, strings, Some(script), read, decide(&analysis)?)
            }
            Target::ToolScript(script) => {
                let strings = vec!["/bin/sh".to_string(), "-c".to_string(), script.clone()];
                let mut analysis = prepare::analyse_script(&policy, &script);
                let read = prepare::read_scripts(&policy, &ctx, &mut analysis, None);
                let argv = strings.iter().map(OsString::from).collect();
                timer.mark("context and analysis");
                (argv, strings, Some(script), read, decide(&analysis)?)
            }
            Target::FileWrite { tool, paths } => {
                let Some(verdict) = prepare::judge_file_write(&policy, &ctx, &tool, &paths) else {
                    return Ok(None);
                };
                let mut strings = vec![tool];
                strings.extend(paths);
                let argv = strings.iter().map(OsString::from).collect();
                (argv, strings, None, Default::default(), verdict)
            }
        };
        timer.mark("decided");
        // An agent's tool call is shown as the script it wrote; gate's own runs as the argv.
        let show_script = via.is_some();
        let store = store::open(policy.sync)?;
        let in_fleet = crate::fleet::config::in_fleet(&policy);
        let masked = redactor.argv(&strings);
        let masked_script = script.as_deref().map(|s| redactor.text(s));
        // Shown to people (prompt, denial, Slack, webhook): each argument shell-quoted and its
        // control characters escaped, so that what is read is what runs and it cannot pass
        // itself off as another command.
        let display = match (&masked_script, show_script) {
            (Some(s), true) => ui::printable(s).into_owned(),
            _ => crate::quote::line_of(&argv, &masked),
        };
        Ok(Some(Request {
            id: id.unwrap_or_else(new_request_id),
            options,
            policy,
            redactor,
            ctx,
            verdict,
            argv,
            masked,
            masked_script,
            display,
            read,
            via,
            store,
            in_fleet,
        }))
    }

    pub fn decision(&self) -> Decision {
        self.verdict.decision
    }

    /// The reason given, masked.
    pub fn masked_reason(&self) -> Option<String> {
        self.options
            .reason
            .as_deref()
            .map(|r| self.redactor.text(r))
    }

    /// The rules that made the decision, each with its message: `id (message); …`; for a
    /// decision no rule made, what gate could not see.
    pub fn why(&self) -> String {
        let rules: Vec<String> = self
            .verdict
            .deciding()
            .map(|h| match &h.message {
                Some(m) => format!("{} ({m})", h.rule),
                None => h.rule.clone(),
            })
            .collect();
        if rules.is_empty() {
            self.verdict
                .opaque
                .first()
                .map(|o| format!("gate cannot see what runs: {}", o.reason))
                .unwrap_or_default()
        } else {
            rules.join("; ")
        }
    }

    /// Record the request and its decision in one step, before anything else happens; an
    /// allowed request also gets `started` (the command starts once this returns). Allowed and
    /// denied requests may take the ledger's quick path; one that asks is recorded where the
    /// channels will look for it.
    pub fn open(&mut self) -> Result<()> {
        if self.in_fleet {
            // The spool is bounded: a fleet unreachable for long stops runs here (74).
            crate::fleet::ship::check_spool()?;
        }
        let hmac = self.store.argv_hmac(&self.argv)?;
        let reason = self.masked_reason();
        let disabled = self.policy.disabled();
        let request = events::request(&events::RequestData {
            requester: &self.ctx.requester,
            cwd: &self.ctx.cwd,
            command: &self.masked,
            script: self.masked_script.as_deref(),
            reason: reason.as_deref(),
            ci: self.ctx.ci.as_ref(),
            argv_hmac: &hmac,
            policy_sources: &self.policy.sources,
            policy_digest: &self.policy.digest,
            policy_version: self.policy.policy_version,
            protect_except: &self.policy.protect_except,
            packs_disabled: &disabled,
            extra: self.via.clone(),
        });
        let decision = decision_event(&self.verdict, &self.redactor);
        let allowed = self.verdict.decision == Decision::Allow;
        let id = self.id.clone();
        let batch = events::opening(&id, request, decision, allowed.then(events::started));
        if self.verdict.decision == Decision::Ask {
            self.record(&batch)
        } else {
            self.record_decided(&batch)
        }
    }

    /// Append events of this request; a checkpoint the append writes is posted in the
    /// background where the policy says.
    pub fn record(&mut self, events: &[NewEvent<'_>]) -> Result<()> {
        let appended = self.store.append(events)?;
        self.appended(appended);
        Ok(())
    }

    /// [`Request::record`] for events nobody waits on (see [`Store::append_decided`]).
    pub fn record_decided(&mut self, events: &[NewEvent<'_>]) -> Result<()> {
        let appended = self.store.append_decided(events)?;
        self.appended(appended);
        Ok(())
    }

    /// Record one event of this request.
    pub fn note(&mut self, kind: Kind, data: Value) -> Result<()> {
        let id = self.id.clone();
        self.record(&[NewEvent::new(&id, kind, data)])
    }

    fn appended(&self, appended: Appended) {
        if appended.checkpoint && has_destination(&self.policy) {
            post_in_background(self.options.policy.as_deref());
        }
        if self.in_fleet {
            crate::fleet::ship::ensure_shipper();
        }
    }

    /// Run the command (approved or allowed), from the sealed copy of a script gate read, and
    /// record how it ended. A command killed by a signal ends gate the same way
    /// ([`Exit::Killed`]), once that is recorded.
    pub fn run(&mut self) -> Result<Exit> {
        let mut timer = ui::Timer::start();
        // A shell script gate read runs from a sealed copy of the bytes it analysed.
        let seal = self.read.seal.as_ref();
        let sealed = match seal.map(sealed_argv).transpose() {
            Ok(s) => s,
            Err(message) => return self.failed_to_start(&message, Exit::CannotExecute),
        };
        let run_argv = match (&sealed, seal) {
            (Some((_, fd)), Some(seal)) => seal.argv(&self.argv, *fd),
            _ => self.argv.clone(),
        };
        let result = exec::run(&run_argv);
        drop(sealed);
        match result {
            Ok(outcome) => {
                let id = self.id.clone();
                let data = events::finished(outcome.exit_code, outcome.signal, outcome.duration);
                self.record_decided(&[NewEvent::new(&id, Kind::Finished, data)])?;
                timer.mark("ran and recorded finished");
                Ok(match (outcome.exit_code, outcome.signal) {
                    (None, Some(sig)) => Exit::Killed(sig),
                    _ => Exit::Child(outcome.status()),
                })
            }
            Err(e) => {
                let (exit, message) = match e {
                    SpawnError::NotFound(m) => (Exit::NotFound, m),
                    SpawnError::NotExecutable(m) => (Exit::CannotExecute, m),
                    SpawnError::Other(m) => (Exit::CannotExecute, m),
                };
                self.failed_to_start(&message, exit)
            }
        }
    }

    fn failed_to_start(&mut self, message: &str, exit: Exit) -> Result<Exit> {
        let id = self.id.clone();
        let data = events::error(message, exit.code() as i32);
        self.record_decided(&[NewEvent::new(&id, Kind::Error, data)])?;
        ui::error(message);
        Ok(exit)
    }
}

/// For a process that has not loaded the policy (a reader, a post-tool hook): post a
/// checkpoint that was written, if the policy (loaded only then) names somewhere to send it.
pub fn post_written(appended: Appended, policy_override: Option<PathBuf>) {
    if !appended.checkpoint {
        return;
    }
    // The protected install posts where its own layers say, never where a file the caller
    // names says (checkpoints are only hashes, but the caller chooses nothing it writes).
    let policy_override = if crate::protected::active() {
        None
    } else {
        policy_override
            .or_else(|| crate::env_vars::non_empty(crate::env_vars::GATE_POLICY).map(PathBuf::from))
    };
    if let Ok(policy) = prepare::load_policy(policy_override.clone())
        && has_destination(&policy)
    {
        post_in_background(policy_override.as_deref());
    }
}

/// A seal over the fleet's heads was given to this host: post it where checkpoints go, in the
/// background, when the policy names somewhere.
pub fn post_seals() {
    post_written(Appended { checkpoint: true }, None);
}

/// For a process that recorded events without loading the policy (the post-tool hook): in a
/// fleet (`GATE_FLEET`, or a ledger a shipper has shipped before), make sure a shipper runs.
pub fn ship_written() {
    let env =
        !crate::protected::active() && crate::env_vars::text(crate::env_vars::GATE_FLEET).is_some();
    if env || crate::fleet::ship::mark_path().is_ok_and(|p| p.exists()) {
        crate::fleet::ship::ensure_shipper();
    }
}

/// Whether the policy names somewhere to send checkpoints.
pub fn has_destination(policy: &Policy) -> bool {
    policy.slack.is_some() || policy.webhook.is_some()
}

/// Start `gate checkpoints post` in the background, detached from the terminal (its own
/// process group, so a Ctrl-C meant for the command does not stop it) with its output
/// discarded. Failing to start it loses nothing: the next one sends what this one would have.
pub fn post_in_background(policy_override: Option<&std::path::Path>) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["checkpoints", "post", "--quiet"]);
    if let Some(p) = policy_override {
        cmd.arg("--policy").arg(p);
    }
    use std::os::unix::process::CommandExt;
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    // Not waited for: it outlives gate, and init reaps it. (A thread waiting for it would
    // also be a thread a signal meant for gate could land on while gate runs a command.)
    drop(cmd.spawn());
}

/// The sealed copy of a script and its descriptor number.
#[cfg(target_os = "linux")]
fn sealed_argv(
    seal: &script_files::Seal,
) -> std::result::Result<(std::os::fd::OwnedFd, i32), String> {
    use std::os::fd::AsRawFd;
    let fd = script_files::sealed_fd(&seal.bytes)
        .map_err(|e| format!("cannot make a sealed copy of the script gate analysed: {e}"))?;
    let n = fd.as_raw_fd();
    Ok((fd, n))
}

/// No sealed memory files here: the script runs from its file.
#[cfg(not(target_os = "linux"))]
fn sealed_argv(_: &script_files::Seal) -> std::result::Result<((), i32), String> {
    Err(String::new())
}

/// The `decision` event's data for a verdict (what could not be seen, masked).
pub fn decision_event(verdict: &Verdict, redactor: &Redactor) -> Value {
    let opaque: Vec<(String, String)> = verdict
        .opaque
        .iter()
        .map(|o| (o.reason.clone(), redactor.text(&o.snippet)))
        .collect();
    events::decision(&events::DecisionData {
        decision: verdict.decision,
        risk: verdict.risk,
        rules: serde_json::to_value(&verdict.hits).unwrap_or_default(),
        opaque: &opaque,
    })
}

/// Request ids are base32 without 0/1/l/o: short, unambiguous, typable.
const ID_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";

/// A request id from the first 10 bytes of `bytes`.
pub fn id_from_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(10)
        .map(|b| ID_ALPHABET[(*b as usize) % 32] as char)
        .collect()
}

/// A new random request id: 10 characters.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 10];
    if crate::random::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mixed = nanos ^ ((std::process::id() as u128) << 64);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (mixed >> (i * 8)) as u8;
        }
    }
    id_from_bytes(&bytes)
}
