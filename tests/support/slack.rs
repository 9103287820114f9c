//! A fake Slack Web API speaking the documented shapes (JSON or form bodies, `Authorization:
//! Bearer`), with scripted people reacting to the approval message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::http::{self, HttpRequest, HttpResponse};

pub const TOKEN: &str = "xoxb-test-token";
pub const CHANNEL: &str = "C0GATE";
pub const TS: &str = "1700000000.000100";

/// Someone who reacts once `reactions.get` has been answered `after` times.
#[derive(Clone)]
pub struct Reaction {
    pub after: u32,
    pub name: &'static str,
    pub user: &'static str,
}

pub fn react(after: u32, name: &'static str, user: &'static str) -> Reaction {
    Reaction { after, name, user }
}

#[derive(Clone, Default)]
pub struct Script {
    pub reactions: Vec<Reaction>,
    /// The first N `reactions.get` calls are answered 429 with `Retry-After: 1`.
    pub rate_limited: u32,
    /// After N answered polls the message is gone (`message_not_found`).
    pub delete_after: Option<u32>,
    /// Socket Mode: `apps.connections.open` hands out a ws:// URL; the first connection is asked
    /// to reconnect, the second delivers `clicks` once the message is posted.
    pub clicks: Vec<Click>,
    /// Socket Mode as Slack runs it for an app with many connections: no scripted clicks; every
    /// connection stays open, and the test hands each click to one of them with
    /// [`FakeSlack::deliver`] (a random one, a chosen one, or any but the poster's).
    pub routed: bool,
}

/// Which open Socket Mode connection [`FakeSlack::deliver`] hands an envelope to. A connection
/// is labelled by its app token: `xapp-test-token-LABEL` (see [`app_token`]).
#[derive(Clone, Debug)]
pub enum To {
    /// Any open connection, chosen at random (as Slack does).
    Random,
    /// A connection opened with this label's app token.
    Label(String),
    /// Any open connection but those with this label, chosen at random.
    NotLabel(String),
}

/// The app token of a gate process whose Socket Mode connection is labelled `label`.
pub fn app_token(label: &str) -> String {
    format!("{APP_TOKEN}-{label}")
}

/// A message `chat.postMessage` posted: its ts, the request id of its buttons, its params.
#[derive(Clone, Debug)]
pub struct Post {
    pub ts: String,
    pub request: Option<String>,
    pub params: Value,
}

/// Slack keeps at most this many Socket Mode connections open per app; more are told
/// `too_many_websockets` and closed.
pub const MAX_LINKS: usize = 10;

/// An open routed connection: its number, label, and where to send its envelopes.
struct Link {
    n: u32,
    label: String,
    tx: std::sync::mpsc::Sender<String>,
}

/// A button click: `value: None` clicks the posted request's button, `Some(v)` another's.
#[derive(Clone)]
pub struct Click {
    pub user: &'static str,
    pub action: &'static str,
    pub value: Option<&'static str>,
}

pub const APP_TOKEN: &str = "xapp-test-token";

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub at: Instant,
    pub params: Value,
    pub auth: Option<String>,
}

struct State {
    script: Script,
    polls: u32,
    calls: Vec<Call>,
    ws_url: String,
    ws_connections: u32,
    acks: Vec<String>,
    responded: Vec<Value>,
    /// When each click envelope was sent (wall clock, to compare with the command's start).
    clicks_sent: Vec<std::time::SystemTime>,
    posts: Vec<Post>,
    /// The label of each `apps.connections.open` ticket, by ticket number.
    tickets: Vec<String>,
    links: Vec<Link>,
    /// Connections refused because [`MAX_LINKS`] were open.
    too_many: u32,
    /// The state of the random choice of a connection (xorshift).
    rng: u64,
    envelopes: u32,
}

