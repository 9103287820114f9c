//! `gate slack serve`: the fleet's Slack relay. In a fleet no host holds the Slack tokens; one
//! or two relays do (one Socket Mode connection each, one rate budget). A relay connects to the
//! fleet as a login role in group `gate_relay`, watches the waits that ask for Slack
//! (`gate.waits`, woken by `gate_asks`), posts each waiting request's card once (the relay whose
//! `gate.relay_claim` wins posts it), and appends every click on a card as a vote of
//! `slack:U…` to its own stream through `gate.relay_vote` (only `gate_relay` may call it; it
//! checks the click was on that request's card and records one click once, whichever relay
//! Slack handed it to). The waiting host counts relay votes like its own clicks (see
//! `approve::fleet`). Reactions (✅ approve, ❌ deny) arrive as `reaction_added` events over the
//! same connection and are recorded the same way, unpolled. A card whose request stopped
//! waiting is closed. With `--http ADDR` the clicks and reactions come over the Events API
//! instead, each request checked against the app's signing secret (see `events_http`).

use crate::fleet::typed::Typed;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use postgres::fallible_iterator::FallibleIterator;
use serde_json::{Value, json};

use super::api::{Body, wait_out};
use super::people::Person;
use super::relay::Click;
use super::render::{blocks, fallback, final_state};
use super::socket::{Envelope, Socket};
use super::{Fail, Slack};
use crate::approve::{Outcome, Request, RuleLine};
use crate::context::Requester;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::fleet::Fleet;
use crate::policy::{Risk, SlackMode};

/// How often the waits are read again when no `gate_asks` notification came.
const RESCAN: Duration = Duration::from_secs(1);

/// How long a card whose wait is gone waits for the host's verdict to reach the fleet.
const VERDICT_PATIENCE: Duration = Duration::from_secs(30);

/// How a request ended, from its `verdict` event's data.
fn outcome(v: &Value) -> Option<Outcome> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let channel = text("channel").unwrap_or_default();
    Some(match v.get("outcome")?.as_str()? {
        "approved" => Outcome::Approved {
            by: v
                .get("by")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|b| b.as_str().map(str::to_string))
                .collect(),
            channel,
        },
        "denied" => Outcome::Denied {
            by: text("by").unwrap_or_default(),
            channel,
            comment: None,
        },
        "expired" => Outcome::Expired,
        "cancelled" => Outcome::Cancelled,
        _ => return None,
    })
}

struct Relay {
    slack: Slack,
    fleet: Fleet,
    team: String,
    bot: String,
    /// Slack users looked up so far (`users.info`).
    people: HashMap<String, Person>,
    /// When each open card's wait was first seen gone (the verdict is shipped by its host
    /// soon after).
    gone: HashMap<String, Instant>,
}

