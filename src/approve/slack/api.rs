//! Slack Web API calls and the rate budget: one call with its `Retry-After` handling and
//! errors explained, the poll interval that keeps all waiting requests within Slack's Tier 3
//! limit, and the jitter that spreads polls out.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::{Fail, Slack};
use crate::policy::SlackConfig;

/// `reactions.get` calls per minute that all the gate processes of one ledger (one host and
/// user) allow themselves together: Slack's Tier 3 allows ~50 per minute per app and workspace.
pub(super) const POLLS_PER_MINUTE: f64 = 40.0;

/// A final `chat.update` waits at most this long for a rate limit to pass.
const FINAL_PATIENCE: Duration = Duration::from_secs(10);

/// Patience for calls made after the request is settled: sleep out a rate limit of up to
/// `FINAL_PATIENCE`, give up on a longer one.
pub(super) fn wait_out(d: Duration) -> bool {
    if d > FINAL_PATIENCE {
        return false;
    }
    std::thread::sleep(d);
    true
}

/// The mean poll interval when `peers` requests (this one included) poll at once: never
/// faster than `poll_interval`, and slow enough that together they stay within the budget.
/// A lone request polls at `poll_interval` (which `open` keeps within the budget for Slack).
pub fn poll_interval(configured: Duration, peers: usize) -> Duration {
    if peers <= 1 {
        return configured;
    }
    configured.max(Duration::from_secs_f64(
        60.0 * peers as f64 / POLLS_PER_MINUTE,
    ))
}

/// Slack's `ok:false` errors, as what to do about them. `None`: retry.
fn explain(code: &str, method: &str, cfg: &SlackConfig) -> Option<String> {
    let token = &cfg.token_env;
    let channel = &cfg.channel;
    Some(match code {
        "ratelimited" => return None,
        "invalid_auth" | "not_authed" => format!(
            "Slack refused the token in ${token} ({code}): check that it is the bot token (xoxb-…) of an installed app"
        ),
        "token_revoked" | "token_expired" => format!(
            "the Slack token in ${token} was revoked or expired ({code}): reinstall the app and update ${token}"
        ),
        "account_inactive" => format!(
            "the Slack token in ${token} belongs to a deactivated user or app (account_inactive): use the token of an active app"
        ),
        "channel_not_found" => format!(
            "Slack channel `{channel}` not found (channel_not_found): set [slack] channel to the channel id (C0123…), and for a private channel invite the app first"
        ),
        "not_in_channel" => format!(
            "the app is not a member of Slack channel `{channel}` (not_in_channel): run `/invite @your-app` in that channel"
        ),
        "is_archived" => format!("Slack channel `{channel}` is archived (is_archived): use another channel"),
        "message_not_found" => {
            "the approval message was deleted from Slack (message_not_found): approve in another channel or run the command again".into()
        }
        "missing_scope" => format!(
            "the Slack app lacks a scope needed by {method} (missing_scope): give it chat:write, reactions:read, users:read and users:read.email, then reinstall it"
        ),
        "user_not_found" => "Slack does not know this user (user_not_found)".into(),
        other => format!("Slack answered {method} with error `{other}`"),
    })
}

/// ±20 %: a value in [0.8, 1.2).
pub(super) fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let _ = crate::random::fill(&mut b);
    0.8 + 0.4 * (u32::from_le_bytes(b) as f64 / (u32::MAX as f64 + 1.0))
}

pub(super) enum Body {
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

fn form_encode(pairs: &[(&'static str, String)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Slack {
    /// One Web API call. On HTTP 429 (or `ratelimited`) it waits `Retry-After` through
    /// `patience`, which sleeps and says whether to go on.
    pub(super) fn call(
        &self,
        method: &str,
        body: &Body,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Value, Fail> {
        self.call_as(&self.token, method, body, patience)
    }

    pub(super) fn call_as(
        &self,
        token: &str,
        method: &str,
        body: &Body,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Value, Fail> {
        let url = format!("{}/{method}", self.cfg.api_base);
        loop {
            let req = self.http.post(&url).bearer_auth(token);
            let req = match body {
                Body::Json(v) => req
                    .header("Content-Type", "application/json; charset=utf-8")
                    .body(v.to_string()),
                Body::Form(pairs) => req
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form_encode(pairs)),
            };
            let resp = req.send().map_err(|e| {
                Fail::Transient(format!(
                    "cannot reach Slack at {} ({method}): {}",
                    self.cfg.api_base,
                    crate::approve::webhook::describe_http_error(&e)
                ))
            })?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after.unwrap_or(Duration::from_secs(1));
                crate::ui::debug(&format!("slack {method}: 429, retrying in {wait:?}"));
                if !patience(wait) {
                    return Err(Fail::Stopped);
                }
                continue;
            }
            if status.is_redirection() {
                return Err(Fail::Fatal(format!(
                    "Slack API at {} answered {method} with a redirect ({status}); gate does not follow redirects: check [slack] api_base",
                    self.cfg.api_base
                )));
            }
            if status.is_server_error() {
                return Err(Fail::Transient(format!(
                    "Slack answered {method} with {status}"
                )));
            }
            if !status.is_success() {
                return Err(Fail::Fatal(format!(
                    "Slack answered {method} with {status}: check [slack] api_base ({})",
                    self.cfg.api_base
                )));
            }
            let text = resp.text().map_err(|e| {
                Fail::Transient(format!("Slack's answer to {method} broke off: {e}"))
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|_| {
                Fail::Fatal(format!(
                    "Slack's answer to {method} is not JSON: is [slack] api_base ({}) the Slack Web API?",
                    self.cfg.api_base
                ))
            })?;
            if v.get("ok").and_then(Value::as_bool) == Some(true) {
                return Ok(v);
            }
            let code = v.get("error").and_then(Value::as_str).unwrap_or("unknown");
            return match explain(code, method, &self.cfg) {
                None => {
                    let wait = retry_after.unwrap_or(Duration::from_secs(5));
                    if !patience(wait) {
                        return Err(Fail::Stopped);
                    }
                    continue;
                }
                Some(m) if code == "ratelimited" => Err(Fail::Transient(m)),
                Some(m) => Err(Fail::Fatal(m)),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_waiting_requests_stay_within_tier_3() {
        let three = Duration::from_secs(3);
        assert_eq!(poll_interval(three, 1), three);
        assert_eq!(poll_interval(three, 2), three);
        let each = poll_interval(three, 20);
        assert_eq!(each, Duration::from_secs(30));
        let per_minute = 20.0 * 60.0 / each.as_secs_f64();
        assert!(per_minute <= 40.0, "{per_minute}");
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.8..1.2).contains(&j), "{j}");
        }
    }

    #[test]
    fn form_bodies_are_percent_encoded() {
        assert_eq!(
            form_encode(&[("channel", "C1".into()), ("timestamp", "1.2 3&".into())]),
            "channel=C1&timestamp=1.2%203%26"
        );
    }
}
