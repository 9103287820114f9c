//! The hash chain: `hash = SHA-256(prev ‖ "\n" ‖ canonical event)`, hex-encoded.
//!
//! The canonical event is compact JSON with sorted keys over `seq`, `request`, `time`, `kind`
//! and `data`; `seq` is part of it, so moving an event breaks the chain as surely as editing it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Event;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Compact JSON with object keys sorted at every level.
pub fn canonical_value(v: &Value) -> String {
    // serde_json keeps insertion order only with its `preserve_order` feature; writing keys
    // sorted here makes the text the same either way.
    let mut out = Vec::new();
    write_sorted(v, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn write_sorted(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).unwrap_or_default());
                out.push(b':');
                write_sorted(&map[k.as_str()], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).unwrap_or_default()),
    }
}

/// The canonical text of an event whose `data` is already canonical JSON text: keys sorted,
/// no spaces.
pub fn canonical(seq: i64, request: &str, time: &str, kind: &str, data: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "{{\"data\":{data},\"kind\":{},\"request\":{},\"seq\":{seq},\"time\":{}}}",
        q(kind),
        q(request),
        q(time)
    )
}

pub fn event_hash(
    prev: &str,
    seq: i64,
    request: &str,
    time: &str,
    kind: &str,
    data: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical(seq, request, time, kind, data).as_bytes());
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub request: String,
    pub problem: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub events: u64,
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<Broken>,
}

#[derive(Default)]
pub struct Checker {
    events: u64,
    last_seq: i64,
    last_hash: Option<String>,
    broken: Option<Broken>,
}

impl Checker {
    pub fn feed(&mut self, ev: &Event) -> std::ops::ControlFlow<()> {
        self.events += 1;
        let expected_prev = self
            .last_hash
            .clone()
            .unwrap_or_else(|| GENESIS.to_string());
        let problem = if ev.seq != self.last_seq + 1 {
            Some(if ev.seq > self.last_seq + 1 {
                format!(
                    "events {}..{} are missing (deleted or truncated)",
                    self.last_seq + 1,
                    ev.seq - 1
                )
            } else {
                "sequence number out of order".to_string()
            })
        } else if ev.prev != expected_prev {
            Some("its link to the previous event does not match (an event before it was removed, inserted or reordered)".to_string())
        } else if event_hash(&ev.prev, ev.seq, &ev.request, &ev.time, &ev.kind, &ev.raw) != ev.hash
        {
            Some("its content does not match its hash (the event was changed)".to_string())
        } else {
            None
        };
        self.last_seq = ev.seq;
        self.last_hash = Some(ev.hash.clone());
        if let Some(problem) = problem {
            self.broken = Some(Broken {
                seq: ev.seq,
                request: ev.request.clone(),
                problem,
            });
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    }

    pub fn finish(self) -> Report {
        Report {
            ok: self.broken.is_none(),
            events: self.events,
            head: self.last_hash.unwrap_or_else(|| GENESIS.to_string()),
            first_broken: self.broken,
        }
    }
}
