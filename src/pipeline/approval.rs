//! The third step of a request that asks: an earlier approval of the same command line reused,
//! or the channels the rule allows opened and asked (see [`crate::approve`]), every step
//! recorded.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::Request;
use crate::approve::local::Local;
use crate::approve::slack::Slack;
use crate::approve::terminal::{self, Terminal};
use crate::approve::webhook::Webhook;
use crate::approve::{self, Channel, Outcome, RuleLine, Terms};
use crate::decide::AskTerms;
use crate::error::{Error, Result};
use crate::ledger::{Kind, NewEvent, Store, events};

impl Request {
    /// Settle a request that asks: reuse an earlier approval if the rule allows it, else ask
    /// the channels and wait. Every vote and the verdict are recorded.
    pub fn approve(&mut self) -> Result<Outcome> {
        let mut terms = self.verdict.ask.clone().ok_or_else(|| {
            Error::Config(format!(
                "request {} asks for approval but has no approval terms (a bug: please report it)",
                self.id
            ))
        })?;
        if !self.read.files.is_empty() {
            // What the command runs is in files that may have changed since an earlier
            // approval of the same command line.
            terms.reuse = None;
        }
        if let Some(window) = terms.reuse
            && let Some((from, by)) = self.reusable(window)?
        {
            let id = self.id.clone();
            self.record(&[
                NewEvent::new(&id, Kind::Reused, events::reused(&from, &by)),
                NewEvent::new(
                    &id,
                    Kind::Verdict,
                    events::verdict(&events::Verdict::Reused {
                        by: &by,
                        from: &from,
                    }),
                ),
            ])?;
            return Ok(Outcome::Approved {
                by,
                channel: format!("an earlier approval ({from}, reused)"),
            });
        }
        self.ask_channels(&terms)
    }

