//! The hash chain: `hash = SHA-256(previous hash ‖ canonical event)`, 32 raw bytes; the first
//! event chains to [`GENESIS`] (32 zero bytes).
//!
//! The canonical event is compact JSON with sorted keys over `seq`, `request`, `time`, `kind`
//! and `data`; `seq` is part of it, so moving an event breaks the chain as surely as editing it.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::seal;

pub const GENESIS: [u8; 32] = [0; 32];

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
            // Null members are left out: they say nothing and cost space in every row.
            let mut keys: Vec<&String> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect();
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
    let mut out = Vec::with_capacity(data.len() + request.len() + time.len() + kind.len() + 64);
    write_canonical(&mut out, seq, request, time, kind, data);
    String::from_utf8(out).unwrap_or_default()
}

/// A JSON string literal, escaped as serde_json does; plain text (the usual case for ids,
/// times and kinds) is copied without allocating.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        out.extend(serde_json::to_vec(s).unwrap_or_default());
    }
}

fn write_canonical(out: &mut Vec<u8>, seq: i64, request: &str, time: &str, kind: &str, data: &str) {
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b",\"kind\":");
    push_json_str(out, kind);
    out.extend_from_slice(b",\"request\":");
    push_json_str(out, request);
    out.extend_from_slice(b",\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b",\"time\":");
    push_json_str(out, time);
    out.push(b'}');
}

pub fn event_hash(
    prev: &[u8],
    seq: i64,
    request: &str,
    time: &str,
    kind: &str,
    data: &str,
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(data.len() + 96);
    hash_with(&mut buf, prev, seq, request, time, kind, data)
}

/// [`event_hash`] with a caller-owned buffer, for walking millions of events.
pub fn hash_with(
    buf: &mut Vec<u8>,
    prev: &[u8],
    seq: i64,
    request: &str,
    time: &str,
    kind: &str,
    data: &str,
) -> [u8; 32] {
    buf.clear();
    write_canonical(buf, seq, request, time, kind, data);
    let mut h = Sha256::new();
    h.update(prev);
    h.update(&buf[..]);
    h.finalize().into()
}

/// An event as read for verification: borrowed, nothing parsed.
pub struct EventRef<'a> {
    pub seq: i64,
    pub request: &'a str,
    pub time: &'a str,
    pub kind: &'a str,
    pub data: &'a str,
    pub hash: &'a [u8],
}

/// Events chained faithfully that record something gone wrong before they were chained: what
/// `gate verify` says of each (and `gate show`).
pub fn reported(kind: &str, data: &str) -> Option<String> {
    let data = || serde_json::from_str::<Value>(data).unwrap_or(Value::Null);
    let number = |v: &Value| v.as_u64().unwrap_or(0);
    // "#3 is" / "#3..#5 are"
    let lines = |from: u64, to: u64| {
        if from == to {
            format!("hook decision #{from} is")
        } else {
            format!("hook decisions #{from}..#{to} are")
        }
    };
    match kind {
        "intake_rejected" => {
            let reason = data()["reason"].as_str().unwrap_or_default().to_string();
            Some(format!(
                "a hook decision was altered in the intake before it was chained ({reason}); the line as found is in this event"
            ))
        }
        "intake_erased" => {
            let d = data();
            let found = d["found"].as_str().unwrap_or("something else");
            let had = match d["expected"]["seq"].as_u64() {
                None => "the ledger has no record of setting it up".to_string(),
                Some(0) => "the ledger had set it up and chained none of its lines yet".to_string(),
                Some(n) => format!("the ledger had chained it up to its line #{n}"),
            };
            Some(format!(
                "the hook's intake was erased or replaced before it was chained: {had}, and found {found}; hook decisions written after that were lost"
            ))
        }
        "intake_gap" => {
            let d = data();
            let expected = number(&d["expected"]);
            Some(match (d["found"].as_u64(), d["written"].as_u64()) {
                (Some(found), _) if found > expected => format!(
                    "{} missing from the intake: lines were removed before they were chained",
                    lines(expected, found - 1)
                ),
                (Some(found), _) => format!(
                    "intake line #{found} came where #{expected} was expected: lines were repeated or put back before they were chained"
                ),
                (None, written) => format!(
                    "{} missing from the end of the intake (its header says #{} was written): lines were removed before they were chained",
                    lines(expected, written.unwrap_or(expected)),
                    written.unwrap_or(expected)
                ),
            })
        }
        "orphan_outcome" => Some(format!(
            "a command ran whose request is not in the ledger: its intake line may have been erased (tool use {})",
            data()["tool_use_id"].as_str().unwrap_or("?")
        )),
        _ => None,
    }
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
    /// The newest event's hash, hex.
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<Broken>,
    /// Sealed events (votes, verdicts) whose seal could not be checked: no ledger key.
    #[serde(skip_serializing_if = "is_zero")]
    pub seals_unchecked: u64,
    /// Where the key those seals need is, for the message about them.
    #[serde(skip)]
    pub key: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Default)]
