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
//! waiting gate process: that process records it in the ledger for the request it belongs to,
//! sealed, and the request's own process counts it from there (see `relay`). Reactions stay
//! polled (less often) as the fallback.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use super::{Channel, Message, Request, Shared};
use crate::policy::{SlackConfig, SlackMode};

mod api;
pub mod events_http;
mod people;
mod probe;
mod relay;
mod render;
pub mod serve;
mod socket;
pub use api::poll_interval;
use api::{Body, POLLS_PER_MINUTE, jitter, wait_out};
use people::Tally;
pub use probe::Probe;
use relay::{Card, Click, Pickup, Relayed};
pub use render::{blocks, escape};
use render::{fallback, final_state};
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
/// How often a waiting request recounts the requests polling beside it.
const RECOUNT: Duration = Duration::from_secs(15);
/// How long a process waits before connecting again when Slack refused its connection because
/// the app has ten open (`too_many_websockets`): the clicks for its request reach the others'
/// connections and come through the ledger meanwhile (see `relay`).
const TOO_MANY_BACKOFF: Duration = Duration::from_secs(10);

/// When to connect again after Slack said `why`: at once, unless the app has too many
/// connections open.
fn reconnect_after(why: &str) -> Duration {
    if why.contains("too_many_websockets") {
        TOO_MANY_BACKOFF.mul_f64(jitter())
    } else {
        Duration::ZERO
    }
}

/// How often a waiting request looks in the ledger for clicks another process received.
const PICKUP: Duration = Duration::from_millis(100);

pub struct Slack {
    cfg: SlackConfig,
    token: String,
    http: Client,
    /// The app-level token (xapp-…) in socket mode.
    app_token: Option<String>,
    /// A reader of the ledger, to count the requests polling Slack beside this one and to pick
    /// up the clicks for this request that other gate processes received.
    ledger: Option<Box<dyn crate::ledger::Store + Send>>,
    /// A writer of the ledger, to record the clicks for other requests that reach this
    /// process's Socket Mode connection.
    writer: RefCell<Option<Box<dyn crate::ledger::Store + Send>>>,
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

/// The bot token from `$token_env`, checked for presence and shape.
pub fn bot_token(cfg: &SlackConfig) -> Result<String, String> {
    match std::env::var(&cfg.token_env) {
        Ok(t) if !t.trim().is_empty() => {
            let t = t.trim();
            if t.starts_with("xoxb-") || t.starts_with("xoxp-") {
                Ok(t.to_string())
            } else {
                Err(format!(
                    "${} does not hold a Slack bot or user token (expected xoxb-… or xoxp-…)",
                    cfg.token_env
                ))
            }
        }
        _ => Err(format!(
            "${} is not set: put the Slack bot token (xoxb-…) in it, or name another variable with [slack] token_env",
            cfg.token_env
        )),
    }
}

/// Socket mode's app-level token from `$app_token_env`, checked for presence and shape.
pub fn app_token(cfg: &SlackConfig) -> Result<String, String> {
    match std::env::var(&cfg.app_token_env) {
        Ok(t) if t.trim().starts_with("xapp-") => Ok(t.trim().to_string()),
        Ok(t) if !t.trim().is_empty() => Err(format!(
            "${} does not hold a Slack app-level token (expected xapp-…)",
            cfg.app_token_env
        )),
        _ => Err(format!(
            "${} is not set: socket mode needs an app-level token (xapp-…) with connections:write, or name another variable with [slack] app_token_env",
            cfg.app_token_env
        )),
    }
}

impl Slack {
    /// Check the configuration and the token's presence and shape (no network yet). `ledger`
    /// reads and `writer` appends to the ledger the request waits in (see `relay`).
    pub fn open(
        cfg: &SlackConfig,
        ledger: Option<Box<dyn crate::ledger::Store + Send>>,
        writer: Option<Box<dyn crate::ledger::Store + Send>>,
    ) -> Result<Self, String> {
        let mut s = Self::open_with(cfg, ledger, Duration::from_secs(5), Duration::from_secs(15))?;
        s.writer = RefCell::new(writer);
        Ok(s)
    }

    /// [`Slack::open`] for a quick look (`gate doctor`): each call gives up after `timeout`,
    /// connecting included. Socket mode's app token is not required here (see [`app_token`]).
    pub fn probe(cfg: &SlackConfig, timeout: Duration) -> Result<Self, String> {
        let cfg = SlackConfig {
            mode: SlackMode::Poll,
            ..cfg.clone()
        };
        Self::open_with(&cfg, None, timeout, timeout)
    }

