//! The `slack` channel, poll mode: one Block Kit message per request in `[slack] channel`;
//! approvers react with :white_check_mark: (approve) or :x: (deny), and gate polls
//! `reactions.get`. Each reacting user is looked up with `users.info`: deleted accounts, bots,
//! guests and users of other workspaces are refused here (and reported, so the refusal is in the
//! ledger); everyone else becomes a [`Vote`] as `slack:UXXXX`, with their profile email as the
//! alias `email:ADDRESS`. The message is rewritten with `chat.update` on every final state.
//!
//! Every call honours HTTP 429 `Retry-After`. Polling runs every `poll_interval` with ±20 %
//! jitter (so requests started together spread out) and backs off exponentially on errors.
//!
//! Socket mode adds Approve/Deny buttons: gate opens a Socket Mode connection with the app
//! token (`apps.connections.open`), acknowledges every envelope at once, reconnects when Slack
//! says `disconnect`, and counts `block_actions` clicks whose value is its request id. Slack
//! hands each envelope to one of the app's open connections, so a click can reach another
//! waiting gate process: that process tells the clicker to react instead, and reactions stay
//! polled (less often) as the fallback.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use super::{Channel, Message, Outcome, Request, Shared, Vote};
use crate::policy::{SlackConfig, SlackMode};

mod socket;
use socket::{Envelope, Socket};

const APPROVE: &str = "white_check_mark";
const DENY: &str = "x";
/// The `action_id`s of the buttons (socket mode); their `value` is the request id.
pub const APPROVE_ACTION: &str = "gate_approve";
pub const DENY_ACTION: &str = "gate_deny";
/// In socket mode reactions still count, polled this many times less often (a fallback for
/// clicks Slack delivered to another gate process's connection).
const SOCKET_POLL_FACTOR: u32 = 4;
/// Errors back off up to this long between polls.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// `reactions.get` calls per minute that all the gate processes of one ledger (one host and
/// user) allow themselves together: Slack's Tier 3 allows ~50 per minute per app and workspace.
const POLLS_PER_MINUTE: f64 = 40.0;
/// How often a waiting request recounts the requests polling beside it.
const RECOUNT: Duration = Duration::from_secs(15);
/// A final `chat.update` waits at most this long for a rate limit to pass.
const FINAL_PATIENCE: Duration = Duration::from_secs(10);

/// Patience for calls made after the request is settled: sleep out a rate limit of up to
/// `FINAL_PATIENCE`, give up on a longer one.
fn wait_out(d: Duration) -> bool {
    if d > FINAL_PATIENCE {
        return false;
    }
    std::thread::sleep(d);
    true
}

