//! What `gate doctor` asks Slack: whether the bot token works (`auth.test`) and whether the
//! approval channel is there for the app (`conversations.info`). Nothing is posted, and a rate
//! limit is reported rather than waited out.

use std::time::Duration;

use serde_json::Value;

use super::api::Body;
use super::{Fail, Slack};

/// What one look found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Fine: what was seen.
    Fine(String),
    /// Approvals can work, but something is off: what, and what to do.
    Caveat(String, String),
    /// Approvals in Slack will fail: why, and what to do when the why does not say it (Slack's
    /// errors are explained with what to do).
    Broken(String, Option<String>),
}

impl Slack {
    /// `auth.test`: the token is accepted, and whose it is.
    pub fn probe_auth(&self) -> Probe {
        match self.call("auth.test", &Body::Form(Vec::new()), &no_patience) {
            Ok(v) => {
                let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
                Probe::Fine(format!(
                    "${} works: `{}` in {} ({})",
                    self.cfg.token_env,
                    s("user"),
                    s("team"),
                    s("url")
                ))
            }
            Err(e) => failed(e),
        }
    }

    /// `conversations.info` on `[slack] channel`: it exists, is not archived, and the app is a
    /// member (it cannot post otherwise).
    pub fn probe_channel(&self) -> Probe {
        let channel = &self.cfg.channel;
        // Slack's ids are capitals and digits; channel names never hold capitals.
        let id_like = channel.len() > 1
            && channel.starts_with(['C', 'G', 'D'])
            && channel
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !id_like {
            return Probe::Caveat(
                format!("`{channel}` is not a channel id, so it cannot be looked up"),
                "set [slack] channel to the channel's id (C0123…; Slack shows it at the bottom of the channel's details)".into(),
            );
        }
        let v = match self.call(
            "conversations.info",
            &Body::Form(vec![("channel", channel.clone())]),
            &no_patience,
        ) {
            Ok(v) => v,
            // The scopes approvals need do not include reading channel details.
            Err(Fail::Fatal(m)) if m.contains("(missing_scope)") => {
                return Probe::Caveat(
                    format!("the app may not read the details of `{channel}` (missing_scope), so it was not checked"),
                    "give the app channels:read (groups:read for a private channel) and reinstall it, to let gate doctor check the channel".into(),
                );
            }
            Err(e) => return failed(e),
        };
        let c = &v["channel"];
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| channel.clone(), |n| format!("#{n} ({channel})"));
        let flag = |k: &str| c.get(k).and_then(Value::as_bool);
        if flag("is_archived") == Some(true) {
            return Probe::Broken(
                format!("Slack channel {name} is archived"),
                Some("set [slack] channel to another".into()),
            );
        }
        if flag("is_member") == Some(false) {
            return Probe::Broken(
                format!(
                    "the app is not a member of {name}, so it cannot post approval requests there"
                ),
                Some(format!("run `/invite @your-app` in {name}")),
            );
        }
        Probe::Fine(format!("{name} is there and the app is a member"))
    }
}

/// A look does not wait out a rate limit.
fn no_patience(_: Duration) -> bool {
    false
}

fn failed(e: Fail) -> Probe {
    match e {
        Fail::Stopped => Probe::Caveat(
            "Slack asked gate to slow down (rate limited), so this was not checked".into(),
            "run gate doctor again in a minute".into(),
        ),
        Fail::Transient(m) => Probe::Broken(
            m,
            Some("check the network, any proxy in between, and [slack] api_base".into()),
        ),
        Fail::Fatal(m) => Probe::Broken(m, None),
    }
}