    fn open_with(
        cfg: &SlackConfig,
        ledger: Option<Box<dyn crate::ledger::Store + Send>>,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self, String> {
        let token = bot_token(cfg)?;
        let app_token = match cfg.mode {
            SlackMode::Poll => None,
            SlackMode::Socket => Some(app_token(cfg)?),
        };
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(timeout)
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
            writer: RefCell::new(None),
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

    /// Socket mode: a button click (`block_actions`). Slack hands each envelope to one of the
    /// app's connections, so a click for another request can reach this one: it is recorded in
    /// the ledger for that request's process to count (see `relay`).
    fn click(
        &self,
        shared: &Shared,
        tx: &Sender<Message>,
        watch: &mut Watch,
        payload: &Value,
    ) -> Result<(), Fail> {
        let patience = |d: Duration| !shared.wait(d);
        for click in Click::all(payload) {
            if click.request != shared.request.id {
                self.pass_on(&click, payload);
                continue;
            }
            let Some(card) = &watch.card else {
                continue;
            };
            if let Some(why) = self.foreign(&watch.tally, card, &self.cfg.api_base, &click) {
                let _ = tx.send(Message::Refused {
                    channel: "slack".into(),
                    approver: format!("slack:{}", click.user.escape_debug()),
                    approve: click.approve,
                    reason: why,
                });
                continue;
            }
            // Counted once, however often and wherever Slack delivered it.
            if !watch.pickup.clicks.insert(click.key()) {
                continue;
            }
            match self.consider(&mut watch.tally, &click.user, click.approve, &patience) {
                Ok(Some(msg)) => {
                    let _ = tx.send(msg);
                }
                Ok(None) => {}
                Err(Fail::Transient(m)) => {
                    // Delivered again by Slack, or relayed, it is looked at then.
                    watch.pickup.clicks.remove(&click.key());
                    crate::ui::debug(&format!("slack: {m}"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A click for another request: recorded for it, or the clicker is told why not.
    fn pass_on(&self, click: &Click, payload: &Value) {
        match self.relay(click) {
            Ok(Relayed::Recorded | Relayed::Again) => {}
            Ok(Relayed::NotWaiting) => self.tell_clicker(
                payload,
                &format!(
                    "gate: request {} is not waiting for approval any more (or waits on another machine). If it still waits, react with :{APPROVE}: or :{DENY}: on it.",
                    click.request.escape_debug()
                ),
            ),
            Err(why) => {
                crate::ui::note(&format!(
                    "slack: a click for request {} reached this gate process and could not be passed on: {why}",
                    click.request.escape_debug()
                ));
                self.tell_clicker(
                    payload,
                    &format!(
                        "gate: your click reached another waiting gate process, which could not pass it on. Please react with :{APPROVE}: or :{DENY}: on the request instead."
                    ),
                );
            }
        }
    }

    /// Wait `delay` (or until settled: `Ok(true)`); in socket mode, serve the socket meanwhile.
    fn pause(
        &self,
        shared: &Shared,
        tx: &Sender<Message>,
        watch: &mut Watch,
        delay: Duration,
    ) -> Result<bool, Fail> {
        let Some(app_token) = &self.app_token else {
            return Ok(shared.wait(delay));
        };
        let patience = |d: Duration| !shared.wait(d);
        let end = Instant::now() + delay;
        loop {
            if shared.is_done() {
                return Ok(true);
            }
            if let (Some(ledger), Some(card)) = (self.ledger.as_deref(), &watch.card)
                && watch.looked.elapsed() >= PICKUP
            {
                let card = card.clone();
                let got = self.pick_up(
                    ledger,
                    &shared.request.id,
                    &card,
                    &mut watch.tally,
                    &mut watch.pickup,
                    &patience,
                )?;
                watch.looked = Instant::now();
                for msg in got {
                    let _ = tx.send(msg);
                }
            }
            let now = Instant::now();
            if now >= end {
                return Ok(false);
            }
            let slice = (end - now).min(PICKUP);
            let link = &mut watch.link;
            match link.socket.as_mut() {
                None if now >= link.retry_at => match self.open_socket(app_token, &patience) {
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
                    // Reactions are polled on one host (events need a subscription there).
                    Ok(None) | Ok(Some(Envelope::Other | Envelope::Event(_))) => {}
                    Ok(Some(Envelope::Interactive(payload))) => {
                        self.click(shared, tx, watch, &payload)?
                    }
                    Ok(Some(Envelope::Reconnect(why))) => {
                        crate::ui::debug(&format!("slack socket: {why}"));
                        if let Some(old) = link.socket.take() {
                            old.close();
                        }
                        link.retry_at = Instant::now() + reconnect_after(&why);
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

    fn open_socket(
        &self,
        app_token: &str,
        patience: &dyn Fn(Duration) -> bool,
    ) -> Result<Socket, Fail> {
        let v = self
            .call_as(
                app_token,
                "apps.connections.open",
                &Body::Form(Vec::new()),
                patience,
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
        let tally = Tally {
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
        let mut watch = Watch {
            tally,
            link: Link {
                socket: None,
                retry_at: Instant::now(),
                failures: 0,
            },
            card: None,
            pickup: Pickup {
                seen: 0,
                clicks: HashSet::new(),
            },
            looked: Instant::now(),
        };
        let buttons = self.app_token.is_some();
        if let Some(app_token) = &self.app_token {
            // Connect before posting, so that no click arrives before gate listens.
            watch.link.socket = Some(self.open_socket(app_token, &patience).map_err(at_start)?);
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
        watch.card = Some(Card {
            channel: channel.to_string(),
            ts: ts.to_string(),
        });
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
            let result = self.pause(shared, tx, &mut watch, delay);
            if !matches!(result, Ok(false)) {
                if let Some(sock) = watch.link.socket.take() {
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
                    match self.consider(&mut watch.tally, user, approve, &patience) {
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

/// What a waiting request keeps while it serves its socket.
struct Watch {
    tally: Tally,
    link: Link,
    /// The card posted, once it is.
    card: Option<Card>,
    pickup: Pickup,
    /// When the ledger was last looked at for relayed clicks.
    looked: Instant,
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