/// Run the relay until SIGINT or SIGTERM.
pub fn serve(http: Option<String>) -> Result<Exit> {
    let policy = crate::pipeline::prepare::load_policy(None)?;
    let cfg = policy.slack.as_ref().ok_or_else(|| {
        Error::Config(
            "`gate slack serve` needs [slack] in the policy (channel, api_base, mode = \"socket\")"
                .into(),
        )
    })?;
    if http.is_none() && cfg.mode != SlackMode::Socket {
        return Err(Error::Config(
            "`gate slack serve` receives clicks over Socket Mode (set [slack] mode = \"socket\" and the app token) or over HTTP (`--http ADDR` and GATE_SLACK_SIGNING_SECRET)".into(),
        ));
    }
    let slack = Slack::open(cfg, None, None).map_err(Error::Config)?;
    // Over HTTP: Slack's signing secret checks every request; no app token is needed.
    let inbox = match &http {
        Some(addr) => {
            let secret = crate::env_vars::text(crate::env_vars::GATE_SLACK_SIGNING_SECRET)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    Error::Config(format!(
                        "`gate slack serve --http` needs the app's signing secret in {} (Slack app settings, Basic Information)",
                        crate::env_vars::GATE_SLACK_SIGNING_SECRET
                    ))
                })?;
            Some(super::events_http::Inbox::bind(addr, secret.trim()).map_err(Error::Unavailable)?)
        }
        None => None,
    };
    let app_token = match &inbox {
        Some(_) => String::new(),
        None => slack
            .app_token
            .clone()
            .ok_or_else(|| Error::Config("socket mode needs the app token".into()))?,
    };
    let mut fleet = Fleet::open()?;
    let role: String = fleet
        .client
        .q_one(
            "SELECT session_user::text, pg_has_role(session_user, 'gate_relay', 'MEMBER')",
            &[],
        )
        .map_err(|e| fleet.err(&e))
        .and_then(|r| {
            if r.get::<_, bool>(1) {
                Ok(r.get(0))
            } else {
                let me: String = r.get(0);
                Err(Error::Unavailable(format!(
                    "role {me} is not a gate relay: an administrator runs GRANT gate_relay TO {me}"
                )))
            }
        })?;
    let auth = slack
        .call("auth.test", &Body::Form(Vec::new()), &wait_out)
        .map_err(|e| Error::Unavailable(format!("slack: {}", e.message())))?;
    let s = |k: &str| {
        auth.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut relay = Relay {
        team: s("team_id"),
        bot: s("user_id"),
        slack,
        fleet,
        people: HashMap::new(),
        gone: HashMap::new(),
    };
    if relay.team.is_empty() {
        return Err(Error::Unavailable(
            "slack: auth.test names no workspace (team_id)".into(),
        ));
    }
    relay
        .fleet
        .client
        .batch_execute("LISTEN gate_asks")
        .map_err(|e| relay.fleet.err(&e))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    let mut socket = match &inbox {
        Some(_) => None,
        None => Some(relay.connect(&app_token)?),
    };
    crate::ui::note(&format!(
        "gate slack serve: relaying Slack {} for the fleet {} as role {role}{}",
        relay.slack.cfg.channel,
        relay.fleet.target.display(),
        inbox
            .as_ref()
            .map(|i| format!(", taking Slack's requests on http://{}", i.addr))
            .unwrap_or_default()
    ));
    let mut scanned = Instant::now() - RESCAN;
    let mut retry_at = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if scanned.elapsed() >= RESCAN || relay.woken()? {
            relay.scan()?;
            scanned = Instant::now();
        }
        if let Some(inbox) = &inbox {
            use super::events_http::Inbound;
            match inbox.recv(Duration::from_millis(100)) {
                Ok(None) | Ok(Some(Inbound::Other)) => {}
                Ok(Some(Inbound::Interactive(payload))) => relay.clicked(&payload)?,
                Ok(Some(Inbound::Event(payload))) => relay.reacted(&payload)?,
                Err(why) => crate::ui::note(&format!("gate slack serve: refused a request: {why}")),
            }
            continue;
        }
        match socket.as_mut() {
            None if Instant::now() >= retry_at => match relay.connect(&app_token) {
                Ok(s) => socket = Some(s),
                Err(e) => {
                    crate::ui::note(&format!("gate slack serve: {e}"));
                    retry_at = Instant::now() + Duration::from_secs(2);
                }
            },
            None => std::thread::sleep(Duration::from_millis(100)),
            Some(sock) => match sock.recv(Duration::from_millis(100)) {
                Ok(None) | Ok(Some(Envelope::Other)) => {}
                Ok(Some(Envelope::Interactive(payload))) => relay.clicked(&payload)?,
                Ok(Some(Envelope::Event(payload))) => relay.reacted(&payload)?,
                Ok(Some(Envelope::Reconnect(why))) => {
                    crate::ui::note(&format!("gate slack serve: {why}"));
                    if let Some(old) = socket.take() {
                        old.close();
                    }
                    retry_at = Instant::now() + super::reconnect_after(&why);
                }
                Err(m) => {
                    crate::ui::note(&format!("gate slack serve: {m}"));
                    socket = None;
                    retry_at = Instant::now() + Duration::from_secs(1);
                }
            },
        }
    }
    if let Some(sock) = socket {
        sock.close();
    }
    Ok(Exit::Success)
}

fn risk(name: &str) -> Risk {
    match name {
        "low" => Risk::Low,
        "high" => Risk::High,
        "critical" => Risk::Critical,
        _ => Risk::Medium,
    }
}

