//! `gate checkpoints post`: send the ledger's checkpoints (the chain head every 32 events) to the
//! Slack channel and the webhook the policy configures, so that a copy lives where a person with
//! the requester's rights cannot rewrite it.
//!
//! gate starts this in the background (detached, output discarded) whenever a run writes a
//! checkpoint and a destination is configured; run by hand, it sends whatever is still unsent
//! and says so. What each destination has received is kept in `ledger.db.checkpoints.posted`
//! (`slack SEQ` / `webhook SEQ` lines, the newest seq sent), so nothing is sent twice and a
//! destination that was down catches up on the next run.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::prepare;
use crate::approve::{slack::Slack, webhook::Webhook};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{Store, checkpoint};
use crate::policy::Policy;

/// At most this many checkpoints go into one message (the newest ones; older unsent ones are
/// summarised by count).
const MAX_PER_MESSAGE: usize = 50;

fn read_posted(path: &Path) -> BTreeMap<String, i64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (dest, seq) = l.split_once(' ')?;
            Some((dest.to_string(), seq.trim().parse().ok()?))
        })
        .collect()
}

fn write_posted(path: &Path, posted: &BTreeMap<String, i64>) -> Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let text: String = posted.iter().map(|(d, s)| format!("{d} {s}\n")).collect();
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::ledger(path, e))
}

/// Sends a batch of checkpoints (and how many older unsent ones it leaves out); says where.
type Deliver<'a> = dyn Fn(&[(i64, Vec<u8>)], usize) -> std::result::Result<String, String> + 'a;

/// Whether the policy names somewhere to send checkpoints.
pub fn has_destination(policy: &Policy) -> bool {
    policy.slack.is_some() || policy.webhook.is_some()
}

/// When the policy names a destination, post every checkpoint `ledger` writes from now on
/// (`policy_override`: the `--policy` this gate was given, passed on to the poster).
pub fn post_checkpoints_from(
    ledger: &mut dyn Store,
    policy: &Policy,
    policy_override: Option<PathBuf>,
) {
    if has_destination(policy) {
        ledger.on_checkpoint(Box::new(move || {
            post_in_background(policy_override.as_deref())
        }));
    }
}

/// [`post_checkpoints_from`] for a process that has not loaded the policy (PostToolUse): it
/// is loaded only if a checkpoint is written, to see whether it goes anywhere.
pub fn post_checkpoints_lazily(ledger: &mut dyn Store, policy_override: Option<PathBuf>) {
    ledger.on_checkpoint(Box::new(move || {
        if let Ok(policy) = crate::commands::prepare::load_policy(policy_override.clone())
            && has_destination(&policy)
        {
            post_in_background(policy_override.as_deref());
        }
    }));
}

/// Start `gate checkpoints post` in the background, detached from the terminal (its own
/// process group, so a Ctrl-C meant for the command does not stop it) with its output
/// discarded. Failing to start it loses nothing: the next one sends what this one would have.
pub fn post_in_background(policy_override: Option<&Path>) {
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
    if let Ok(mut child) = cmd.spawn() {
        // Reap it if gate is still around when it ends; otherwise init does.
        std::thread::spawn(move || child.wait());
    }
}

/// How long `gate checkpoints post` waits for another poster to finish.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

