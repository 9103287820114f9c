//! Block Kit rendering of the approval message: the request while it waits (with buttons in
//! socket mode), the final line once it is settled, and the mrkdwn escaping that keeps a
//! command from forging mentions, links or pings.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::{APPROVE, APPROVE_ACTION, DENY, DENY_ACTION};
use crate::approve::{Outcome, Request};

/// Escape text for Slack mrkdwn so that it cannot forge mentions, links or channel pings.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text shown inside a ``` block: escaped, and unable to close the block early.
fn code_block(s: &str, max: usize) -> String {
    let body = escape(&truncate(s, max)).replace("```", "`\u{200b}`\u{200b}`");
    format!("```{body}```")
}

/// Text shown as `inline code`: escaped, with no backtick to end it early.
fn inline(s: &str) -> String {
    format!("`{}`", escape(&truncate(s, 500)).replace('`', "'"))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The Block Kit message: `state` is `None` while waiting, or the final line.
pub fn blocks(req: &Request, state: Option<&str>, buttons: bool) -> Value {
    let title = match state {
        None => "gate: approval needed",
        Some(_) => "gate: approval request (closed)",
    };
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": title}}),
        json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Command*\n{}", code_block(&req.command, 2500))}}),
    ];
    let mut rules = String::new();
    for r in &req.rules {
        rules.push_str(&format!("• {} ({})", inline(&r.id), r.risk.as_str()));
        if let Some(m) = &r.message {
            rules.push_str(&format!(": {}", escape(&truncate(m, 300))));
        }
        rules.push('\n');
    }
    for o in &req.opaque {
        rules.push_str(&format!("• opaque: {}\n", inline(o)));
    }
    if !rules.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Why*\n{}", truncate(&rules, 2800))}}));
    }
    let who = &req.requester;
    let mut requester = format!("{} on {}", inline(&who.user), inline(&who.host));
    if let Some(agent) = &who.agent {
        requester.push_str(&format!(" (agent {})", inline(agent)));
    }
    let expires = unix(req.expires_at);
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*Risk*\n{}", req.risk.as_str())}),
        json!({"type": "mrkdwn", "text": format!("*Requester*\n{requester}")}),
        json!({"type": "mrkdwn", "text": format!("*Directory*\n{}", inline(&req.cwd))}),
        json!({"type": "mrkdwn", "text": format!(
            "*Expires*\n<!date^{expires}^{{date_short_pretty}} {{time_secs}}|{}>",
            humantime::format_rfc3339_seconds(req.expires_at))}),
    ];
    if let Some(ci) = &req.ci {
        let job = ci.job_url.as_deref().unwrap_or("");
        fields.push(json!({"type": "mrkdwn", "text": format!(
            "*CI job*\n{} {}", escape(&ci.provider), escape(&truncate(job, 500)))}));
    }
    if req.quorum > 1 {
        fields
            .push(json!({"type": "mrkdwn", "text": format!("*Approvals needed*\n{}", req.quorum)}));
    }
    blocks.push(json!({"type": "section", "fields": fields}));
    if let Some(reason) = &req.reason {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Reason*\n{}", code_block(reason, 2000))}}));
    }
    if buttons && state.is_none() {
        blocks.push(
            json!({"type": "actions", "block_id": "gate_vote", "elements": [
                {"type": "button", "action_id": APPROVE_ACTION, "value": req.id, "style": "primary",
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": DENY_ACTION, "value": req.id, "style": "danger",
                 "text": {"type": "plain_text", "text": "Deny"}},
            ]}),
        );
    }
    let footer = match state {
        None if buttons => format!(
            "Request {} · click Approve or Deny (or react with :{APPROVE}: / :{DENY}:)",
            inline(&req.id)
        ),
        None => format!(
            "Request {} · react with :{APPROVE}: to approve or :{DENY}: to deny",
            inline(&req.id)
        ),
        Some(s) => format!("Request {} · {s}", inline(&req.id)),
    };
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]}));
    Value::Array(blocks)
}

/// The fallback text (notifications, screen readers).
pub(super) fn fallback(req: &Request, state: Option<&str>) -> String {
    match state {
        None => format!(
            "gate: approval needed for {} (request {})",
            inline(&truncate(&req.command, 200)),
            req.id
        ),
        Some(s) => format!("gate request {}: {s}", req.id),
    }
}

/// An identity as Slack shows it: `slack:U…` becomes a mention, anything else is escaped.
fn show_identity(id: &str) -> String {
    match id.strip_prefix("slack:") {
        Some(u) if u.chars().all(|c| c.is_ascii_alphanumeric()) => format!("<@{u}>"),
        _ => escape(id),
    }
}

/// The final line for `chat.update`.
pub(super) fn final_state(outcome: Option<&Outcome>) -> String {
    match outcome {
        Some(Outcome::Approved { by, channel }) => format!(
            ":{APPROVE}: Approved by {} (in {channel}); the command runs",
            by.iter()
                .map(|b| show_identity(b))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Outcome::Denied {
            by,
            channel,
            comment,
        }) => {
            let c = comment
                .as_deref()
                .map(|c| format!(": {}", escape(&truncate(c, 300))))
                .unwrap_or_default();
            format!(
                ":{DENY}: Denied by {} (in {channel}){c}; the command did not run",
                show_identity(by)
            )
        }
        Some(Outcome::Expired) => {
            ":hourglass: Expired: nobody answered in time; the command did not run".into()
        }
        Some(Outcome::Cancelled) | None => {
            ":no_entry_sign: Cancelled by the requester; the command did not run".into()
        }
        Some(Outcome::Unavailable(_)) => {
            ":warning: No approval channel could be used; the command did not run".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_control_characters_are_escaped() {
        assert_eq!(
            escape("echo <@U123> <!channel> a&b <https://x|y>"),
            "echo &lt;@U123&gt; &lt;!channel&gt; a&amp;b &lt;https://x|y&gt;"
        );
        assert!(!code_block("a ``` *b*", 100).contains("a ``` "));
        assert_eq!(inline("a`b"), "`a'b`");
    }
}
