//! `gate show ID`: one request, what was asked and decided, then its events as a timeline in
//! words (`--json`: the record and its raw events).

use std::time::{Duration, SystemTime};

use colored::Colorize;
use serde_json::Value;

use super::log::{one_line, open, signal_name};
use crate::error::Result;
use crate::exit::Exit;
use crate::ledger::{Event, Kind, RequestRecord};
use crate::ui::Paint;
use crate::when;

pub fn show(id: &str, as_json: bool, utc: bool, fleet: bool) -> Result<Exit> {
    let (stream, id, events, now) = if fleet {
        let mut fleet = crate::fleet::Fleet::open()?;
        let (stream, id, events) = crate::fleet::read::resolve(&mut fleet, id)?;
        (Some(stream), id, events, SystemTime::now())
    } else {
        let ledger = open()?;
        let id = ledger.resolve_id(id)?;
        let events = ledger.events_of(&id)?;
        (None, id, events, ledger.now())
    };
    let record = RequestRecord::from_events(&id, &events);
    if as_json {
        let mut shown = crate::json::Show::of(&record, &events);
        shown.request.stream = stream;
        crate::json::print(&shown);
        return Ok(Exit::Success);
    }
    let paint = Paint::stdout();
    let mut out = String::new();
    header(&mut out, &record, &events, paint);
    if let Some(stream) = &stream {
        field(&mut out, paint, "stream", &one_line(stream));
    }
    out.push('\n');
    timeline(&mut out, &events, now, utc, paint);
    print!("{out}");
    Ok(Exit::Success)
}

