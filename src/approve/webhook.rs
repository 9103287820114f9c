//! The `webhook` channel: gate POSTs the request as JSON to `[webhook] url`, signed with
//! `X-Gate-Signature: sha256=<hex HMAC-SHA256(body)>` keyed by the secret in `$secret_env`.
//!
//! The receiver answers `200 {"decision":"approve"|"deny","approver":"…","comment":"…"}` at
//! once, or `202 {"status_url":"…"}` and gate GETs that URL every `poll_interval` until it
//! answers 200 with such a decision (202 or `{"status":"pending"}` means: still waiting). Each
//! GET is signed over the exact status URL string (there is no body), so a receiver can check
//! that the poll comes from gate. Redirects are never followed; anything else fails the channel.

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{Channel, Message, Request, Shared, Vote};
use crate::policy::WebhookConfig;

pub const SIGNATURE_HEADER: &str = "X-Gate-Signature";

pub struct Webhook {
    cfg: WebhookConfig,
    secret: Vec<u8>,
    http: Client,
}

/// `sha256=<hex HMAC-SHA256(data)>`.
pub fn sign(secret: &[u8], data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(data);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// reqwest's errors, in words a person can act on.
pub fn describe_http_error(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

/// The JSON a receiver gets.
pub fn payload(req: &Request) -> Value {
    json!({
        "id": req.id,
        "command": req.command,
        "rules": req.rules.iter().map(|r| json!({
            "id": r.id, "message": r.message, "risk": r.risk.as_str(),
        })).collect::<Vec<_>>(),
        "opaque": req.opaque,
        "risk": req.risk.as_str(),
        "requester": req.requester,
        "cwd": req.cwd,
        "reason": req.reason,
        "ci": req.ci,
        "quorum": req.quorum,
        "expires": humantime::format_rfc3339_seconds(req.expires_at).to_string(),
    })
}

/// The secret that signs requests, from `$secret_env`.
pub fn secret(cfg: &WebhookConfig) -> Result<Vec<u8>, String> {
    match std::env::var(&cfg.secret_env) {
        Ok(s) if !s.is_empty() => Ok(s.into_bytes()),
        _ => Err(format!(
            "${} is not set: put the shared secret that signs webhook requests in it (or name another variable with [webhook] secret_env)",
            cfg.secret_env
        )),
    }
}

fn client(connect_timeout: Duration, timeout: Duration) -> Result<Client, String> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))
}

/// Whether the receiver at `[webhook] url` answers at all (`gate doctor`): a `HEAD`, given up
/// after `timeout`; any HTTP status counts, since a receiver need only handle POST and GET.
/// What it answered, or why nothing did, with the URL masked (the `sig` of a Power Automate
/// trigger URL is its secret).
pub fn probe(cfg: &WebhookConfig, timeout: Duration) -> Result<String, String> {
    let url = crate::redact::Redactor::new(&[])
        .map(|r| r.text(&cfg.url))
        .unwrap_or_else(|_| crate::redact::MASK.into());
    let resp = client(timeout, timeout)?
        .head(&cfg.url)
        .send()
        .map_err(|e| {
            format!(
                "cannot reach the webhook at {url}: {}",
                describe_http_error(&e)
            )
        })?;
    Ok(format!("{url} answered {}", resp.status()))
}

enum Answer {
    Decision(Vote),
    Pending(Option<String>),
}

impl Webhook {
    pub fn open(cfg: &WebhookConfig) -> Result<Self, String> {
        Ok(Webhook {
            cfg: cfg.clone(),
            secret: secret(cfg)?,
            http: client(Duration::from_secs(5), Duration::from_secs(10))?,
        })
    }

