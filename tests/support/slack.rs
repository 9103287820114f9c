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
fn socket(state: &Mutex<State>, stream: std::net::TcpStream, http_base: &str) {
    use tungstenite::Message;
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
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
                            "actions": [{"action_id": c.action, "block_id": "gate_vote",
                                         "value": value, "type": "button"}],
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
        return match auth.as_deref() {
            Some(a) if a == format!("Bearer {APP_TOKEN}") => ok(json!({"url": st.ws_url})),
            _ => err("invalid_auth"),
        };
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
            ok(json!({"channel": CHANNEL, "ts": TS, "message": {"text": params["text"]}}))
        }
        "reactions.get" => {
            if params["channel"] != CHANNEL || params["timestamp"] != TS {
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
            let mut message = json!({"type": "message", "ts": TS, "text": "gate"});
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