impl Relay {
    fn connect(&self, app_token: &str) -> Result<Socket> {
        self.slack
            .open_socket(app_token, &wait_out)
            .map_err(|e| Error::Unavailable(format!("slack socket: {}", e.message())))
    }

    fn db(&self, e: &postgres::Error) -> Error {
        self.fleet.err(e)
    }

    /// Whether a `gate_asks` notification came (drained).
    fn woken(&mut self) -> Result<bool> {
        let target = self.fleet.target.clone();
        let mut n = self.fleet.client.notifications();
        let mut woke = false;
        loop {
            match n.iter().next() {
                Ok(Some(_)) => woke = true,
                Ok(None) => return Ok(woke),
                Err(e) => return Err(crate::fleet::error(&target, &e)),
            }
        }
    }

    /// Post the cards of the waits that ask for Slack and have none; close this relay's cards
    /// whose requests stopped waiting.
    fn scan(&mut self) -> Result<()> {
        let rows = self
            .fleet
            .client
            .q(
                "SELECT w.request, extract(epoch FROM w.expires_at)::float8, w.quorum FROM gate.waits w \
                 WHERE gate.live(w) AND 'slack' = ANY (w.channels) \
                 AND NOT EXISTS (SELECT 1 FROM gate.slack_cards c WHERE c.request = w.request \
                     AND (c.posted IS NOT NULL OR c.claimed > now() - interval '30 seconds'))",
                &[],
            )
            .map_err(|e| self.db(&e))?;
        for row in rows {
            let (id, expires, quorum): (String, f64, i32) = (row.get(0), row.get(1), row.get(2));
            let won: bool = self
                .fleet
                .client
                .q_one(
                    "SELECT gate.relay_claim($1, $2, $3)",
                    &[&id, &self.slack.cfg.api_base, &self.team],
                )
                .map_err(|e| self.db(&e))?
                .get(0);
            // A card that cannot be posted now is left to lapse: its claim is taken over in
            // 30 s (by this relay or the other).
            if won && let Err(e) = self.post(&id, expires, quorum) {
                crate::ui::note(&format!(
                    "gate slack serve: could not post the card of {id}: {e}"
                ));
            }
        }
        self.close_cards()
    }

    /// Close the open cards (this relay's or another's: the app posted them all) whose
    /// requests stopped waiting, with the verdict the host shipped, or after
    /// [`VERDICT_PATIENCE`] without one, saying they stopped waiting. Kept in the fleet, so a
    /// relay that restarted closes what it left open.
    fn close_cards(&mut self) -> Result<()> {
        let rows = self
            .fleet
            .client
            .q(
                "SELECT c.request, c.channel, c.ts, \
                     (SELECT e.data FROM gate.events e WHERE e.request = c.request AND e.kind = 'verdict' \
                      ORDER BY e.gid DESC LIMIT 1) \
                 FROM gate.slack_cards c WHERE c.posted IS NOT NULL AND c.closed IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM gate.waits w WHERE w.request = c.request AND gate.live(w))",
                &[],
            )
            .map_err(|e| self.db(&e))?;
        for row in rows {
            let (id, channel, ts): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            let verdict = row
                .get::<_, Option<&str>>(3)
                .and_then(|d| serde_json::from_str::<Value>(d).ok());
            let state = match verdict.as_ref().and_then(outcome) {
                Some(o) => final_state(Some(&o)),
                None if self
                    .gone
                    .entry(id.clone())
                    .or_insert_with(Instant::now)
                    .elapsed()
                    < VERDICT_PATIENCE =>
                {
                    continue;
                }
                None => ":lock: no longer waiting for approval (settled, expired, or its host stopped waiting)".into(),
            };
            self.gone.remove(&id);
            // One relay closes it.
            let mine: bool = self
                .fleet
                .client
                .q_one("SELECT gate.relay_closed($1)", &[&id])
                .map_err(|e| self.db(&e))?
                .get(0);
            if !mine {
                continue;
            }
            let req = match self.request(&id, 0.0, 1) {
                Ok(r) => r,
                Err(e) => {
                    crate::ui::note(&format!(
                        "gate slack serve: could not close the card of {id}: {e}"
                    ));
                    continue;
                }
            };
            let body = Body::Json(json!({
                "channel": channel,
                "ts": ts,
                "text": fallback(&req, Some(&state)),
                "blocks": blocks(&req, Some(&state), false),
            }));
            if let Err(e) = self.slack.call("chat.update", &body, &wait_out) {
                crate::ui::note(&format!(
                    "gate slack serve: could not close the card of {id}: {}",
                    e.message()
                ));
            }
        }
        Ok(())
    }

