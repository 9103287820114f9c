//! The Events API over HTTP for `gate slack serve --http ADDR`: Slack POSTs interactions
//! (`payload=` forms: button clicks) and events (JSON: `reaction_added`, and the
//! `url_verification` handshake) to the relay, signed with the app's signing secret. Every
//! request must carry `X-Slack-Request-Timestamp` within five minutes of now and
//! `X-Slack-Signature: v0=HEX`, HMAC-SHA256 of `v0:TIMESTAMP:BODY` under the secret (Slack's
//! documented scheme), compared in constant time; anything else is answered 401 and never read
//! as a click. Put TLS in front (a reverse proxy): Slack only calls `https://` URLs.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// How far a request's timestamp may be from now (Slack's advice: replays older than this are
/// refused).
const SKEW: u64 = 300;

/// The largest body read.
const MAX_BODY: usize = 1 << 20;

/// What a request carried, once its signature checked out.
#[derive(Debug, PartialEq)]
pub enum Inbound {
    /// A `block_actions` (or other interaction) payload.
    Interactive(Value),
    /// An `event_callback` body.
    Event(Value),
    /// Anything else signed (`url_verification` is answered here).
    Other,
}

pub struct Inbox {
    server: tiny_http::Server,
    secret: Vec<u8>,
    pub addr: String,
}

/// Why a request was refused.
fn refuse(req: tiny_http::Request, code: u16, why: &str) -> String {
    let _ = req.respond(tiny_http::Response::from_string(why).with_status_code(code));
    why.to_string()
}

impl Inbox {
    pub fn bind(addr: &str, secret: &str) -> Result<Inbox, String> {
        let server =
            tiny_http::Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .map_or_else(|| addr.to_string(), |a| a.to_string());
        Ok(Inbox {
            server,
            secret: secret.as_bytes().to_vec(),
            addr,
        })
    }

    /// The next request within `wait`: `Ok(None)` when none came, `Err` (already answered) for
    /// one that was refused, with why.
    pub fn recv(&self, wait: Duration) -> Result<Option<Inbound>, String> {
        let Ok(Some(mut req)) = self.server.recv_timeout(wait) else {
            return Ok(None);
        };
        if *req.method() != tiny_http::Method::Post {
            return Err(refuse(req, 405, "POST only"));
        }
        fn header(req: &tiny_http::Request, name: &'static str) -> Option<String> {
            req.headers()
                .iter()
                .find(|h| h.field.equiv(name))
                .map(|h| h.value.as_str().to_string())
        }
        let (Some(ts), Some(sig)) = (
            header(&req, "X-Slack-Request-Timestamp"),
            header(&req, "X-Slack-Signature"),
        ) else {
            return Err(refuse(req, 401, "unsigned: no X-Slack-Signature"));
        };
        let form = header(&req, "Content-Type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let mut body = Vec::new();
        if req
            .as_reader()
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .is_err()
            || body.len() > MAX_BODY
        {
            return Err(refuse(req, 413, "the body is unreadable or too large"));
        }
        if let Err(why) = verify(&self.secret, &ts, &body, &sig, now()) {
            return Err(refuse(req, 401, &why));
        }
        let parsed = if form {
            form_value(&body, "payload")
                .and_then(|p| serde_json::from_str::<Value>(&p).ok())
                .map(Inbound::Interactive)
        } else {
            serde_json::from_slice::<Value>(&body).ok().map(|v| {
                if v["type"] == "event_callback" {
                    Inbound::Event(v)
                } else {
                    Inbound::Other
                }
            })
        };
        let Some(inbound) = parsed else {
            return Err(refuse(req, 400, "neither an interaction nor an event"));
        };
        // The handshake Slack makes when the URL is set: echo its challenge.
        let challenge = (!form)
            .then(|| serde_json::from_slice::<Value>(&body).ok())
            .flatten()
            .filter(|v| v["type"] == "url_verification")
            .and_then(|v| v["challenge"].as_str().map(str::to_string));
        let response = match challenge {
            Some(c) => tiny_http::Response::from_string(c),
            None => tiny_http::Response::from_string(""),
        };
        let _ = req.respond(response);
        Ok(Some(inbound))
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Slack's v0 signature over `body` sent at `ts`, checked against `sig` (`v0=HEX`).
pub fn verify(secret: &[u8], ts: &str, body: &[u8], sig: &str, now: u64) -> Result<(), String> {
    let t: u64 = ts
        .trim()
        .parse()
        .map_err(|_| format!("X-Slack-Request-Timestamp `{ts}` is no time"))?;
    if t.abs_diff(now) > SKEW {
        return Err(format!(
            "X-Slack-Request-Timestamp {t} is {} s from now: refused as a replay",
            t.abs_diff(now)
        ));
    }
    let hex = sig
        .strip_prefix("v0=")
        .ok_or("X-Slack-Signature is not v0=HEX")?;
    let want = ::hex::decode(hex).map_err(|_| "X-Slack-Signature is not v0=HEX".to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|e| e.to_string())?;
    mac.update(format!("v0:{t}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&want)
        .map_err(|_| "the signature is not the signing secret's".to_string())
}

/// The value of `key` in an `application/x-www-form-urlencoded` body.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (decode(k)? == key).then(|| decode(v)).flatten()
    })
}

/// Percent-decoding, `+` as a space.
fn decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], ts: u64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        format!("v0={}", ::hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn only_a_fresh_signature_by_the_secret_checks_out() {
        let body = b"payload=%7B%7D";
        let good = sign(b"s3cret", 1_000_000, body);
        assert!(verify(b"s3cret", "1000000", body, &good, 1_000_010).is_ok());
        // Another secret, another body, an old timestamp, no v0= prefix.
        assert!(verify(b"other", "1000000", body, &good, 1_000_010).is_err());
        assert!(verify(b"s3cret", "1000000", b"payload=%7B%20%7D", &good, 1_000_010).is_err());
        let err = verify(b"s3cret", "1000000", body, &good, 1_000_000 + 301).unwrap_err();
        assert!(err.contains("replay"), "{err}");
        assert!(verify(b"s3cret", "1000000", body, &good[3..], 1_000_010).is_err());
    }

    #[test]
    fn form_values_are_percent_decoded() {
        assert_eq!(
            form_value(b"a=1&payload=%7B%22x%22%3A+1%7D", "payload").as_deref(),
            Some("{\"x\": 1}")
        );
        assert_eq!(form_value(b"payload=%zz", "payload"), None);
    }
}