    fn ask_channels(&mut self, terms: &AskTerms) -> Result<Outcome> {
        let reason_missing = self
            .options
            .reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty());
        if self.policy.defaults.require_reason && reason_missing {
            self.note(
                Kind::Verdict,
                events::verdict(&events::Verdict::DeniedByPolicy {
                    why: "no --reason given",
                }),
            )?;
            return Err(Error::Usage(format!(
                "`{}` needs approval and the policy requires a reason: run it again with --reason TEXT",
                self.display
            )));
        }
        let timeout = self.options.timeout.unwrap_or(terms.timeout);
        let mut channels = terms.channels.clone();
        if !self.options.channels.is_empty() {
            channels.retain(|c| self.options.channels.contains(c));
        }
        let (open, mut failures) = self.open_channels(&channels);
        let opened: Vec<&str> = open.iter().map(|c| c.name()).collect();
        if channels.is_empty() {
            failures.push(format!(
                "none of the requested channels ({}) is allowed for this rule ({})",
                self.options.channels.join(", "),
                terms.channels.join(", ")
            ));
        }
        let expires_at = self.store.now() + timeout;
        let data = serde_json::json!({
            "channels": channels,
            "open": opened,
            "unavailable": failures,
            "expires": humantime::format_rfc3339_millis(expires_at).to_string(),
            "quorum": terms.quorum,
            "approvers": terms.approver_sets,
        });
        self.note(Kind::ApprovalRequested, data)?;
        if open.is_empty() {
            self.note(
                Kind::Verdict,
                events::verdict(&events::Verdict::Unavailable {
                    failures: &failures,
                }),
            )?;
            return Ok(Outcome::Unavailable(failures));
        }
        for f in &failures {
            crate::ui::note(&format!("channel unavailable: {f}"));
        }
        let request = self.shown(expires_at, terms.quorum, &terms.approver_sets);
        let approval_terms = Terms {
            approver_sets: terms.approver_sets.clone(),
            quorum: terms.quorum,
            self_identities: self.self_identities(),
        };
        let mut record = |kind: Kind, data: Value| self.note(kind, data);
        approve::ask(request, open, &approval_terms, &mut record)
    }

    /// The channels among `names` that can be used here, and why the others cannot.
    fn open_channels(&self, names: &[String]) -> (Vec<Box<dyn Channel>>, Vec<String>) {
        let id = &self.id;
        let requester = &self.ctx.requester;
        let mut open: Vec<Box<dyn Channel>> = Vec::new();
        let mut failures = Vec::new();
        for name in names {
            match name.as_str() {
                "terminal" => match terminal::refusal(requester) {
                    Some(why) if names.iter().any(|c| c == "local") => failures.push(format!(
                        "terminal: {why}; approve it from another terminal: `gate approve {id}`"
                    )),
                    Some(why) => failures.push(format!(
                        "terminal: {why}; add \"local\" to `channels` to approve it from another terminal with `gate approve`, or configure [slack] or [webhook]"
                    )),
                    None => match Terminal::open(self.ctx.in_ci(), &requester.user) {
                        Ok(t) => open.push(Box::new(t)),
                        Err(e) => failures.push(format!("terminal: {e}")),
                    },
                },
                // In a fleet one wait serves `local` and `slack` (the fleet's relays hold the
                // Slack tokens): opened by the first of them named.
                "local" | "slack" if self.in_fleet => {
                    let fleet_channels: Vec<String> = names
                        .iter()
                        .filter(|c| *c == "local" || *c == "slack")
                        .cloned()
                        .collect();
                    if fleet_channels.first() != Some(name) {
                        continue;
                    }
                    match crate::fleet::config::target_of(&self.policy).and_then(|t| {
                        crate::approve::fleet::FleetChannel::open(t, fleet_channels.clone())
                    }) {
                        Ok(f) => open.push(Box::new(f)),
                        Err(e) => failures.push(format!("{}: the fleet: {e}", fleet_channels.join(", "))),
                    }
                }
                "local" => match self.store.reader() {
                    Ok(reader) => open.push(Box::new(Local::open(reader))),
                    Err(e) => failures.push(format!("local: cannot read the ledger: {e}")),
                },
                "slack" => match self.policy.slack.as_ref() {
                    Some(cfg) => match Slack::open(
                        cfg,
                        self.store.reader().ok(),
                        self.store.writer().ok(),
                    ) {
                        Ok(s) => open.push(Box::new(s)),
                        Err(e) => failures.push(format!("slack: {e}")),
                    },
                    None => failures.push("slack: [slack] is not configured".into()),
                },
                "webhook" => match self.policy.webhook.as_ref().map(Webhook::open) {
                    Some(Ok(w)) => open.push(Box::new(w)),
                    Some(Err(e)) => failures.push(format!("webhook: {e}")),
                    None => failures.push("webhook: [webhook] is not configured".into()),
                },
                other => failures.push(format!("{other}: unknown approval channel")),
            }
        }
        (open, failures)
    }

    /// What approvers are shown.
    fn shown(
        &self,
        expires_at: SystemTime,
        quorum: u32,
        approvers: &[Vec<String>],
    ) -> approve::Request {
        approve::Request {
            id: self.id.clone(),
            command: self.display.clone(),
            rules: self
                .verdict
                .deciding()
                .map(|h| RuleLine {
                    id: h.rule.clone(),
                    message: h.message.clone(),
                    risk: h.risk,
                })
                .collect(),
            opaque: self
                .verdict
                .opaque
                .iter()
                .map(|o| {
                    let snippet = self.redactor.text(&o.snippet);
                    format!("{}: {}", o.reason, crate::ui::printable(&snippet))
                })
                .collect(),
            risk: self.verdict.risk,
            requester: self.ctx.requester.clone(),
            cwd: self.ctx.cwd.clone(),
            reason: self
                .masked_reason()
                .map(|r| crate::ui::printable(&r).into_owned()),
            ci: self.ctx.ci.clone(),
            expires_at,
            quorum,
            approvers: approvers.to_vec(),
        }
    }

    /// The requester's identities on other channels: `[identity] slack = "U0REQ"` is the
    /// identity `slack:U0REQ`, the form votes arrive in.
    fn self_identities(&self) -> Vec<String> {
        self.policy
            .identity
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                if v.starts_with(&format!("{k}:")) {
                    v.clone()
                } else {
                    format!("{k}:{v}")
                }
            })
            .collect()
    }

    /// An earlier request with the same argv (keyed hash), cwd and requester that people
    /// approved within `window`: its id and approvers. Only original approvals count (not
    /// reuses), so a window cannot be stretched by chaining reuses, and only verdicts gate
    /// sealed, so an approval written into the ledger by hand is not one.
    fn reusable(&self, window: Duration) -> Result<Option<(String, Vec<String>)>> {
        let ledger: &dyn Store = &*self.store;
        let hmac = ledger.argv_hmac(&self.argv)?;
        let since = ledger
            .now()
            .checked_sub(window)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let filter = crate::ledger::query::Filter {
            since: Some(humantime::format_rfc3339_millis(since).to_string()),
            ..Default::default()
        };
        let since = filter.since.clone().unwrap_or_default();
        let mut found = None;
        let requester = serde_json::to_value(&self.ctx.requester).unwrap_or_default();
        ledger.query(&filter, true, usize::MAX, &mut |r| {
            if found.is_some()
                || r.decision != "ask"
                || r.argv_hmac.as_deref() != Some(hmac.as_str())
                || r.cwd != self.ctx.cwd
            {
                return;
            }
            let same = |k: &str| r.requester.get(k) == requester.get(k);
            if !(same("user") && same("agent") && same("host")) {
                return;
            }
            let Some(verdict) = &r.approval else {
                return;
            };
            let channel = verdict.data.get("channel").and_then(Value::as_str);
            if channel == Some("reuse")
                || verdict.time < since
                || !matches!(ledger.check_seal(verdict), Ok(Ok(())))
            {
                return;
            }
            let approvers: Vec<String> = verdict
                .data
                .get("by")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if !approvers.is_empty() {
                found = Some((r.id.clone(), approvers));
            }
        })?;
        Ok(found)
    }
}