pub struct FakeSlack {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn user(id: &str, extra: Value) -> Value {
    let mut u = json!({
        "id": id, "team_id": "T1", "name": id.to_lowercase(), "deleted": false,
        "is_bot": false, "is_restricted": false, "is_ultra_restricted": false,
        "profile": {"email": format!("{}@example.com", id.trim_start_matches('U').to_lowercase())},
    });
    for (k, v) in extra.as_object().unwrap() {
        u[k] = v.clone();
    }
    u
}

fn users() -> HashMap<&'static str, Value> {
    HashMap::from([
        ("UALICE", user("UALICE", json!({}))),
        ("UBOB", user("UBOB", json!({}))),
        ("UCAROL", user("UCAROL", json!({}))),
        ("UREQ", user("UREQ", json!({}))),
        ("UROBOT", user("UROBOT", json!({"is_bot": true}))),
        ("UGUEST", user("UGUEST", json!({"is_restricted": true}))),
        ("UOTHER", user("UOTHER", json!({"team_id": "T2"}))),
        ("UGONE", user("UGONE", json!({"deleted": true}))),
    ])
}

fn params(req: &HttpRequest) -> Value {
    let ct = req.header("content-type").unwrap_or("");
    if ct.starts_with("application/json") {
        serde_json::from_slice(&req.body).unwrap_or(Value::Null)
    } else {
        let mut m = Map::new();
        for (k, v) in http::form(&req.body_text()) {
            m.insert(k, Value::String(v));
        }
        Value::Object(m)
    }
}

fn ok(v: Value) -> HttpResponse {
    let mut v = v;
    v["ok"] = json!(true);
    HttpResponse::json(200, v)
}

fn err(code: &str) -> HttpResponse {
    HttpResponse::json(200, json!({"ok": false, "error": code}))
}

impl FakeSlack {
    pub fn start(script: Script) -> Self {
        let state = Arc::new(Mutex::new(State {
            script,
            polls: 0,
            calls: Vec::new(),
            ws_url: String::new(),
            ws_connections: 0,
            acks: Vec::new(),
            responded: Vec::new(),
            clicks_sent: Vec::new(),
            posts: Vec::new(),
            tickets: Vec::new(),
            links: Vec::new(),
            too_many: 0,
            rng: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1,
            envelopes: 0,
        }));
        let s = Arc::clone(&state);
        let url = http::serve(Arc::new(move |req: &HttpRequest| handle(&s, req)));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        state.lock().unwrap().ws_url = format!("ws://{}/link", listener.local_addr().unwrap());
        let s = Arc::clone(&state);
        let http_base = url.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = Arc::clone(&s);
                let base = http_base.clone();
                std::thread::spawn(move || socket(&s, stream, &base));
            }
        });
        FakeSlack {
            url: format!("{url}/api"),
            state,
        }
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        let st = self.state.lock().unwrap();
        st.calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    pub fn clicks_sent(&self) -> Vec<std::time::SystemTime> {
        self.state.lock().unwrap().clicks_sent.clone()
    }

    pub fn acks(&self) -> Vec<String> {
        self.state.lock().unwrap().acks.clone()
    }

    pub fn ws_connections(&self) -> u32 {
        self.state.lock().unwrap().ws_connections
    }

    /// What was sent to interactions' `response_url`.
    pub fn responded(&self) -> Vec<Value> {
        self.state.lock().unwrap().responded.clone()
    }

    /// Every message posted, in order.
    pub fn posts(&self) -> Vec<Post> {
        self.state.lock().unwrap().posts.clone()
    }

    /// How many connections were refused because [`MAX_LINKS`] were open.
    pub fn too_many(&self) -> u32 {
        self.state.lock().unwrap().too_many
    }

    /// The labels of the routed connections open now, in the order they opened.
    pub fn open_links(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.links.iter().map(|l| l.label.clone()).collect()
    }

    /// A `block_actions` payload as Slack sends it for a click by `user` on a button
    /// (`gate_approve` / `gate_deny`) of the posted message `post`, with a fresh `action_ts`.
    pub fn click_payload(&self, post: &Post, user: &str, action: &str) -> Value {
        let request = post.request.clone().unwrap_or_default();
        let n = {
            let mut st = self.state.lock().unwrap();
            st.envelopes += 1;
            st.envelopes
        };
        let base = self.url.trim_end_matches("/api");
        json!({
            "type": "block_actions",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1", "domain": "acme"},
            "api_app_id": "A1",
            "container": {"type": "message", "message_ts": post.ts, "channel_id": CHANNEL},
            "channel": {"id": CHANNEL, "name": "deploys"},
            "message": {"ts": post.ts, "type": "message"},
            "response_url": format!("{base}/respond"),
            "trigger_id": format!("trigger-{n}"),
            "actions": [{"action_id": action, "block_id": "gate_vote", "value": request,
                         "type": "button", "action_ts": format!("1700000100.{n:06}")}],
        })
    }

    /// Hand an `interactive` envelope with `payload` to one open routed connection (see
    /// [`To`]) and wait up to 3 s for its acknowledgement; a connection that closes before it
    /// acknowledges gets it no more, and another is chosen (as Slack retries). The label of the
    /// connection that took it, and whether one acknowledged it.
    pub fn deliver(&self, to: &To, payload: &Value) -> (String, bool) {
        self.deliver_envelope(to, "interactive", payload)
    }

    /// [`FakeSlack::deliver`] of an `events_api` envelope (a `reaction_added` event, …).
    pub fn deliver_event(&self, to: &To, event: &Value) -> (String, bool) {
        let payload = json!({
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "event_id": format!("Ev{}", self.state.lock().unwrap().envelopes + 1),
        });
        self.deliver_envelope(to, "events_api", &payload)
    }

    fn deliver_envelope(&self, to: &To, kind: &str, payload: &Value) -> (String, bool) {
        let mut last = String::new();
        for _ in 0..3 {
            let (n, label, id) = {
                let mut st = self.state.lock().unwrap();
                let fits: Vec<usize> = st
                    .links
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| match to {
                        To::Random => true,
                        To::Label(want) => l.label == *want,
                        To::NotLabel(not) => l.label != *not,
                    })
                    .map(|(i, _)| i)
                    .collect();
                assert!(!fits.is_empty(), "no open connection fits {to:?}");
                st.rng ^= st.rng << 13;
                st.rng ^= st.rng >> 7;
                st.rng ^= st.rng << 17;
                let i = fits[(st.rng % fits.len() as u64) as usize];
                st.envelopes += 1;
                let id = format!("env-r{}", st.envelopes);
                let envelope = json!({
                    "envelope_id": id,
                    "type": kind,
                    "accepts_response_payload": false,
                    "payload": payload,
                });
                st.clicks_sent.push(std::time::SystemTime::now());
                let link = &st.links[i];
                let _ = link.tx.send(envelope.to_string());
                (link.n, link.label.clone(), id)
            };
            let sent = Instant::now();
            while sent.elapsed() < std::time::Duration::from_secs(3) {
                if self.acks().contains(&id) {
                    return (label, true);
                }
                if !self.state.lock().unwrap().links.iter().any(|l| l.n == n) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            last = label;
        }
        (last, false)
    }

    pub fn posted(&self) -> Value {
        self.calls("chat.postMessage")
            .first()
            .expect("a message was posted")
            .params
            .clone()
    }

    /// The text of every `chat.update` (fallback text and blocks), in order.
    pub fn updates(&self) -> Vec<String> {
        self.calls("chat.update")
            .iter()
            .map(|c| c.params.to_string())
            .collect()
    }
}