    /// What approvers are shown, from the request's events in the fleet.
    fn request(&mut self, id: &str, expires: f64, quorum: i32) -> Result<Request> {
        let rows = self
            .fleet
            .client
            .q(
                "SELECT kind, data FROM gate.events WHERE request = $1 \
                 AND kind IN ('request', 'decision', 'approval_requested') ORDER BY gid",
                &[&id],
            )
            .map_err(|e| self.db(&e))?;
        let mut asked = Value::Null;
        let mut decided = Value::Null;
        let mut approval = Value::Null;
        for r in rows {
            let data: Value = serde_json::from_str(r.get::<_, &str>(1)).unwrap_or(Value::Null);
            match r.get::<_, &str>(0) {
                "request" => asked = data,
                "decision" => decided = data,
                _ => approval = data,
            }
        }
        let requester: Requester =
            serde_json::from_value(asked["requester"].clone()).map_err(|e| Error::Ledger {
                path: self.fleet.target.display(),
                message: format!("request {id} has no readable requester: {e}"),
            })?;
        let words: Vec<String> = asked["command"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect();
        let command = asked["script"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| crate::quote::line(&words));
        let text = |v: &Value| v.as_str().map(str::to_string);
        let rules = decided["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| RuleLine {
                id: text(&r["rule"]).or(text(&r["id"])).unwrap_or_default(),
                message: text(&r["message"]),
                risk: risk(r["risk"].as_str().unwrap_or("")),
            })
            .collect();
        let approvers = approval["approvers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|set| {
                set.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .collect();
        Ok(Request {
            id: id.to_string(),
            command,
            rules,
            opaque: Vec::new(),
            risk: risk(decided["risk"].as_str().unwrap_or("")),
            requester,
            cwd: text(&asked["cwd"]).unwrap_or_default(),
            reason: text(&asked["reason"]),
            ci: None,
            // A closing card is shown the expiry the host recorded.
            expires_at: if expires > 0.0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs_f64(expires)
            } else {
                approval["expires"]
                    .as_str()
                    .and_then(|t| humantime::parse_rfc3339(t).ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH)
            },
            quorum: u32::try_from(quorum).unwrap_or(1),
            approvers,
        })
    }

    fn post(&mut self, id: &str, expires: f64, quorum: i32) -> Result<()> {
        let req = self.request(id, expires, quorum)?;
        let posted = self.slack.call(
            "chat.postMessage",
            &Body::Json(json!({
                "channel": self.slack.cfg.channel,
                "text": fallback(&req, None),
                "blocks": blocks(&req, None, true),
                "unfurl_links": false,
                "unfurl_media": false,
            })),
            &wait_out,
        );
        let v = match posted {
            Ok(v) => v,
            Err(e) => {
                // Another relay takes the claim over once it lapses.
                crate::ui::note(&format!(
                    "gate slack serve: could not post the card of {id}: {}",
                    e.message()
                ));
                return Ok(());
            }
        };
        let (Some(channel), Some(ts)) = (
            v.get("channel").and_then(Value::as_str),
            v.get("ts").and_then(Value::as_str),
        ) else {
            crate::ui::note("gate slack serve: chat.postMessage returned no channel or ts");
            return Ok(());
        };
        self.fleet
            .client
            .q_one(
                "SELECT gate.relay_posted($1, $2, $3)",
                &[&id, &channel, &ts],
            )
            .map_err(|e| self.db(&e))?;
        crate::ui::note(&format!("gate slack serve: posted request {id}"));
        Ok(())
    }