pub fn post(policy_path: Option<PathBuf>, json: bool, quiet: bool) -> Result<Exit> {
    let policy = prepare::load_policy(policy_path)?;
    let ledger = crate::dirs::ledger_path().ok_or_else(|| {
        Error::Usage("cannot find the ledger: set HOME, XDG_DATA_HOME or GATE_LEDGER".into())
    })?;
    if !has_destination(&policy) {
        return Err(Error::Config(
            "no [slack] or [webhook] section in the policy: there is nowhere to post checkpoints"
                .into(),
        ));
    }
    // One poster at a time; a second one has nothing to add.
    let posted_file = crate::ledger::sibling(&ledger, ".checkpoints.posted");
    let lock_path = crate::ledger::sibling(&ledger, ".checkpoints.posted.lock");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| Error::ledger(&lock_path, e))?;
    // The background poster (`--quiet`) leaves it to the one already posting; asked by hand,
    // gate waits for that one to finish, then posts what is still unsent, so its answer is
    // about every checkpoint there is.
    let mut lock = lock;
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    let _guard = loop {
        match nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(g) => break g,
            Err((_, _)) if quiet => return Ok(Exit::Success),
            Err((back, _)) if std::time::Instant::now() < deadline => {
                lock = back;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(_) => {
                return Err(Error::Unavailable(format!(
                    "another gate has been posting checkpoints for {} s and still holds {}; nothing was sent: try again later",
                    LOCK_PATIENCE.as_secs(),
                    lock_path.display()
                )));
            }
        }
    };
    let all = checkpoint::read(&ledger)?;
    let mut posted = read_posted(&posted_file);
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into());
    let ledger_name = ledger.display().to_string();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut open_failures = Vec::new();

    let mut send = |dest: &str, deliver: &Deliver<'_>| {
        let last = posted.get(dest).copied().unwrap_or(0);
        let unsent: Vec<(i64, Vec<u8>)> = all.iter().filter(|(s, _)| *s > last).cloned().collect();
        if unsent.is_empty() {
            report.push(json!({"destination": dest, "sent": 0, "upto": last}));
            return;
        }
        let skipped = unsent.len().saturating_sub(MAX_PER_MESSAGE);
        let batch = &unsent[skipped..];
        match deliver(batch, skipped) {
            Ok(place) => {
                let upto = batch.last().map(|(s, _)| *s).unwrap_or(last);
                posted.insert(dest.to_string(), upto);
                report.push(
                    json!({"destination": dest, "to": place, "sent": batch.len(), "upto": upto}),
                );
            }
            Err(e) => failures.push(format!("{dest}: {e}")),
        }
    };

    if let Some(cfg) = &policy.slack {
        match Slack::open(cfg, None) {
            Ok(slack) => send("slack", &|batch, skipped| {
                let mut text = format!(
                    ":lock: gate ledger checkpoints from `{host}` (`{ledger_name}`): the chain head at these events. `gate verify` on that machine must agree with them."
                );
                if skipped > 0 {
                    text.push_str(&format!(
                        "\n({skipped} older checkpoints not repeated here)"
                    ));
                }
                for (seq, hash) in batch {
                    text.push_str(&format!("\n• event {seq}: `{}`", hex::encode(hash)));
                }
                slack.post_text(&text).map(|_| slack.channel().to_string())
            }),
            Err(e) => open_failures.push(format!("slack: {e}")),
        }
    }
    if let Some(cfg) = &policy.webhook {
        match Webhook::open(cfg) {
            Ok(hook) => send("webhook", &|batch, skipped| {
                let body = json!({
                    "kind": "checkpoints",
                    "host": host,
                    "ledger": ledger_name,
                    "skipped": skipped,
                    "checkpoints": batch.iter().map(|(seq, hash)| json!({
                        "seq": seq, "hash": hex::encode(hash),
                    })).collect::<Vec<_>>(),
                });
                hook.notify(&body).map(|_| hook.url().to_string())
            }),
            Err(e) => open_failures.push(format!("webhook: {e}")),
        }
    }
    failures.extend(open_failures);
    write_posted(&posted_file, &posted)?;

    if json {
        println!(
            "{}",
            json!({"posted": report, "failures": failures, "ok": failures.is_empty()})
        );
    } else if !quiet {
        for r in &report {
            let sent = r["sent"].as_u64().unwrap_or(0);
            if sent == 0 {
                println!(
                    "{}: nothing new to post (up to event {})",
                    r["destination"].as_str().unwrap_or(""),
                    r["upto"]
                );
            } else {
                println!(
                    "{}: posted {sent} checkpoint(s) to {} (up to event {})",
                    r["destination"].as_str().unwrap_or(""),
                    r["to"].as_str().unwrap_or(""),
                    r["upto"]
                );
            }
        }
    }
    if failures.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(Error::Unavailable(format!(
            "could not post checkpoints: {} (they stay in {} and are sent next time)",
            failures.join("; "),
            checkpoint::path(&ledger).display()
        )))
    }
}