/// One Socket Mode connection, as Slack's side of it.
// The handshake callback's error type is tungstenite's.
#[allow(clippy::result_large_err)]
fn socket(state: &Mutex<State>, stream: std::net::TcpStream, http_base: &str) {
    use tungstenite::Message;
    let mut path = String::new();
    let Ok(mut ws) = tungstenite::accept_hdr(
        stream,
        |req: &tungstenite::handshake::server::Request,
         resp: tungstenite::handshake::server::Response| {
            path = req.uri().to_string();
            Ok(resp)
        },
    ) else {
        return;
    };
    if state.lock().unwrap().script.routed {
        return routed(state, ws, &path);
    }
    let n = {
        let mut st = state.lock().unwrap();
        st.ws_connections += 1;
        st.ws_connections
    };
    let _ = ws
        .get_ref()
        .set_read_timeout(Some(std::time::Duration::from_millis(50)));
    let _ = ws.send(Message::text(
        json!({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
            .to_string(),
    ));
    if n == 1 {
        let _ = ws.send(Message::text(
            json!({"type": "disconnect", "reason": "refresh_requested"}).to_string(),
        ));
    }
    let mut sent = n != 2;
    let started = Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        if !sent {
            let (clicks, id) = {
                let st = state.lock().unwrap();
                let id =
                    st.calls
                        .iter()
                        .find(|c| c.method == "chat.postMessage")
                        .and_then(|c| {
                            c.params["blocks"].as_array()?.iter().find_map(|b| {
                                b["elements"][0]["value"].as_str().map(str::to_string)
                            })
                        });
                (st.script.clicks.clone(), id)
            };
            if let Some(id) = id {
                for (i, c) in clicks.iter().enumerate() {
                    let value = c.value.map(str::to_string).unwrap_or_else(|| id.clone());
                    let envelope = json!({
                        "envelope_id": format!("env-{i}"),
                        "type": "interactive",
                        "accepts_response_payload": false,
                        "payload": {
                            "type": "block_actions",
                            "user": {"id": c.user, "team_id": "T1"},
                            "team": {"id": "T1"},
                            "response_url": format!("{http_base}/respond"),
                            "container": {"type": "message", "message_ts": TS,
                                          "channel_id": CHANNEL},
                            "channel": {"id": CHANNEL},
                            "message": {"ts": TS, "type": "message"},
                            "actions": [{"action_id": c.action, "block_id": "gate_vote",
                                         "value": value, "type": "button",
                                         "action_ts": format!("1700000050.{i:06}")}],
                        },
                    });
                    state
                        .lock()
                        .unwrap()
                        .clicks_sent
                        .push(std::time::SystemTime::now());
                    let _ = ws.send(Message::text(envelope.to_string()));
                    // Slack waits for the acknowledgement (3 s) before it gives up on it.
                    let sent_at = Instant::now();
                    while sent_at.elapsed() < std::time::Duration::from_secs(3) {
                        match ws.read() {
                            Ok(Message::Text(t)) => {
                                if let Ok(v) = serde_json::from_str::<Value>(&t)
                                    && let Some(id) = v["envelope_id"].as_str()
                                {
                                    state.lock().unwrap().acks.push(id.to_string());
                                    break;
                                }
                            }
                            Ok(Message::Close(_)) => return,
                            Ok(_) => {}
                            Err(tungstenite::Error::Io(e))
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(_) => return,
                        }
                    }
                }
                sent = true;
            }
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&t)
                    && let Some(id) = v["envelope_id"].as_str()
                {
                    state.lock().unwrap().acks.push(id.to_string());
                }
            }
            Ok(Message::Close(_)) => return,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// A routed connection: registered under its ticket's label until it closes; sends what
/// [`FakeSlack::deliver`] queues for it and records acknowledgements.
fn routed(state: &Mutex<State>, mut ws: tungstenite::WebSocket<std::net::TcpStream>, path: &str) {
    use tungstenite::Message;
    let label = {
        let st = state.lock().unwrap();
        path.split_once("ticket=")
            .and_then(|(_, t)| t.parse::<usize>().ok())
            .and_then(|t| st.tickets.get(t).cloned())
            .unwrap_or_default()
    };
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    if state.lock().unwrap().links.len() >= MAX_LINKS {
        // As Slack answers an app's eleventh connection.
        state.lock().unwrap().too_many += 1;
        let _ = ws.send(Message::text(
            json!({"type": "disconnect", "reason": "too_many_websockets"}).to_string(),
        ));
        let _ = ws.close(None);
        let _ = ws.flush();
        return;
    }
    let n = {
        let mut st = state.lock().unwrap();
        st.ws_connections += 1;
        let n = st.ws_connections;
        st.links.push(Link { n, label, tx });
        n
    };
    let _ = ws
        .get_ref()
        .set_read_timeout(Some(std::time::Duration::from_millis(10)));
    let _ = ws.send(Message::text(
        json!({"type": "hello", "num_connections": n, "connection_info": {"app_id": "A1"}})
            .to_string(),
    ));
    loop {
        while let Ok(text) = rx.try_recv() {
            if ws.send(Message::text(text)).is_err() {
                break;
            }
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&t)
                    && let Some(id) = v["envelope_id"].as_str()
                {
                    state.lock().unwrap().acks.push(id.to_string());
                }
            }
            Ok(Message::Close(_)) => break,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    state.lock().unwrap().links.retain(|l| l.n != n);
}

fn handle(state: &Mutex<State>, req: &HttpRequest) -> HttpResponse {
    if req.path == "/respond" {
        let body = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        state.lock().unwrap().responded.push(body);
        return HttpResponse::json(200, json!({"ok": true}));
    }
    let method = req.path.trim_start_matches("/api/").to_string();
    let params = params(req);
    let auth = req.header("authorization").map(str::to_string);
    let mut st = state.lock().unwrap();
    st.calls.push(Call {
        method: method.clone(),
        at: Instant::now(),
        params: params.clone(),
        auth: auth.clone(),
    });
    if method == "apps.connections.open" {
        let label = match auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")) {
            Some(APP_TOKEN) => String::new(),
            Some(t) => match t.strip_prefix(APP_TOKEN).and_then(|l| l.strip_prefix('-')) {
                Some(label) if !label.is_empty() => label.to_string(),
                _ => return err("invalid_auth"),
            },
            None => return err("invalid_auth"),
        };
        st.tickets.push(label);
        let ticket = st.tickets.len() - 1;
        return ok(json!({"url": format!("{}?ticket={ticket}", st.ws_url)}));
    }
    match auth.as_deref() {
        None => return err("not_authed"),
        Some(a) if a != format!("Bearer {TOKEN}") => return err("invalid_auth"),
        _ => {}
    }
    match method.as_str() {
        "auth.test" => ok(json!({"url": "https://acme.slack.com/", "team": "Acme",
            "user": "gatebot", "team_id": "T1", "user_id": "UGATEBOT", "bot_id": "BGATE"})),
        "conversations.info" => {
            if params["channel"] != CHANNEL {
                return err("channel_not_found");
            }
            ok(
                json!({"channel": {"id": CHANNEL, "name": "deploys", "is_channel": true,
                "is_archived": false, "is_member": true}}),
            )
        }
        "chat.postMessage" => {
            if params["channel"] != CHANNEL {
                return err("channel_not_found");
            }
            // As the Web API documents it: `blocks`, when given, is a non-empty array;
            // without blocks the message needs `text` (error `no_text`).
            if params.get("blocks").is_none() {
                if params["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
                    return err("no_text");
                }
            } else if params["blocks"].as_array().is_none_or(|b| b.is_empty()) {
                return err("invalid_blocks");
            }
            // The first message is TS, later ones follow it.
            let ts = format!("1700000000.{:06}", 100 + st.posts.len());
            let request = params["blocks"].as_array().and_then(|b| {
                b.iter()
                    .find_map(|b| b["elements"][0]["value"].as_str().map(str::to_string))
            });
            st.posts.push(Post {
                ts: ts.clone(),
                request,
                params: params.clone(),
            });
            ok(json!({"channel": CHANNEL, "ts": ts, "message": {"text": params["text"]}}))
        }
        "reactions.get" => {
            if params["channel"] != CHANNEL
                || !st
                    .posts
                    .iter()
                    .any(|p| params["timestamp"] == p.ts.as_str())
            {
                return err("message_not_found");
            }
            st.polls += 1;
            if st.polls <= st.script.rate_limited {
                return HttpResponse::json(429, json!({"ok": false, "error": "ratelimited"}))
                    .with_header("Retry-After", "1");
            }
            let answered = st.polls - st.script.rate_limited;
            if st.script.delete_after.is_some_and(|n| answered > n) {
                return err("message_not_found");
            }
            let mut by_name: Vec<(String, Vec<String>)> = Vec::new();
            for r in st.script.reactions.iter().filter(|r| r.after < answered) {
                match by_name.iter_mut().find(|(n, _)| n == r.name) {
                    Some((_, users)) => users.push(r.user.into()),
                    None => by_name.push((r.name.into(), vec![r.user.into()])),
                }
            }
            let reactions: Vec<Value> = by_name
                .into_iter()
                .map(|(name, users)| json!({"name": name, "count": users.len(), "users": users}))
                .collect();
            let mut message = json!({"type": "message", "ts": params["timestamp"], "text": "gate"});
            if !reactions.is_empty() {
                message["reactions"] = json!(reactions);
            }
            ok(json!({"type": "message", "channel": CHANNEL, "message": message}))
        }
        "users.info" => {
            let id = params["user"].as_str().unwrap_or("");
            match users().get(id) {
                Some(u) => ok(json!({"user": u})),
                None => err("user_not_found"),
            }
        }
        "chat.update" => {
            if st.script.delete_after.is_some() {
                return err("message_not_found");
            }
            ok(json!({"channel": params["channel"], "ts": params["ts"]}))
        }
        _ => err("unknown_method"),
    }
}