pub struct Checker {
    events: u64,
    last_seq: i64,
    /// The highest seq in the ledger, when known.
    end: Option<i64>,
    last_hash: Option<[u8; 32]>,
    buf: Vec<u8>,
    broken: Option<Broken>,
    /// (seq, hash) pairs recorded outside the database, ascending.
    checkpoints: Vec<(i64, Vec<u8>)>,
    next_checkpoint: usize,
    /// The ledger key, to check seals; without it they are counted as unchecked.
    key: Option<Vec<u8>>,
    seals_begin: i64,
    seals_unchecked: u64,
}

impl Checker {
    pub fn with_checkpoints(checkpoints: Vec<(i64, Vec<u8>)>) -> Self {
        Checker {
            checkpoints,
            ..Checker::default()
        }
    }

    /// Start the walk after event `seq`, whose stored `hash` is taken as it is: the events
    /// after it are checked, those up to it are not (`gate doctor` on a large ledger).
    pub fn after(mut self, seq: i64, hash: &[u8]) -> Self {
        self.last_seq = seq;
        self.last_hash = Some(hash.try_into().unwrap_or([0xff; 32]));
        self
    }

    /// Check the seals of votes and verdicts with the ledger key; before `seals_begin` (a
    /// ledger written before gate sealed them) a missing seal is excused.
    pub fn with_key(mut self, key: Option<Vec<u8>>, seals_begin: Option<i64>) -> Self {
        self.key = key;
        self.seals_begin = seals_begin.unwrap_or(0);
        self
    }

    pub fn feed_ref(&mut self, ev: &EventRef<'_>) -> std::ops::ControlFlow<()> {
        self.events += 1;
        let prev: [u8; 32] = self.last_hash.unwrap_or(GENESIS);
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
        } else if hash_with(
            &mut self.buf,
            &prev,
            ev.seq,
            ev.request,
            ev.time,
            ev.kind,
            ev.data,
        )[..]
            != ev.hash[..]
        {
            Some(
                "its hash does not match its content and the event before it (it was changed, or one before it was removed, inserted or reordered)"
                    .to_string(),
            )
        } else if let Some(problem) = reported(ev.kind, ev.data) {
            Some(problem)
        } else if let Some(problem) = self.check_seal(ev) {
            Some(problem)
        } else {
            self.check_point(ev)
        };
        self.last_seq = ev.seq;
        // A stored hash of the wrong length can never match: keep zeros, the next event fails.
        self.last_hash = Some(ev.hash.try_into().unwrap_or([0xff; 32]));
        if let Some(problem) = problem {
            self.broken = Some(Broken {
                seq: ev.seq,
                request: ev.request.to_string(),
                problem,
            });
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    }

    fn check_seal(&mut self, ev: &EventRef<'_>) -> Option<String> {
        if !seal::is_sealed(ev.kind) {
            return None;
        }
        let Some(key) = &self.key else {
            self.seals_unchecked += 1;
            return None;
        };
        let problem = seal::check(key, ev.seq, ev.request, ev.time, ev.kind, ev.data).err()?;
        if problem == seal::Problem::Missing && ev.seq < self.seals_begin {
            return None;
        }
        Some(format!(
            "a {} event gate did not write: {problem} (added to the ledger by hand?); gate does not count it",
            ev.kind
        ))
    }

    fn check_point(&mut self, ev: &EventRef<'_>) -> Option<String> {
        while let Some((seq, hash)) = self.checkpoints.get(self.next_checkpoint) {
            if *seq > ev.seq {
                return None;
            }
            self.next_checkpoint += 1;
            if *seq == ev.seq && hash[..] != ev.hash[..] {
                return Some(format!(
                    "it differs from the checkpoint recorded for event #{seq} (the ledger was rewritten from here on)"
                ));
            }
        }
        None
    }

    /// The highest seq in the ledger (the walk may stop before it, at the first break).
    pub fn with_end(mut self, end: i64) -> Self {
        self.end = Some(end);
        self
    }

    pub fn finish(mut self) -> Report {
        let end = self.end.unwrap_or(self.last_seq).max(self.last_seq);
        let beyond = self
            .checkpoints
            .iter()
            .rev()
            .find(|(seq, _)| *seq > end)
            .map(|(seq, _)| *seq);
        match (&mut self.broken, beyond) {
            (None, Some(seq)) => {
                self.broken = Some(Broken {
                    seq: self.last_seq + 1,
                    request: String::new(),
                    problem: format!(
                        "the ledger ends at event #{} but a checkpoint records event #{seq}: the newest events were truncated",
                        self.last_seq
                    ),
                });
            }
            // Cutting the newest events off also cuts off where the ledger stood in the hook's
            // intake, so the next fold reports the intake as erased: name the cause first.
            (Some(b), Some(seq)) if b.request.is_empty() => {
                b.problem = format!(
                    "the ledger ends at event #{end} but a checkpoint records event #{seq}: the newest events were truncated (and then {})",
                    b.problem
                );
            }
            _ => {}
        }
        Report {
            ok: self.broken.is_none(),
            events: self.events,
            head: hex::encode(self.last_hash.unwrap_or(GENESIS)),
            first_broken: self.broken,
            seals_unchecked: self.seals_unchecked,
            key: None,
        }
    }
}
