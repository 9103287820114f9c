//! `gate checkpoints post`: send the ledger's checkpoints (the chain head every 32 events) to the
//! Slack channel and the webhook the policy configures, so that a copy lives where a person with
//! the requester's rights cannot rewrite it.
//!
//! gate starts this in the background (detached, output discarded) whenever a run writes a
//! checkpoint and a destination is configured; run by hand, it sends whatever is still unsent
//! and says so. What each destination has received is kept in `ledger.db.checkpoints.posted`
//! (`slack SEQ` / `webhook SEQ` lines, the newest seq sent), so nothing is sent twice and a
//! destination that was down catches up on the next run.

use std::path::PathBuf;

use serde_json::json;

use crate::approve::{slack::Slack, webhook::Webhook};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::json::Posted;
use crate::ledger::store;
use crate::pipeline::has_destination;
use crate::pipeline::prepare;

/// At most this many checkpoints go into one message (the newest ones; older unsent ones are
/// summarised by count).
const MAX_PER_MESSAGE: usize = 50;

/// Sends a batch of checkpoints (and how many older unsent ones it leaves out); says where.
type Deliver<'a> = dyn Fn(&[(i64, Vec<u8>)], usize) -> std::result::Result<String, String> + 'a;

/// One kind of record posted: the ledger's checkpoints (the chain head at an event), or the
/// fleet's seals over all heads; numbered hashes either way.
struct Posting<'a> {
    /// After the destination's name in the posted file (`slack`, `slack-seals`).
    suffix: &'static str,
    items: &'a [(i64, Vec<u8>)],
    /// The Slack message's first line, each item's label, what the older ones left out are.
    intro: String,
    label: &'static str,
    older: &'static str,
    /// The webhook body's `kind`, the name of its list, and each item's number field.
    kind: &'static str,
    list: &'static str,
    key: &'static str,
}

impl Posting<'_> {
    fn slack_text(&self, batch: &[(i64, Vec<u8>)], skipped: usize) -> String {
        let mut text = self.intro.clone();
        if skipped > 0 {
            text.push_str(&format!(
                "\n({skipped} older {} not repeated here)",
                self.older
            ));
        }
        for (n, hash) in batch {
            text.push_str(&format!("\n• {} {n}: `{}`", self.label, hex::encode(hash)));
        }
        text
    }

    fn webhook_body(
        &self,
        host: &str,
        ledger: &str,
        batch: &[(i64, Vec<u8>)],
        skipped: usize,
    ) -> serde_json::Value {
        let items: Vec<serde_json::Value> = batch
            .iter()
            .map(|(n, hash)| json!({ (self.key): n, "hash": hex::encode(hash) }))
            .collect();
        json!({
            "kind": self.kind,
            "host": host,
            "ledger": ledger,
            "skipped": skipped,
            (self.list): items,
        })
    }
}