    /// An `events_api` payload: a `reaction_added` of :white_check_mark: or :x: on a card
    /// becomes a relay vote (its `event_ts` tells one reaction delivered twice).
    fn reacted(&mut self, payload: &Value) -> Result<()> {
        let ev = &payload["event"];
        let s = |v: &Value| v.as_str().unwrap_or("").to_string();
        if ev["type"] != "reaction_added" || ev["item"]["type"] != "message" {
            return Ok(());
        }
        let approve = match s(&ev["reaction"]).split("::").next().unwrap_or("") {
            super::APPROVE => true,
            super::DENY => false,
            _ => return Ok(()),
        };
        let (channel, ts) = (s(&ev["item"]["channel"]), s(&ev["item"]["ts"]));
        let card = self
            .fleet
            .client
            .q_opt(
                "SELECT request FROM gate.slack_cards WHERE channel = $1 AND ts = $2 AND posted IS NOT NULL",
                &[&channel, &ts],
            )
            .map_err(|e| self.db(&e))?;
        // A reaction on a message that is no card of the fleet's.
        let Some(card) = card else {
            return Ok(());
        };
        let click = Click {
            request: card.get(0),
            user: s(&ev["user"]),
            team: s(&payload["team_id"]),
            approve,
            action_ts: format!("reaction:{}", s(&ev["event_ts"])),
            channel,
            message_ts: ts,
        };
        self.record(&click, None)
    }

    /// A `block_actions` payload: each gate button click becomes a relay vote.
    fn clicked(&mut self, payload: &Value) -> Result<()> {
        for click in Click::all(payload) {
            self.record(&click, Some(payload))?;
        }
        Ok(())
    }

    /// Append one click or reaction as a vote of this relay; the clicker is told (through the
    /// interaction's `response_url`, when there is one) why it does not count.
    fn record(&mut self, click: &Click, payload: Option<&Value>) -> Result<()> {
        let tell = |slack: &Slack, text: &str| {
            if let Some(p) = payload {
                slack.tell_clicker(p, text);
            }
        };
        if click.user == self.bot || click.user.is_empty() {
            return Ok(());
        }
        let refused = match self.person(&click.user) {
            Some(Person::Approver { .. }) => None,
            Some(Person::Refused(why)) => Some(why.clone()),
            None => {
                tell(
                    &self.slack,
                    "gate: Slack could not tell who you are just now; please click again.",
                );
                return Ok(());
            }
        };
        let email = match self.people.get(&click.user) {
            Some(Person::Approver { email, .. }) => email.clone(),
            _ => None,
        };
        let data = crate::ledger::chain::canonical_value(&json!({
            "approver": format!("slack:{}", click.user),
            "channel": click.channel,
            "verdict": if click.approve { "approve" } else { "deny" },
            "action_ts": click.action_ts,
            "api_base": self.slack.cfg.api_base,
            "team": click.team,
            "message_ts": click.message_ts,
            "email": email,
            "refused": refused,
        }));
        match self.fleet.client.q(
            "SELECT * FROM gate.relay_vote($1, $2)",
            &[&click.request, &data],
        ) {
            Ok(rows) if rows.is_empty() => {
                crate::ui::debug(&format!(
                    "gate slack serve: a click on {} was recorded already",
                    click.request
                ));
            }
            Ok(_) => {}
            Err(e) if e.as_db_error().is_some() => {
                let why = crate::fleet::connect::describe(&e);
                crate::ui::debug(&format!("gate slack serve: not recorded: {why}"));
                tell(
                    &self.slack,
                    &format!("gate: your click does not count: {why}"),
                );
            }
            Err(e) => return Err(self.db(&e)),
        }
        Ok(())
    }

    /// Who a Slack user is, as far as approving goes (looked up once); `None` when Slack could
    /// not say just now.
    fn person(&mut self, user: &str) -> Option<&Person> {
        if !self.people.contains_key(user) {
            match self.slack.person(user, &self.team, &wait_out) {
                Ok(p) => {
                    self.people.insert(user.to_string(), p);
                }
                Err(Fail::Fatal(m)) => {
                    self.people.insert(user.to_string(), Person::Refused(m));
                }
                Err(_) => return None,
            }
        }
        self.people.get(user)
    }
}