    /// POST a JSON notice that is not an approval request (ledger checkpoints), signed like
    /// every request; any 2xx answer is success.
    pub fn notify(&self, body: &Value) -> Result<(), String> {
        let text = body.to_string();
        let resp = self
            .http
            .post(&self.cfg.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, text.as_bytes()))
            .body(text)
            .send()
            .map_err(|e| {
                format!(
                    "cannot reach the webhook at {}: {}",
                    self.cfg.url,
                    describe_http_error(&e)
                )
            })?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the webhook at {} answered {status}", self.cfg.url))
        }
    }

    /// The configured URL, for messages.
    pub fn url(&self) -> &str {
        &self.cfg.url
    }

    /// Read an answer: a decision, "still pending" (with a status URL from a 202), or why not.
    fn read(&self, what: &str, resp: Response) -> Result<Answer, String> {
        let status = resp.status();
        if status.is_redirection() {
            return Err(format!(
                "{what} answered with a redirect ({status}); gate does not follow redirects: use the final URL"
            ));
        }
        if status != StatusCode::OK && status != StatusCode::ACCEPTED {
            return Err(format!(
                "{what} answered {status} (expected 200 with a decision or 202 with a status_url)"
            ));
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let text = resp
            .text()
            .map_err(|e| format!("{what}: the answer broke off: {e}"))?;
        if status == StatusCode::ACCEPTED && text.trim().is_empty() {
            return Ok(Answer::Pending(location));
        }
        let v: Value = serde_json::from_str(&text).map_err(|_| {
            format!(
                "{what} answered {status} with something that is not JSON: {:?}",
                text.chars().take(80).collect::<String>()
            )
        })?;
        if status == StatusCode::ACCEPTED
            || v.get("status").and_then(Value::as_str) == Some("pending")
        {
            // A `Location` header stands in for `status_url` (Power Automate's asynchronous
            // response answers 202 with one and an empty body).
            let url = v
                .get("status_url")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or(location);
            return Ok(Answer::Pending(url));
        }
        let approve = match v.get("decision").and_then(Value::as_str) {
            Some("approve") => true,
            Some("deny") => false,
            other => {
                return Err(format!(
                    "{what} answered 200 without a valid decision (got {}; expected \"approve\" or \"deny\")",
                    other
                        .map(|d| format!("{d:?}"))
                        .unwrap_or_else(|| "none".into())
                ));
            }
        };
        let approver = v
            .get("approver")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("{what} answered with a decision but no `approver`"))?;
        let aliases = if approver.contains('@') {
            vec![format!("email:{}", approver.to_ascii_lowercase())]
        } else {
            Vec::new()
        };
        Ok(Answer::Decision(Vote {
            channel: "webhook".into(),
            approver: format!("webhook:{approver}"),
            aliases,
            is_requesting_agent: false,
            approve,
            comment: v
                .get("comment")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        }))
    }

    fn serve(&self, shared: &Shared) -> Result<Option<Vote>, String> {
        let body = payload(&shared.request).to_string();
        let resp = self
            .http
            .post(&self.cfg.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, body.as_bytes()))
            .header("X-Gate-Request-Id", &shared.request.id)
            .body(body)
            .send()
            .map_err(|e| format!("cannot reach {}: {}", self.cfg.url, describe_http_error(&e)))?;
        let status_url = match self.read(&self.cfg.url, resp)? {
            Answer::Decision(v) => return Ok(Some(v)),
            Answer::Pending(Some(url)) => url,
            Answer::Pending(None) => {
                return Err(format!(
                    "{} answered 202 without a `status_url` to poll",
                    self.cfg.url
                ));
            }
        };
        let base = reqwest::Url::parse(&self.cfg.url).map_err(|e| e.to_string())?;
        let url = base
            .join(&status_url)
            .map_err(|e| format!("status_url {status_url:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("status_url {url} is not an http(s) URL"));
        }
        let url = url.to_string();
        crate::ui::note(&format!(
            "request {} sent to the webhook; waiting for its decision",
            shared.request.id
        ));
        let mut errors = 0u32;
        loop {
            if shared.wait(self.cfg.poll_interval) {
                return Ok(None);
            }
            let resp = self
                .http
                .get(&url)
                .header(SIGNATURE_HEADER, sign(&self.secret, url.as_bytes()))
                .header("X-Gate-Request-Id", &shared.request.id)
                .send();
            let resp = match resp {
                Ok(r) => r,
                // A receiver that blips is tried again; one that stays away fails the channel.
                Err(e) => {
                    errors += 1;
                    if errors >= 5 {
                        return Err(format!(
                            "cannot reach the status URL {url}: {}",
                            describe_http_error(&e)
                        ));
                    }
                    continue;
                }
            };
            errors = 0;
            match self.read(&url, resp)? {
                Answer::Decision(v) => return Ok(Some(v)),
                Answer::Pending(_) => continue,
            }
        }
    }
}

impl Channel for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        match self.serve(&shared) {
            Ok(Some(vote)) => {
                let _ = tx.send(Message::Vote(vote));
            }
            Ok(None) => {}
            Err(message) => {
                let _ = tx.send(Message::Failed {
                    channel: "webhook".into(),
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
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