pub fn post(policy_path: Option<PathBuf>, json: bool, quiet: bool) -> Result<Exit> {
    let policy = prepare::load_policy(policy_path)?;
    if !has_destination(&policy) {
        return Err(Error::Config(
            "no [slack] or [webhook] section in the policy: there is nowhere to post checkpoints"
                .into(),
        ));
    }
    if !store::exists()? {
        // Nothing has run through gate yet: no checkpoint exists to post.
        if json {
            crate::json::print(&crate::json::CheckpointsPost {
                posted: Vec::new(),
                failures: Vec::new(),
                ok: true,
            });
        } else if !quiet {
            println!(
                "no ledger at {} yet: there is no checkpoint to post",
                store::location()?
            );
        }
        return Ok(Exit::Success);
    }
    let ledger = store::open(policy.sync)?;
    // One poster at a time; a second one has nothing to add. The background poster
    // (`--quiet`) leaves it to the one already posting; asked by hand, gate waits for that one
    // to finish, then posts what is still unsent, so its answer is about every checkpoint
    // there is.
    let Some(mut posted) = ledger.posting(!quiet)? else {
        return Ok(Exit::Success);
    };
    let all = ledger.checkpoints()?;
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into());
    let ledger_name = ledger.location();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut open_failures = Vec::new();

    // The checkpoints, and in a fleet the seals over all heads this host was given, go to the
    // same places; each is remembered apart (`slack`, `slack-seals`, …).
    let seals = crate::fleet::seal::kept();
    let checkpoints = Posting {
        suffix: "",
        items: &all,
        intro: format!(
            ":lock: gate ledger checkpoints from `{host}` (`{ledger_name}`): the chain head at these events. `gate verify` on that machine must agree with them."
        ),
        label: "event",
        older: "checkpoints",
        kind: "checkpoints",
        list: "checkpoints",
        key: "seq",
    };
    let fleet_seals = Posting {
        suffix: "-seals",
        items: &seals,
        intro: format!(
            ":lock: gate fleet seals over every stream's head, given to `{host}`: `gate verify --fleet` must agree with them."
        ),
        label: "seal",
        older: "seals",
        kind: "fleet_seals",
        list: "seals",
        key: "n",
    };
    let postings: Vec<&Posting<'_>> = [&fleet_seals, &checkpoints]
        .into_iter()
        .filter(|p| p.suffix.is_empty() || !p.items.is_empty())
        .collect();

    let mut send = |dest: &str, all: &[(i64, Vec<u8>)], deliver: &Deliver<'_>| {
        let last = posted.sent(dest);
        let unsent: Vec<(i64, Vec<u8>)> = all.iter().filter(|(s, _)| *s > last).cloned().collect();
        if unsent.is_empty() {
            report.push(Posted {
                destination: dest.into(),
                to: None,
                sent: 0,
                upto: last,
            });
            return;
        }
        let skipped = unsent.len().saturating_sub(MAX_PER_MESSAGE);
        let batch = &unsent[skipped..];
        match deliver(batch, skipped) {
            Ok(place) => {
                let upto = batch.last().map(|(s, _)| *s).unwrap_or(last);
                posted.set_sent(dest, upto);
                report.push(Posted {
                    destination: dest.into(),
                    to: Some(place),
                    sent: batch.len(),
                    upto,
                });
            }
            Err(e) => failures.push(format!("{dest}: {e}")),
        }
    };

    if let Some(cfg) = &policy.slack {
        match Slack::open(cfg, None, None) {
            Ok(slack) => {
                for p in &postings {
                    send(&format!("slack{}", p.suffix), p.items, &|batch, skipped| {
                        slack
                            .post_text(&p.slack_text(batch, skipped))
                            .map(|_| slack.channel().to_string())
                    });
                }
            }
            Err(e) => open_failures.push(format!("slack: {e}")),
        }
    }
    if let Some(cfg) = &policy.webhook {
        match Webhook::open(cfg) {
            Ok(hook) => {
                for p in &postings {
                    send(
                        &format!("webhook{}", p.suffix),
                        p.items,
                        &|batch, skipped| {
                            hook.notify(&p.webhook_body(&host, &ledger_name, batch, skipped))
                                .map(|_| hook.url().to_string())
                        },
                    );
                }
            }
            Err(e) => open_failures.push(format!("webhook: {e}")),
        }
    }
    failures.extend(open_failures);
    posted.save()?;

    if json {
        crate::json::print(&crate::json::CheckpointsPost {
            posted: report,
            failures: failures.clone(),
            ok: failures.is_empty(),
        });
    } else if !quiet {
        for r in &report {
            match &r.to {
                Some(to) if r.sent > 0 => println!(
                    "{}: posted {} checkpoint(s) to {to} (up to event {})",
                    r.destination, r.sent, r.upto
                ),
                _ => println!(
                    "{}: nothing new to post (up to event {})",
                    r.destination, r.upto
                ),
            }
        }
    }
    if failures.is_empty() {
        return Ok(Exit::Success);
    }
    let e = Error::Unavailable(format!(
        "could not post checkpoints: {} (they stay beside the ledger, {}, and are sent next time)",
        failures.join("; "),
        ledger.location()
    ));
    if json {
        // The report says what failed: it is the one JSON object printed.
        crate::ui::error(&e.to_string());
        return Ok(e.exit());
    }
    Err(e)
}