fn field(out: &mut String, paint: Paint, name: &str, value: &str) {
    let name = paint.paint(&format!("{name:<10}"), |s| s.bold());
    out.push_str(&format!("{name} {value}\n"));
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The strings of a JSON array (`["a", "b"]`), escaped, joined by `, `.
fn list(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| one_line(x.as_str().map_or(&x.to_string(), |s| s)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// What was asked and what the policy made of it.
fn header(out: &mut String, r: &RequestRecord, events: &[Event], paint: Paint) {
    field(out, paint, "request", &one_line(&r.id));
    field(out, paint, "command", &crate::quote::line(&r.command));
    if let Some(script) = &r.script {
        field(out, paint, "script", &one_line(script));
    }
    let mut who = one_line(&r.who());
    if let Some(host) = text(&r.requester, "host") {
        who.push_str(&format!(" on {}", one_line(host)));
    }
    if let Some(ci) = &r.ci {
        let provider = text(ci, "provider").unwrap_or("CI");
        who.push_str(&format!(", in {}", one_line(provider)));
        if let Some(url) = text(ci, "job_url") {
            who.push_str(&format!(" ({})", one_line(url)));
        }
    }
    field(out, paint, "requester", &who);
    field(out, paint, "cwd", &one_line(&r.cwd));
    if let Some(reason) = &r.reason {
        field(out, paint, "reason", &one_line(reason));
    }
    let risk = r
        .risk
        .as_deref()
        .map(|k| format!(", risk {}", one_line(k)))
        .unwrap_or_default();
    let decided = if r.rules.is_empty() {
        " (no rule matched: the policy's default)"
    } else {
        ""
    };
    field(
        out,
        paint,
        "decision",
        &format!("{}{risk}{decided}", one_line(&r.decision)),
    );
    for rule in &r.rules {
        let id = text(rule, "rule").unwrap_or("?");
        let decision = text(rule, "decision").unwrap_or("?");
        let risk = text(rule, "risk")
            .map(|k| format!(", {k}"))
            .unwrap_or_default();
        let message = text(rule, "message")
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let line = one_line(&format!("{id} ({decision}{risk}){message}"));
        field(out, paint, "  rule", &line);
    }
    let request = events.iter().find(|e| e.kind == Kind::Request);
    if let Some(policy) = request.and_then(|e| e.data.get("policy")) {
        field(out, paint, "policy", &list(Some(policy)));
    }
    if let Some(digest) = &r.policy_digest {
        field(out, paint, "digest", &format!("sha256 {digest}"));
    }
    let ended = match (
        when::parse(&r.time),
        r.ended.as_deref().and_then(when::parse),
    ) {
        (Some(a), Some(b)) => format!(
            ", {} after the request",
            when::duration(b.duration_since(a).unwrap_or_default())
        ),
        _ => String::new(),
    };
    let status = r.status.as_str();
    let status = match (r.exit_code, r.signal) {
        (Some(code), _) => format!("{status}, exit {code}"),
        (None, Some(sig)) => format!("{status}, killed by {}", signal_name(sig)),
        (None, None) => status.to_string(),
    };
    field(out, paint, "status", &format!("{status}{ended}"));
}

/// One line per event: when, how long after the first, what happened.
fn timeline(out: &mut String, events: &[Event], now: SystemTime, utc: bool, paint: Paint) {
    let first = events.first().and_then(|e| when::parse(&e.time));
    let zone = first.map_or_else(String::new, |t| {
        let age = when::age(t, now)
            .filter(|_| !utc)
            .map(|a| format!(", {a}"))
            .unwrap_or_default();
        if utc {
            " (UTC)".to_string()
        } else {
            format!(" (local time, {}{age})", when::zone(t, false))
        }
    });
    out.push_str(&paint.paint(&format!("events{zone}"), |s| s.bold()));
    out.push('\n');
    for ev in events {
        let at = when::parse(&ev.time);
        let time = at.map_or_else(|| one_line(&ev.time), |t| when::date_time(t, utc));
        let offset = match (first, at) {
            (Some(a), Some(b)) => when::offset(b.duration_since(a).unwrap_or_default()),
            _ => String::new(),
        };
        let offset = paint.paint(&format!("{offset:<8}"), |s| s.dimmed());
        out.push_str(&format!("  {time}  {offset}  {}\n", describe(ev, utc)));
    }
}

/// An event in words. A kind this gate does not know, or data it cannot read, is shown as it
/// is stored (compact JSON), never left out.
pub fn describe(ev: &Event, utc: bool) -> String {
    match Kind::parse(&ev.kind).and_then(|k| words(k, &ev.data, utc)) {
        Some(words) => one_line(&words),
        None => one_line(&format!(
            "{} {}",
            ev.kind,
            serde_json::to_string(&ev.data).unwrap_or_default()
        )),
    }
}

fn words(kind: Kind, d: &Value, utc: bool) -> Option<String> {
    let t = |key: &str| text(d, key);
    let n = |key: &str| d.get(key).and_then(Value::as_i64);
    let comment = || {
        t("comment")
            .filter(|c| !c.is_empty())
            .map(|c| format!(" — “{c}”"))
            .unwrap_or_default()
    };
    let refused = || {
        t("refused")
            .map(|why| format!(" (refused: {why})"))
            .unwrap_or_default()
    };
    Some(match kind {
        Kind::Request => {
            let who = d.get("requester").map(|r| {
                let user = text(r, "user").unwrap_or("?");
                match text(r, "agent") {
                    Some(agent) => format!("{user}/{agent}"),
                    None => user.to_string(),
                }
            })?;
            let pid = n("pid")
                .map(|p| format!(" (gate pid {p})"))
                .unwrap_or_default();
            let via = d
                .get("via")
                .and_then(|v| text(v, "adapter"))
                .map(|a| format!(" through the {a} hook"))
                .unwrap_or_default();
            format!("requested by {who}{via}{pid}")
        }
        Kind::Decision => {
            let decision = t("decision")?;
            let rules: Vec<&str> = d
                .get("rules")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|r| text(r, "rule")).collect())
                .unwrap_or_default();
            let by = match rules.as_slice() {
                [] => "by the policy's default".to_string(),
                [one] => format!("by rule {one}"),
                many => format!("by rules {}", many.join(", ")),
            };
            let opaque: Vec<&str> = d
                .get("opaque")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|o| text(o, "reason")).collect())
                .unwrap_or_default();
            let opaque = if opaque.is_empty() {
                String::new()
            } else {
                format!("; not clear: {}", opaque.join("; "))
            };
            format!("decided {decision} {by}{opaque}")
        }
        Kind::ApprovalRequested => {
            let open = list(d.get("open"));
            let mut line = if open.is_empty() {
                format!("could not ask on {}", list(d.get("channels")))
            } else {
                format!("asked on {open}")
            };
            if let Some(q) = n("quorum").filter(|q| *q > 1) {
                line.push_str(&format!(", {q} approvers needed"));
            }
            let approvers: Vec<String> = d
                .get("approvers")
                .and_then(Value::as_array)
                .map(|sets| sets.iter().map(|s| list(Some(s))).collect())
                .unwrap_or_default();
            if !approvers.is_empty() {
                line.push_str(&format!("; approvers: {}", approvers.join(" or ")));
            }
            if let Some(expires) = t("expires").and_then(when::parse) {
                line.push_str(&format!(
                    "; expires {}",
                    when::date_time(expires, utc).get(11..).unwrap_or_default()
                ));
            }
            let unavailable = list(d.get("unavailable"));
            if !unavailable.is_empty() {
                line.push_str(&format!("; unavailable: {unavailable}"));
            }
            line
        }
        Kind::ChannelFailed => format!("channel {} failed: {}", t("channel")?, t("error")?),
        Kind::Vote => format!(
            "vote by {} on {}: {}{}{}",
            t("approver")?,
            t("channel")?,
            t("verdict")?,
            comment(),
            refused()
        ),
        Kind::LocalVote => format!(
            "`gate {}` by {} from another terminal{}{}",
            t("verdict")?,
            t("approver")?,
            comment(),
            refused()
        ),
        Kind::SlackVote => format!(
            "Slack {} by slack:{} (a click another waiting gate process received, pid {})",
            t("verdict")?,
            t("user")?,
            n("relayed_by").unwrap_or(0)
        ),
        Kind::Verdict => {
            let by = list(d.get("by"));
            match t("outcome")? {
                "approved" if t("channel") == Some("reuse") => format!(
                    "approved: an approval of {} by {by} reused",
                    t("from").unwrap_or("?")
                ),
                "approved" => format!("approved by {by} on {}", t("channel").unwrap_or("?")),
                "denied" if t("by") == Some("policy") => {
                    format!("denied by the policy: {}", t("why").unwrap_or("?"))
                }
                "denied" => format!("denied by {} on {}", t("by")?, t("channel").unwrap_or("?")),
                "expired" => "expired: nobody answered in time".to_string(),
                "cancelled" => format!("cancelled by {}", t("by").unwrap_or("?")),
                "unavailable" => {
                    let why = list(d.get("failures"));
                    if why.is_empty() {
                        "no approval channel could be used".to_string()
                    } else {
                        format!("no approval channel could be used: {why}")
                    }
                }
                "handed-over" => format!("handed over to {} to ask its user", t("to")?),
                _ => return None,
            }
        }
        Kind::Reused => format!(
            "reuses the approval of request {} (by {})",
            t("from")?,
            t("approver").unwrap_or("?")
        ),
        Kind::Started => match (n("gate_pid"), t("by")) {
            (Some(pid), _) => format!("started by gate (pid {pid})"),
            (None, Some(by)) => format!("started by {by}"),
            (None, None) => return None,
        },
        Kind::Finished => {
            let how = match (n("exit_code"), n("signal")) {
                (Some(code), _) => format!("exit {code}"),
                (None, Some(sig)) => format!("killed by {}", signal_name(sig)),
                (None, None) if d.get("interrupted") == Some(&Value::Bool(true)) => {
                    "interrupted".to_string()
                }
                (None, None) => "no exit code".to_string(),
            };
            let took = d
                .get("duration_ms")
                .and_then(Value::as_u64)
                .map(|ms| format!(" in {}", when::duration(Duration::from_millis(ms))))
                .unwrap_or_default();
            let by = t("by")
                .map(|b| format!(" (as {b} reports)"))
                .unwrap_or_default();
            let error = t("error").map(|e| format!(": {e}")).unwrap_or_default();
            format!("finished: {how}{took}{by}{error}")
        }
        Kind::Error => format!(
            "could not start: {}{}",
            t("message")?,
            n("exit_code")
                .map(|c| format!(" (exit {c})"))
                .unwrap_or_default()
        ),
        // What `gate verify` says of them.
        Kind::OrphanOutcome | Kind::IntakeRejected | Kind::IntakeErased | Kind::IntakeGap => {
            crate::ledger::reported(kind.as_str(), &d.to_string())?
        }
        Kind::IntakeIncomplete => {
            "a hook decision was cut short in the intake (its gate never answered)".to_string()
        }
        Kind::IntakeChained => match n("seq") {
            Some(line) => format!("the hooks' intake was chained up to its line #{line}"),
            None => "the hooks' intake was chained".to_string(),
        },
        Kind::SealsBegin => "votes and verdicts are sealed from here on".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, data: Value) -> Event {
        Event {
            seq: 1,
            request: "r".into(),
            time: "2026-11-23T10:00:00.000Z".into(),
            kind: kind.into(),
            raw: data.to_string(),
            data,
            hash: Vec::new(),
        }
    }

    #[test]
    fn every_kind_reads_in_words_or_as_stored() {
        let cases = [
            (
                "decision",
                json!({"decision": "ask", "rules": [{"rule": "k8s-delete"}], "opaque": []}),
                "decided ask by rule k8s-delete",
            ),
            (
                "vote",
                json!({"approver": "alice", "channel": "slack", "verdict": "approve", "comment": "ok", "accepted": true, "refused": null}),
                "vote by alice on slack: approve — “ok”",
            ),
            (
                "verdict",
                json!({"outcome": "approved", "by": ["alice"], "channel": "slack"}),
                "approved by alice on slack",
            ),
            (
                "started",
                json!({"gate_pid": 42}),
                "started by gate (pid 42)",
            ),
            (
                "finished",
                json!({"exit_code": 0, "signal": null, "duration_ms": 1234}),
                "finished: exit 0 in 1.2s",
            ),
            (
                "verdict",
                json!({"outcome": "from-the-future"}),
                r#"verdict {"outcome":"from-the-future"}"#,
            ),
            (
                "a_newer_kind",
                json!({"x": "a\u{202e}b\u{1b}"}),
                r#"a_newer_kind {"x":"a\u202eb\u001b"}"#,
            ),
            (
                "seals_begin",
                json!({}),
                "votes and verdicts are sealed from here on",
            ),
        ];
        for (kind, data, want) in cases {
            assert_eq!(describe(&event(kind, data), true), want, "{kind}");
        }
    }

    #[test]
    fn words_stay_on_one_line() {
        let ev = event(
            "channel_failed",
            json!({"channel": "slack", "error": "bad\nthing\r"}),
        );
        assert_eq!(describe(&ev, true), "channel slack failed: bad\\nthing\\r");
    }
}