pub struct Slack {
    cfg: SlackConfig,
    token: String,
    http: Client,
    /// The app-level token (xapp-…) in socket mode.
    app_token: Option<String>,
    /// A reader of the ledger, to count the requests polling Slack beside this one.
    ledger: Option<Box<dyn crate::ledger::Store + Send>>,
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

/// Why a call failed, and whether trying again later can help.
#[derive(Debug)]
enum Fail {
    /// Network trouble, 5xx, `ratelimited`: retry with backoff.
    Transient(String),
    /// Bad token, unknown channel, deleted message, missing scope: give up.
    Fatal(String),
    /// The caller's patience ran out (the request was settled while waiting).
    Stopped,
}

impl Fail {
    fn message(&self) -> String {
        match self {
            Fail::Transient(m) | Fail::Fatal(m) => m.clone(),
            Fail::Stopped => "stopped".into(),
        }
    }
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

/// ±20 %: a value in [0.8, 1.2).
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    0.8 + 0.4 * (u32::from_le_bytes(b) as f64 / (u32::MAX as f64 + 1.0))
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
fn fallback(req: &Request, state: Option<&str>) -> String {
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
fn final_state(outcome: Option<&Outcome>) -> String {
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

enum Body {
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

/// The user of a reaction, as far as approving goes.
enum Person {
    Approver { id: String, email: Option<String> },
    Refused(String),
}

impl Slack {
    /// Check the configuration and the token's presence and shape (no network yet).
    pub fn open(
        cfg: &SlackConfig,
        ledger: Option<Box<dyn crate::ledger::Store + Send>>,
    ) -> Result<Self, String> {
        let token = match std::env::var(&cfg.token_env) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => {
                return Err(format!(
                    "${} is not set: put the Slack bot token (xoxb-…) in it, or name another variable with [slack] token_env",
                    cfg.token_env
                ));
            }
        };
        if !(token.starts_with("xoxb-") || token.starts_with("xoxp-")) {
            return Err(format!(
                "${} does not hold a Slack bot or user token (expected xoxb-… or xoxp-…)",
                cfg.token_env
            ));
        }
        let app_token = match cfg.mode {
            SlackMode::Poll => None,
            SlackMode::Socket => match std::env::var(&cfg.app_token_env) {
                Ok(t) if t.trim().starts_with("xapp-") => Some(t.trim().to_string()),
                Ok(t) if !t.trim().is_empty() => {
                    return Err(format!(
                        "${} does not hold a Slack app-level token (expected xapp-…)",
                        cfg.app_token_env
                    ));
                }
                _ => {
                    return Err(format!(
                        "${} is not set: socket mode needs an app-level token (xapp-…) with connections:write, or name another variable with [slack] app_token_env",
                        cfg.app_token_env
                    ));
                }
            },
        };
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        let mut cfg = cfg.clone();
        // Against the real Slack, one request alone stays within the budget too.
        if cfg.api_base == "https://slack.com/api" {
            cfg.poll_interval = cfg
                .poll_interval
                .max(Duration::from_secs_f64(60.0 / POLLS_PER_MINUTE));
        }
        Ok(Slack {
            cfg,
            token,
            http,
            app_token,
            ledger,
        })
    }

    /// Post a plain message (ledger checkpoints) to the configured channel. Rate limits are
    /// waited out for up to `FINAL_PATIENCE` each.
    pub fn post_text(&self, text: &str) -> Result<(), String> {
        let patience = wait_out;
        self.call(
            "chat.postMessage",
            &Body::Json(json!({
                "channel": self.cfg.channel,
                "text": text,
                "unfurl_links": false,
                "unfurl_media": false,
            })),
            &patience,
        )
        .map(|_| ())
        .map_err(|f| f.message())
    }

    /// The configured channel, for messages.
    pub fn channel(&self) -> &str {
        &self.cfg.channel
    }

    /// One Web API call. On HTTP 429 (or `ratelimited`) it waits `Retry-After` through
    /// `patience`, which sleeps and says whether to go on.
    fn call(
        &self,
        method: &str,
        body: &Body,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Value, Fail> {
        self.call_as(&self.token, method, body, patience)
    }

    fn call_as(
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

    fn person(
        &self,
        user: &str,
        team: &str,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Person, Fail> {
        let v = match self.call(
            "users.info",
            &Body::Form(vec![("user", user.to_string())]),
            patience,
        ) {
            Ok(v) => v,
            Err(Fail::Fatal(m)) if m.contains("user_not_found") => {
                return Ok(Person::Refused(
                    "Slack does not know this user (another workspace?)".into(),
                ));
            }
            Err(e) => return Err(e),
        };
        let u = &v["user"];
        let flag = |k: &str| u.get(k).and_then(Value::as_bool).unwrap_or(false);
        if flag("deleted") {
            return Ok(Person::Refused("the Slack account is deactivated".into()));
        }
        if flag("is_bot") || user == "USLACKBOT" {
            return Ok(Person::Refused("bots cannot approve".into()));
        }
        if flag("is_restricted") || flag("is_ultra_restricted") {
            return Ok(Person::Refused("guest accounts cannot approve".into()));
        }
        if let Some(t) = u.get("team_id").and_then(Value::as_str)
            && !team.is_empty()
            && t != team
        {
            return Ok(Person::Refused(format!(
                "the user belongs to another Slack workspace ({t})"
            )));
        }
        let email = u
            .pointer("/profile/email")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(|e| e.to_ascii_lowercase());
        Ok(Person::Approver {
            id: user.to_string(),
            email,
        })
    }

    fn update(&self, channel: &str, ts: &str, req: &Request, state: &str) {
        let patience = wait_out;
        let body = Body::Json(json!({
            "channel": channel,
            "ts": ts,
            "text": fallback(req, Some(state)),
            "blocks": blocks(req, Some(state), false),
        }));
        if let Err(e) = self.call("chat.update", &body, &patience) {
            crate::ui::note(&format!(
                "slack: could not update the approval message: {}",
                e.message()
            ));
        }
    }

    /// Turn one person's answer into a message for the coordinator (once per person and
    /// verdict). `Ok(None)`: already reported, or to be looked up again later.
    fn consider(
        &self,
        tally: &mut Tally,
        user: &str,
        approve: bool,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Option<Message>, Fail> {
        if user == tally.bot || tally.seen.contains(&(user.to_string(), approve)) {
            return Ok(None);
        }
        if !tally.people.contains_key(user) {
            match self.person(user, &tally.team, patience) {
                Ok(p) => {
                    tally.people.insert(user.to_string(), p);
                }
                // Looked up again at the next chance.
                Err(Fail::Transient(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        tally.seen.insert((user.to_string(), approve));
        Ok(Some(match &tally.people[user] {
            Person::Refused(reason) => Message::Refused {
                channel: "slack".into(),
                approver: format!("slack:{user}"),
                approve,
                reason: reason.clone(),
            },
            Person::Approver { id, email } => Message::Vote(Vote {
                channel: "slack".into(),
                approver: format!("slack:{id}"),
                aliases: email.iter().map(|e| format!("email:{e}")).collect(),
                is_requesting_agent: false,
                approve,
                comment: None,
            }),
        }))
    }

    /// Socket mode: a button click (`block_actions`). A click meant for another request reached
    /// this connection because Slack hands each envelope to one of the app's connections: the
    /// clicker is told, through the interaction's `response_url`, to react instead.
    fn click(
        &self,
        shared: &Shared,
        tx: &Sender<Message>,
        tally: &mut Tally,
        payload: &Value,
    ) -> Result<(), Fail> {
        if payload.get("type").and_then(Value::as_str) != Some("block_actions") {
            return Ok(());
        }
        let Some(user) = payload.pointer("/user/id").and_then(Value::as_str) else {
            return Ok(());
        };
        let patience = |d: Duration| !shared.wait(d);
        for action in payload
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let approve = match action.get("action_id").and_then(Value::as_str) {
                Some(APPROVE_ACTION) => true,
                Some(DENY_ACTION) => false,
                _ => continue,
            };
            if action.get("value").and_then(Value::as_str) != Some(shared.request.id.as_str()) {
                if let Some(url) = payload.get("response_url").and_then(Value::as_str) {
                    let _ = self
                        .http
                        .post(url)
                        .json(&json!({
                            "response_type": "ephemeral",
                            "replace_original": false,
                            "text": format!(
                                "gate: your click reached another waiting gate process. Please react with :{APPROVE}: or :{DENY}: on the request instead."
                            ),
                        }))
                        .send();
                }
                continue;
            }
            if let Some(msg) = self.consider(tally, user, approve, &patience)? {
                let _ = tx.send(msg);
            }
        }
        Ok(())
    }

    /// Wait `delay` (or until settled: `Ok(true)`); in socket mode, serve the socket meanwhile.
    fn pause(
        &self,
        shared: &Shared,
        tx: &Sender<Message>,
        tally: &mut Tally,
        link: &mut Link,
        delay: Duration,
    ) -> Result<bool, Fail> {
        let Some(app_token) = &self.app_token else {
            return Ok(shared.wait(delay));
        };
        let end = Instant::now() + delay;
        loop {
            if shared.is_done() {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= end {
                return Ok(false);
            }
            let slice = (end - now).min(Duration::from_millis(250));
            match link.socket.as_mut() {
                None if now >= link.retry_at => match self.open_socket(app_token, shared) {
                    Ok(sock) => {
                        link.socket = Some(sock);
                        link.failures = 0;
                    }
                    Err(Fail::Transient(m)) => {
                        link.failures += 1;
                        crate::ui::debug(&format!("slack socket: {m}"));
                        link.retry_at =
                            Instant::now() + Duration::from_secs(1 << link.failures.min(6));
                    }
                    Err(e) => return Err(e),
                },
                None => {
                    shared.wait(slice);
                }
                Some(sock) => match sock.recv(slice) {
                    Ok(None) | Ok(Some(Envelope::Other)) => {}
                    Ok(Some(Envelope::Interactive(payload))) => {
                        self.click(shared, tx, tally, &payload)?
                    }
                    Ok(Some(Envelope::Reconnect(why))) => {
                        crate::ui::debug(&format!("slack socket: {why}"));
                        if let Some(old) = link.socket.take() {
                            old.close();
                        }
                        link.retry_at = Instant::now();
                    }
                    Err(m) => {
                        crate::ui::debug(&format!("slack socket: {m}"));
                        link.socket = None;
                        link.retry_at = Instant::now() + Duration::from_secs(1);
                    }
                },
            }
        }
    }

    fn open_socket(&self, app_token: &str, shared: &Shared) -> Result<Socket, Fail> {
        let patience = |d: Duration| !shared.wait(d);
        let v = self
            .call_as(
                app_token,
                "apps.connections.open",
                &Body::Form(Vec::new()),
                &patience,
            )
            .map_err(|e| match e {
                // The app token's own errors name the app token, not the bot token.
                Fail::Fatal(m) => {
                    Fail::Fatal(m.replace(&self.cfg.token_env, &self.cfg.app_token_env))
                }
                other => other,
            })?;
        let url = v
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Fail::Fatal("apps.connections.open returned no url".into()))?;
        Socket::connect(url).map_err(Fail::Transient)
    }

    /// Post, then wait for answers until settled. `Err` is why the channel failed.
    fn serve(
        &self,
        shared: &Shared,
        tx: &Sender<Message>,
        posted: &mut Option<(String, String)>,
    ) -> Result<(), Fail> {
        let req = &shared.request;
        let patience = |d: Duration| !shared.wait(d);
        let at_start = |e: Fail| match e {
            Fail::Transient(m) => Fail::Fatal(m),
            other => other,
        };
        let auth = self
            .call("auth.test", &Body::Form(Vec::new()), &patience)
            .map_err(at_start)?;
        let mut tally = Tally {
            team: auth
                .get("team_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            bot: auth
                .get("user_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            seen: HashSet::new(),
            people: HashMap::new(),
        };
        let mut link = Link {
            socket: None,
            retry_at: Instant::now(),
            failures: 0,
        };
        let buttons = self.app_token.is_some();
        if let Some(app_token) = &self.app_token {
            // Connect before posting, so that no click arrives before gate listens.
            link.socket = Some(self.open_socket(app_token, shared).map_err(at_start)?);
        }
        let post = self
            .call(
                "chat.postMessage",
                &Body::Json(json!({
                    "channel": self.cfg.channel,
                    "text": fallback(req, None),
                    "blocks": blocks(req, None, buttons),
                    "unfurl_links": false,
                    "unfurl_media": false,
                })),
                &patience,
            )
            .map_err(at_start)?;
        let (Some(channel), Some(ts)) = (
            post.get("channel").and_then(Value::as_str),
            post.get("ts").and_then(Value::as_str),
        ) else {
            return Err(Fail::Fatal(
                "Slack's answer to chat.postMessage has no channel or ts".into(),
            ));
        };
        *posted = Some((channel.to_string(), ts.to_string()));
        crate::ui::note(&format!(
            "request {} posted to Slack {}: {}",
            req.id,
            self.cfg.channel,
            if buttons {
                "click Approve or Deny"
            } else {
                "react with :white_check_mark: or :x:"
            }
        ));
        let factor = if buttons { SOCKET_POLL_FACTOR } else { 1 };
        let mut errors = 0u32;
        let ledger = self.ledger.as_deref();
        let mut peers = 1usize;
        let mut counted = Instant::now() - RECOUNT;
        let mut delay = (self.cfg.poll_interval * factor).mul_f64(jitter());
        loop {
            let result = self.pause(shared, tx, &mut tally, &mut link, delay);
            if !matches!(result, Ok(false)) {
                if let Some(sock) = link.socket.take() {
                    sock.close();
                }
                return result.map(|_| ());
            }
            let got = self.call(
                "reactions.get",
                &Body::Form(vec![
                    ("channel", channel.to_string()),
                    ("timestamp", ts.to_string()),
                    ("full", "true".into()),
                ]),
                &patience,
            );
            let v = match got {
                Ok(v) => v,
                Err(Fail::Stopped) => return Ok(()),
                Err(Fail::Fatal(m)) => return Err(Fail::Fatal(m)),
                Err(Fail::Transient(m)) => {
                    errors += 1;
                    crate::ui::debug(&format!("slack: {m} (retry {errors})"));
                    delay = self
                        .cfg
                        .poll_interval
                        .saturating_mul(1 << errors.min(10))
                        .min(MAX_BACKOFF)
                        .mul_f64(jitter());
                    continue;
                }
            };
            errors = 0;
            if let Some(l) = ledger
                && counted.elapsed() >= RECOUNT
            {
                peers = l.waiting("slack").map(|w| w.len()).unwrap_or(peers);
                counted = Instant::now();
            }
            delay = (poll_interval(self.cfg.poll_interval, peers) * factor).mul_f64(jitter());
            let reactions = v
                .pointer("/message/reactions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for r in reactions {
                let name = r.get("name").and_then(Value::as_str).unwrap_or("");
                // Skin tones arrive as `name::skin-tone-N`.
                let approve = match name.split("::").next().unwrap_or("") {
                    APPROVE => true,
                    DENY => false,
                    _ => continue,
                };
                let users = r.get("users").and_then(Value::as_array);
                for user in users.into_iter().flatten().filter_map(Value::as_str) {
                    match self.consider(&mut tally, user, approve, &patience) {
                        Ok(Some(msg)) => {
                            let _ = tx.send(msg);
                        }
                        Ok(None) => {}
                        Err(Fail::Stopped) => return Ok(()),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}

/// Who answered so far, and who they are.
struct Tally {
    team: String,
    bot: String,
    seen: HashSet<(String, bool)>,
    people: HashMap<String, Person>,
}

/// The Socket Mode connection, when there is one.
struct Link {
    socket: Option<Socket>,
    retry_at: Instant,
    failures: u32,
}

impl Channel for Slack {
    fn name(&self) -> &'static str {
        "slack"
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        let mut posted = None;
        let result = self.serve(&shared, &tx, &mut posted);
        match result {
            Ok(()) | Err(Fail::Stopped) => {
                if let Some((channel, ts)) = &posted {
                    let outcome = shared.outcome();
                    self.update(channel, ts, &shared.request, &final_state(outcome.as_ref()));
                }
            }
            Err(e) => {
                let message = e.message();
                // Tell the people watching the message (if it still exists) to look elsewhere.
                if let Some((channel, ts)) = &posted
                    && !message.contains("message_not_found")
                    && !message.contains("token")
                {
                    self.update(
                        channel,
                        ts,
                        &shared.request,
                        &format!(
                            ":warning: gate stopped watching this message: {}",
                            escape(&message)
                        ),
                    );
                }
                let _ = tx.send(Message::Failed {
                    channel: "slack".into(),
                    message,
                });
            }
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
