//! `gate doctor [--json]`: one screen that says whether gate can protect this user right now.
//!
//! Each line is a [`Check`]: ok, warn or fail, with what was seen and, when something is off,
//! what to do. The sections: gate itself, the policy, the ledger, the PATH shims, Slack and the
//! webhook (when configured), the environment (CI, an agent above this process) and the
//! agents' hook registrations. Exit 0 when nothing fails, 1 when something does.
//!
//! The checks that use the network run in threads of their own, started first, each request
//! with a short timeout; whatever has not answered by [`NETWORK_DEADLINE`] fails as "no
//! answer", so a blackholed Slack or webhook cannot hold the doctor up.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use crate::approve::slack::{self, Probe, Slack};
use crate::approve::webhook;
use crate::commands::rules::Lint;
use crate::commands::shim;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::store::{self, Summary};
use crate::pipeline::prepare;
use crate::policy::{self, Policy, SlackConfig, SlackMode, SyncMode, WebhookConfig};

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Check {
    pub section: &'static str,
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to do about it (`null` in JSON when nothing).
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Check {
    fn new(section: &'static str, name: impl Into<String>, status: Status, detail: String) -> Self {
        Check {
            section,
            name: name.into(),
            status,
            detail,
            fix: None,
        }
    }

    pub fn ok(section: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(section, name, Status::Ok, detail.into())
    }

    pub fn warn(section: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(section, name, Status::Warn, detail.into())
    }

    pub fn fail(section: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(section, name, Status::Fail, detail.into())
    }

    /// What to do about it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The sections, in the order they are shown; a section not named here comes after them.
const SECTIONS: &[&str] = &[
    "gate",
    "policy",
    "ledger",
    "shims",
    "slack",
    "webhook",
    "environment",
    "agents",
];

/// When the network checks must have answered, counted from the start, so that the whole
/// doctor answers within 3 s.
const NETWORK_DEADLINE: Duration = Duration::from_millis(2500);
/// Each network request gives up after this long, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// A ledger of up to this many events (about 50,000 requests) is verified whole, which takes
/// a fraction of a second; a larger one only its newest [`VERIFY_RECENT`] events.
const VERIFY_WHOLE_UP_TO: i64 = 200_000;
const VERIFY_RECENT: u64 = 1_000;

pub fn doctor(as_json: bool, policy_override: Option<PathBuf>) -> Result<Exit> {
    let started = Instant::now();
    let loaded = prepare::load_policy_quietly(policy_override.clone());
    let policy = loaded.as_ref().ok().map(|(p, _)| p);
    // First, so that they wait while the rest is checked.
    let mut network = Network::default();
    if let Some(p) = policy {
        if let Some(cfg) = &p.slack {
            slack_checks(cfg, &mut network);
        }
        if let Some(cfg) = &p.webhook {
            webhook_checks(cfg, &mut network);
        }
    }
    let mut checks = gate_checks();
    checks.extend(policy_checks(&loaded, policy_override.as_deref()));
    checks.extend(ledger_checks(policy.map(|p| p.sync), policy_override));
    checks.extend(shim_checks());
    checks.extend(environment_checks(policy));
    checks.extend(agent_checks());
    checks.extend(network.finish(started + NETWORK_DEADLINE));
    let rank = |c: &Check| {
        SECTIONS
            .iter()
            .position(|s| *s == c.section)
            .unwrap_or(SECTIONS.len())
    };
    checks.sort_by_key(rank);
    let ok = !checks.iter().any(|c| c.status == Status::Fail);
    if as_json {
        crate::json::print(&report(ok, &checks));
    } else {
        print_human(&checks);
    }
    Ok(if ok { Exit::Success } else { Exit::Failure })
}

/// The `--json` report.
fn report(ok: bool, checks: &[Check]) -> crate::json::Doctor {
    use crate::json::{DoctorCheck, DoctorStatus};
    crate::json::Doctor {
        ok,
        checks: checks
            .iter()
            .map(|c| DoctorCheck {
                section: c.section.to_string(),
                name: c.name.clone(),
                status: match c.status {
                    Status::Ok => DoctorStatus::Ok,
                    Status::Warn => DoctorStatus::Warn,
                    Status::Fail => DoctorStatus::Fail,
                },
                detail: c.detail.clone(),
                fix: c.fix.clone(),
            })
            .collect(),
    }
}

// ---- agents ----

/// The agents' hook registrations (Claude Code, Codex, Gemini CLI): whether each agent found
/// on this machine sends its commands through gate. They come from
/// `crate::hook::install::doctor_checks()`, section `agents`.
/// For each agent found here: gate's hooks registered for every event, pointing at a gate
/// that exists, and (Codex) trusted (see `hook::install`).
fn agent_checks() -> Vec<Check> {
    crate::hook::install::doctor_checks()
        .into_iter()
        .map(|c| Check {
            section: "agents",
            name: c.name,
            status: match c.status {
                "ok" => Status::Ok,
                "warn" => Status::Warn,
                _ => Status::Fail,
            },
            detail: c.detail,
            fix: c.fix,
        })
        .collect()
}

fn print_human(checks: &[Check]) {
    use colored::Colorize;
    let paint = crate::ui::Paint::stdout();
    let mut section = "";
    for c in checks {
        if c.section != section {
            if !section.is_empty() {
                println!();
            }
            section = c.section;
            println!("{}", paint.paint(section, |s| s.bold()));
        }
        let word = match c.status {
            Status::Ok => paint.paint("ok  ", |s| s.green()),
            Status::Warn => paint.paint("warn", |s| s.yellow()),
            Status::Fail => paint.paint("FAIL", |s| s.red().bold()),
        };
        println!("  {word}  {}: {}", c.name, c.detail);
        if let Some(fix) = &c.fix {
            println!("        fix: {fix}");
        }
    }
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let (fails, warns) = (count(Status::Fail), count(Status::Warn));
    let warnings = match warns {
        0 => String::new(),
        1 => ", 1 warning".into(),
        n => format!(", {n} warnings"),
    };
    println!();
    if fails == 0 {
        println!(
            "{} gate can protect you here ({} checks{warnings})",
            paint.paint("ok:", |s| s.green().bold()),
            checks.len()
        );
    } else {
        println!(
            "{} {fails} of {} checks fail{warnings}",
            paint.paint("FAIL:", |s| s.red().bold()),
            checks.len()
        );
    }
}

// ---- gate itself ----

fn gate_checks() -> Vec<Check> {
    const S: &str = "gate";
    let me = std::env::current_exe().ok();
    let me_canonical = me.as_ref().and_then(|p| std::fs::canonicalize(p).ok());
    let me_shown = me
        .as_ref()
        .map_or_else(|| "?".into(), |p| p.display().to_string());
    let binary = match crate::context::find_on_path("gate") {
        None => Check::warn(S, "binary", format!("no `gate` on PATH (this one is {me_shown})"))
            .fix("put gate's directory on PATH (./install.sh installs it in ~/.local/bin): agent hooks run `gate` by name"),
        Some(found) => {
            let canonical = std::fs::canonicalize(&found).ok();
            if canonical.is_some() && canonical == me_canonical {
                Check::ok(S, "binary", format!("{}: this gate", found.display()))
            } else {
                Check::warn(
                    S,
                    "binary",
                    format!(
                        "`gate` on PATH is {}, not this one ({me_shown})",
                        found.display()
                    ),
                )
                .fix("hooks and scripts that run `gate` get the one on PATH: reinstall it, or put this gate's directory first on PATH")
            }
        }
    };
    let install = match crate::protected::get() {
        // A broken protected install never gets this far: gate refused at start (exit 74).
        Some(i) => Check::ok(
            S,
            "install",
            format!(
                "protected: setgid gate, the shared ledger in {} and the system policy {} (checked at start)",
                i.state_dir.display(),
                i.system_policy().display()
            ),
        ),
        None => Check::ok(
            S,
            "install",
            "per-user: the ledger and policy are yours (programs you run can change them; see the README's protected install)",
        ),
    };
    vec![
        binary,
        Check::ok(S, "version", format!("gate {}", env!("CARGO_PKG_VERSION"))),
        install,
    ]
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

// ---- the policy ----

fn policy_checks(
    loaded: &Result<(Policy, Vec<String>)>,
    override_path: Option<&Path>,
) -> Vec<Check> {
    const S: &str = "policy";
    let invalid = "gate refuses to run anything until it is fixed (exit 78); `gate rules lint` checks it again";
    let (policy, warnings) = match loaded {
        Ok(loaded) => loaded,
        Err(Error::Policy(problems)) => {
            return problems
                .0
                .iter()
                .map(|p| {
                    Check::fail(S, "invalid", format!("{}: {}", p.origin, p.message)).fix(invalid)
                })
                .collect();
        }
        Err(e) => return vec![Check::fail(S, "invalid", e.to_string()).fix(invalid)],
    };
    let mut checks: Vec<Check> = warnings
        .iter()
        .map(|w| {
            Check::warn(S, "system policy", w.clone()).fix(format!(
                "make {} owned by root and writable by nobody else, or remove it",
                policy::system_policy()
            ))
        })
        .collect();
    for (source, digest) in policy.sources.iter().zip(&policy.layer_digests) {
        checks.push(layer_check(source, digest, override_path));
    }
    checks.push(Check::ok(
        S,
        "digest",
        format!(
            "{} (the SHA-256 of the layers' SHA-256 lines; recorded with every request)",
            policy.digest
        ),
    ));
    let mut whole = policy.clone();
    if let Err(problems) = whole.load_every_pack() {
        checks.extend(
            problems.0.iter().map(|p| {
                Check::fail(S, "packs", format!("{}: {}", p.origin, p.message)).fix(invalid)
            }),
        );
        return checks;
    }
    checks.push(if whole.packs.is_empty() {
        Check::warn(S, "packs", "none on: only the policy's own rules apply").fix(
            "add `packs = [\"all\"]` (or the packs you want) to the policy; `gate init` shows them",
        )
    } else {
        Check::ok(
            S,
            "packs",
            format!("{} on: {}", whole.packs.len(), whole.packs.join(", ")),
        )
    });
    for d in &whole.disables {
        checks.push(disable_check(d));
    }
    let from_packs = whole
        .rules
        .iter()
        .filter(|r| r.origin.file.starts_with("pack:"))
        .count();
    checks.push(Check::ok(
        S,
        "rules",
        format!(
            "{} rules ({from_packs} from packs, {} of the policy's own)",
            whole.rules.len(),
            whole.rules.len() - from_packs
        ),
    ));
    let d = &whole.defaults;
    checks.push(Check::ok(
        S,
        "defaults",
        format!(
            "decision = {}, opaque = {}, timeout {}, channels: {}",
            d.decision,
            d.opaque,
            humantime::format_duration(d.timeout),
            d.channels.join(", ")
        ),
    ));
    let lint = Lint::of(&whole);
    let failing = "`gate rules lint` fails (exit 78) until it is fixed";
    for p in &lint.problems {
        checks.push(Check::fail(S, "lint", format!("{}: {}", p.origin, p.message)).fix(failing));
    }
    for f in &lint.failures {
        checks.push(
            Check::fail(S, "inline test", format!("{}: {}", f.origin, f.message)).fix(
                "the rule does not behave as its tests say: fix the rule or the test (`gate rules test`)",
            ),
        );
    }
    if lint.problems.is_empty() && lint.failures.is_empty() {
        checks.push(Check::ok(
            S,
            "lint",
            format!("{} inline tests pass", lint.passed),
        ));
    }
    if !whole.protect_except.is_empty() {
        checks.push(
            Check::warn(
                S,
                "protections",
                format!(
                    "the system policy turns off these built-in protections: {}",
                    whole.protect_except.join(", ")
                ),
            )
            .fix("agents can change what those protections cover; remove them from [protect] except unless that is meant"),
        );
    }
    checks
}

/// One layer of the policy in force: which file, and the SHA-256 of the bytes gate loaded (to
/// compare machines; with one layer it is the digest each request records).
fn layer_check(source: &str, digest: &str, override_path: Option<&Path>) -> Check {
    const S: &str = "policy";
    if source.starts_with('(') {
        return Check::ok(
            S,
            "built-in policy",
            format!(
                "no policy file, so the built-in default (sha256 {digest}); `gate init` writes it out to edit"
            ),
        );
    }
    let path = Path::new(source);
    let name = if source == policy::system_policy() {
        "system policy"
    } else if override_path.is_some_and(|o| o == path) {
        "policy (--policy, GATE_POLICY)"
    } else {
        "user policy"
    };
    Check::ok(S, name, format!("{source} (sha256 {digest})"))
}

/// One `[packs] disable` entry and what it does.
fn disable_check(d: &policy::Disable) -> Check {
    const S: &str = "policy";
    let what = format!("{} (pack {}) at {}", d.id, d.pack, d.by);
    match &d.state {
        policy::DisableState::Off => Check::ok(S, "disabled", format!("{what}: off")),
        policy::DisableState::KeptBy(layer) => Check::warn(
            S,
            "disabled",
            format!("{what}: stays on, {layer} enables pack {} and keeps it", d.pack),
        )
        .fix("only the layers that enable a pack can switch its rules off: remove the entry, or change the other layer"),
        policy::DisableState::PackOff => Check::warn(
            S,
            "disabled",
            format!("{what}: nothing to switch off, pack {} is not enabled", d.pack),
        )
        .fix("remove the entry"),
    }
}

// ---- the ledger ----

fn ledger_checks(sync: Option<SyncMode>, policy_override: Option<PathBuf>) -> Vec<Check> {
    const S: &str = "ledger";
    let location = match store::location() {
        Ok(l) => l,
        Err(e) => return vec![Check::fail(S, "path", e.to_string())],
    };
    match store::exists() {
        Ok(true) => {}
        Ok(false) => {
            return vec![
                Check::warn(
                    S,
                    "path",
                    format!("no ledger at {location} yet: nothing has run through gate yet"),
                )
                .fix("gate creates it with the first command it runs (`gate -- true`)"),
            ];
        }
        Err(e) => return vec![Check::fail(S, "path", e.to_string())],
    }
    // As `gate verify` does: what waits in the intake is checked against the ledger and
    // chained first.
    let mut ledger = match store::open_audit() {
        Ok(l) => l,
        Err(e) => {
            return vec![Check::fail(S, "open", e.to_string()).fix(
                "every command gate would run fails until the ledger can be opened (exit 74)",
            )];
        }
    };
    crate::pipeline::post_written(ledger.take_written(), policy_override);
    let summary = match ledger.summary() {
        Ok(s) => s,
        Err(e) => return vec![Check::fail(S, "open", e.to_string())],
    };
    let mut checks = vec![path_check(&location, &summary)];
    if !summary.writable {
        checks.push(
            Check::fail(
                S,
                "writable",
                "the database cannot be written: every command gate would run fails (exit 74)",
            )
            .fix(format!("give its owner write access: chmod u+w {location}")),
        );
    }
    checks.push(Check::ok(S, "size", size(summary.bytes)));
    checks.push(Check::ok(S, "wal", size(summary.wal_bytes)));
    checks.push(match &summary.last {
        Some(last) => Check::ok(
            S,
            "events",
            format!(
                "{} events; the last, #{}, `{}` at {}{}",
                summary.events,
                last.seq,
                last.kind,
                last.time,
                age(&last.time)
            ),
        ),
        None => Check::ok(S, "events", "none yet"),
    });
    checks.extend(chain_checks(&*ledger, summary.events));
    checks.push(intake_check(&summary));
    checks.push(sync_check(sync, &summary));
    checks
}

fn path_check(location: &str, summary: &Summary) -> Check {
    const S: &str = "ledger";
    if summary.mode & 0o077 != 0 {
        Check::warn(
            S,
            "path",
            format!("{location}: mode {:04o}, others may read it", summary.mode),
        )
        .fix(format!("chmod 600 {location}"))
    } else {
        Check::ok(S, "path", location)
    }
}

fn chain_checks(ledger: &dyn store::Store, events: i64) -> Vec<Check> {
    const S: &str = "ledger";
    let (report, scope) = if events <= VERIFY_WHOLE_UP_TO {
        (ledger.verify(), format!("all {events} events"))
    } else {
        (
            ledger.verify_recent(VERIFY_RECENT),
            format!(
                "the newest {VERIFY_RECENT} of {events} events (`gate verify` checks them all)"
            ),
        )
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => return vec![Check::fail(S, "chain", e.to_string())],
    };
    let mut checks = Vec::new();
    match &report.first_broken {
        Some(b) => {
            let request = if b.request.is_empty() {
                String::new()
            } else {
                format!(" (request {})", b.request)
            };
            checks.push(
                Check::fail(
                    S,
                    "chain",
                    format!("breaks at event #{}{request}: {}", b.seq, b.problem),
                )
                .fix("keep a copy of the ledger and its checkpoints for the audit and find out who changed it; `gate verify` names the break too"),
            );
        }
        None => checks.push(Check::ok(S, "chain", format!("intact: {scope}"))),
    }
    if report.seals_unchecked > 0 {
        checks.push(
            Check::warn(
                S,
                "seals",
                format!(
                    "{} votes and verdicts were not checked: their seals need the ledger key, {}, which cannot be read",
                    report.seals_unchecked,
                    report.key.as_deref().unwrap_or("?")
                ),
            )
            .fix("run gate doctor as the ledger's owner"),
        );
    }
    checks
}

fn intake_check(summary: &Summary) -> Check {
    const S: &str = "ledger";
    if let Some(why) = &summary.intake_blocked {
        return Check::fail(
            S,
            "intake",
            format!("a writer could not open the ledger with decisions waiting in the intake, so hooks open the ledger themselves and fail: {why}"),
        )
        .fix("make the ledger usable again; the first writer that opens it chains the intake");
    }
    if summary.intake_waiting > 0 {
        return Check::warn(
            S,
            "intake",
            format!(
                "{} of decisions wait in the intake and could not be chained into the ledger",
                size(summary.intake_waiting)
            ),
        )
        .fix("run gate doctor (or `gate log`) as the ledger's owner to chain them");
    }
    if summary.intake_found > 0 {
        Check::ok(
            S,
            "intake",
            format!(
                "{} of decisions were waiting; chained into the ledger now",
                size(summary.intake_found)
            ),
        )
    } else {
        Check::ok(S, "intake", "nothing waiting")
    }
}

fn sync_check(sync: Option<SyncMode>, summary: &Summary) -> Check {
    const S: &str = "ledger";
    if !summary.journal_mode.eq_ignore_ascii_case("wal") {
        return Check::warn(
            S,
            "sync",
            format!(
                "the database's journal mode is {}, not WAL",
                summary.journal_mode
            ),
        )
        .fix("the next gate that writes switches it to WAL; if it stays, the file system may not support WAL (a network share?)");
    }
    let detail = match sync {
        Some(SyncMode::Normal) => {
            "normal: WAL, synchronous=NORMAL (a commit survives gate being killed; a power loss may lose the last ones)"
        }
        Some(SyncMode::Full) => "full: WAL, every commit fsynced (survives a power loss)",
        None => "WAL (the policy does not load, so the sync setting is unknown)",
    };
    Check::ok(S, "sync", detail)
}

fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < KIB * KIB {
        format!("{:.1} KiB ({bytes} bytes)", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB ({bytes} bytes)", b / KIB / KIB)
    } else {
        format!("{:.1} GiB ({bytes} bytes)", b / KIB / KIB / KIB)
    }
}

/// ` (5m ago)` for an RFC 3339 time, or nothing.
fn age(time: &str) -> String {
    humantime::parse_rfc3339(time)
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| {
            format!(
                " ({} ago)",
                humantime::format_duration(Duration::from_secs(d.as_secs()))
            )
        })
        .unwrap_or_default()
}

// ---- shims ----

fn shim_checks() -> Vec<Check> {
    const S: &str = "shims";
    let dir = match shim::shim_dir() {
        Ok(d) => d,
        Err(e) => return vec![Check::warn(S, "directory", e.to_string())],
    };
    let shims = shim::installed(&dir);
    if shims.is_empty() {
        return vec![Check::ok(
            S,
            "directory",
            format!("no shims in {}", dir.display()),
        )];
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let shim_dir = canonical(&dir);
    let shim_at = path_dirs.iter().position(|d| canonical(d) == shim_dir);
    let names: Vec<String> = shims
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut checks = vec![match shim_at {
        Some(_) => Check::ok(
            S,
            "directory",
            format!("{} on PATH: {}", dir.display(), names.join(", ")),
        ),
        None => Check::warn(
            S,
            "directory",
            format!(
                "{} holds shims for {} but is not on PATH: they run without gate",
                dir.display(),
                names.join(", ")
            ),
        )
        .fix(format!(
            "export PATH=\"{}:$PATH\" in your shell's profile",
            dir.display()
        )),
    }];
    for (path, name) in shims.iter().zip(&names) {
        if let Some(gate) = shim::shim_gate(path)
            && !is_executable(&gate)
        {
            checks.push(
                Check::fail(
                    S,
                    name.clone(),
                    format!(
                        "the shim runs {}, which is gone: `{name}` cannot run at all",
                        gate.display()
                    ),
                )
                .fix(format!("gate shim install {name}")),
            );
            continue;
        }
        let Some(shim_at) = shim_at else {
            continue;
        };
        let real = shim::resolve_real(name, &dir);
        let real_at = real
            .as_ref()
            .and_then(|r| path_dirs.iter().position(|d| d.join(name) == *r));
        checks.push(match (real, real_at) {
            (None, _) => Check::warn(
                S,
                name.clone(),
                format!("no `{name}` on PATH besides the shim"),
            )
            .fix(format!("install {name}, or `gate shim remove {name}`")),
            (Some(real), Some(at)) if at < shim_at => Check::warn(
                S,
                name.clone(),
                format!(
                    "{} comes before the shim directory on PATH: `{name}` runs without gate",
                    real.display()
                ),
            )
            .fix(format!(
                "put {} first on PATH: export PATH=\"{}:$PATH\"",
                dir.display(),
                dir.display()
            )),
            (Some(real), _) => Check::ok(
                S,
                name.clone(),
                format!("through gate to {}", real.display()),
            ),
        });
    }
    checks
}

// ---- Slack and the webhook ----

fn slack_checks(cfg: &SlackConfig, net: &mut Network) {
    const S: &str = "slack";
    let token = slack::bot_token(cfg);
    net.done(match &token {
        Ok(_) => Check::ok(S, "token", format!("${} is set", cfg.token_env)),
        Err(e) => Check::fail(S, "token", e.clone())
            .fix("without it no approval request reaches Slack (the channel fails, exit 69 if it was the only one)"),
    });
    if cfg.mode == SlackMode::Socket {
        net.done(match slack::app_token(cfg) {
            Ok(_) => Check::ok(
                S,
                "app token",
                format!("${} is set (socket mode)", cfg.app_token_env),
            ),
            Err(e) => Check::fail(S, "app token", e)
                .fix("socket mode cannot open its connection without it"),
        });
    }
    if token.is_err() {
        return;
    }
    let probe = |what: fn(&Slack) -> Probe| {
        let cfg = cfg.clone();
        move || match Slack::probe(&cfg, REQUEST_TIMEOUT) {
            Ok(s) => what(&s),
            Err(e) => Probe::Broken(e, None),
        }
    };
    net.spawn(S, "auth.test", probe(Slack::probe_auth));
    net.spawn(S, "channel", probe(Slack::probe_channel));
}

fn webhook_checks(cfg: &WebhookConfig, net: &mut Network) {
    const S: &str = "webhook";
    net.done(match webhook::secret(cfg) {
        Ok(_) => Check::ok(S, "secret", format!("${} is set", cfg.secret_env)),
        Err(e) => Check::fail(S, "secret", e)
            .fix("gate does not send unsigned requests: the webhook channel fails without it"),
    });
    let cfg = cfg.clone();
    net.spawn(S, "reachable", move || {
        match webhook::probe(&cfg, REQUEST_TIMEOUT) {
            Ok(seen) => Probe::Fine(seen),
            Err(e) => Probe::Broken(
                e,
                Some("check [webhook] url, the network and any proxy in between".into()),
            ),
        }
    });
}

/// The checks, in order, some of them still running in threads of their own.
#[derive(Default)]
struct Network {
    slots: Vec<Slot>,
}

enum Slot {
    Done(Check),
    Waiting {
        section: &'static str,
        name: &'static str,
        answer: Receiver<Probe>,
    },
}

impl Network {
    fn done(&mut self, check: Check) {
        self.slots.push(Slot::Done(check));
    }

    fn spawn(
        &mut self,
        section: &'static str,
        name: &'static str,
        look: impl FnOnce() -> Probe + Send + 'static,
    ) {
        let (tx, answer) = mpsc::channel();
        let started = std::thread::Builder::new()
            .name(format!("doctor {section} {name}"))
            .spawn(move || {
                let _ = tx.send(look());
            });
        self.slots.push(match started {
            Ok(_) => Slot::Waiting {
                section,
                name,
                answer,
            },
            Err(e) => Slot::Done(Check::fail(
                section,
                name,
                format!("cannot start the check: {e}"),
            )),
        });
    }

    /// Every answer that came by `deadline`; what did not come is a failure. The threads that
    /// are still waiting are left behind: the process ends with them.
    fn finish(self, deadline: Instant) -> Vec<Check> {
        self.slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(c) => c,
                Slot::Waiting {
                    section,
                    name,
                    answer,
                } => match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(Probe::Fine(seen)) => Check::ok(section, name, seen),
                    Ok(Probe::Caveat(what, fix)) => Check::warn(section, name, what).fix(fix),
                    Ok(Probe::Broken(why, fix)) => {
                        let c = Check::fail(section, name, why);
                        match fix {
                            Some(f) => c.fix(f),
                            None => c,
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => Check::fail(
                        section,
                        name,
                        format!(
                            "no answer within {} s",
                            NETWORK_DEADLINE.as_secs_f64()
                        ),
                    )
                    .fix("check the network, any firewall or proxy in between, and the URL in the policy"),
                    Err(RecvTimeoutError::Disconnected) => {
                        Check::fail(section, name, "the check stopped without an answer")
                    }
                },
            })
            .collect()
    }
}

// ---- the environment ----

fn environment_checks(policy: Option<&Policy>) -> Vec<Check> {
    const S: &str = "environment";
    let ctx = Context::detect(None);
    let mut checks = vec![match &ctx.ci {
        Some(ci) => Check::ok(
            S,
            "ci",
            format!(
                "in CI: {}{}",
                if ci.provider == "ci" {
                    "CI=true, provider unknown"
                } else {
                    &ci.provider
                },
                ci.job_url
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            ),
        ),
        None => Check::ok(S, "ci", "not in CI"),
    }];
    let agent = ctx.requester.agent.as_deref();
    checks.push(match (agent, &ctx.requester.agent_process) {
        (None, _) => Check::ok(S, "agent", "none detected: gate takes requests from here for a person's"),
        (Some(name), process) => Check::warn(
            S,
            "agent",
            format!(
                "an agent's environment was detected ({}): gate takes requests from here for the agent's, never asks about them on this terminal, and refuses `gate approve` from here",
                process.as_ref().map_or_else(|| name.to_string(), |p| p.describe())
            ),
        )
        .fix("to approve, or to see what a person's terminal gets, run gate from a terminal of your own, outside the agent"),
    });
    if let Some(policy) = policy {
        let in_ci = ctx.in_ci();
        let usable: Vec<&str> = policy
            .defaults
            .channels
            .iter()
            .map(String::as_str)
            .filter(|c| match *c {
                "terminal" => !in_ci && agent.is_none(),
                "local" => !in_ci,
                _ => true,
            })
            .collect();
        let channels = policy.defaults.channels.join(", ");
        checks.push(if usable.is_empty() {
            let who = if in_ci { "CI" } else { "an agent" };
            Check::warn(
                S,
                "approval",
                format!("[defaults] channels ({channels}) cannot reach a person from {who}: a command that asks exits 69"),
            )
            .fix(if in_ci {
                "add `slack` or `webhook` to [defaults] channels"
            } else {
                "add `local` (`gate approve` from another terminal), `slack` or `webhook` to [defaults] channels"
            })
        } else {
            Check::ok(S, "approval", format!("asks go to {}", usable.join(", ")))
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_that_does_not_answer_by_the_deadline_fails_and_is_not_waited_for() {
        let mut net = Network::default();
        net.done(Check::ok("slack", "token", "set"));
        net.spawn("slack", "auth.test", || {
            std::thread::sleep(Duration::from_secs(10));
            Probe::Fine("too late".into())
        });
        net.spawn("webhook", "reachable", || {
            Probe::Caveat("odd".into(), "look at it".into())
        });
        net.spawn("webhook", "other", || {
            Probe::Broken("down".into(), Some("bring it up".into()))
        });
        let start = Instant::now();
        let checks = net.finish(Instant::now() + Duration::from_millis(200));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        let seen: Vec<(&str, Status, Option<&str>)> = checks
            .iter()
            .map(|c| (c.name.as_str(), c.status, c.fix.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("token", Status::Ok, None),
                ("auth.test", Status::Fail, checks[1].fix.as_deref()),
                ("reachable", Status::Warn, Some("look at it")),
                ("other", Status::Fail, Some("bring it up")),
            ]
        );
        assert_eq!(checks[1].detail, "no answer within 2.5 s");
        assert!(checks[1].fix.is_some());
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(2048), "2.0 KiB (2048 bytes)");
        assert_eq!(size(3 << 20), "3.0 MiB (3145728 bytes)");
    }

    #[test]
    fn checks_serialize_as_the_readme_says() {
        let c = Check::warn("ledger", "path", "no ledger yet").fix("run something");
        assert_eq!(
            crate::json::line(&report(false, &[c])),
            r#"{"schema":"gate.doctor/1","ok":false,"checks":[{"section":"ledger","name":"path","status":"warn","detail":"no ledger yet","fix":"run something"}]}"#
        );
        let c = Check::ok("gate", "version", "gate 1");
        let v: serde_json::Value =
            serde_json::from_str(&crate::json::line(&report(true, &[c]))).unwrap();
        assert_eq!(v["checks"][0]["fix"], serde_json::Value::Null);
    }
}
