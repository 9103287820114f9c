//! Seals: a MAC keyed with the ledger key on the events that say who approved — `local_vote`
//! (what `gate approve` wrote, which the waiting gate counts), `slack_vote` (a Slack click
//! another waiting gate process received, which the request's own process counts), `vote`,
//! `verdict` and `reused` (which a later run trusts to reuse an approval).
//!
//! The hash chain shows that a row was changed, removed or moved, but it is keyed with nothing:
//! whoever can write the file can append a row with a correct chain hash (`sqlite3 ledger.db
//! "INSERT …"`). Only gate reads the key (`ledger.db.key`, 0600, and the policy's own rules keep
//! agents from reading it), so an event of these kinds without a valid seal was not written by
//! gate: the waiting side does not count it and `gate verify` reports it as a break.
//!
//! A ledger gate wrote before it sealed these events gets a sealed `seals_begin` event when it
//! is migrated; `gate verify` excuses missing seals before the first one.
//!
//! The seal is `data.mac`: HMAC-SHA-256 over a domain tag and the event's canonical text
//! (`seq`, `request`, `time`, `kind`, and `data` without `mac`), so it holds for one row only —
//! copied to another position, request or approver it no longer matches.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::chain;

/// The event kinds gate seals.
pub const KINDS: &[&str] = &[
    "local_vote",
    "slack_vote",
    "vote",
    "verdict",
    "reused",
    BEGIN,
];

/// On a ledger written before gate sealed events, where sealing began (written when it is
/// migrated to schema 3; see `ledger::begin_seals`).
pub const BEGIN: &str = "seals_begin";

/// Where in `data` the seal is kept.
const FIELD: &str = "mac";

const DOMAIN: &[u8] = b"gate ledger seal v1\n";

pub fn is_sealed(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// Why a seal does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    Wrong,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::Missing => "it has no MAC",
            Problem::Wrong => "its MAC is wrong",
        })
    }
}

fn mac(key: &[u8], seq: i64, request: &str, time: &str, kind: &str, data: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(DOMAIN);
    mac.update(chain::canonical(seq, request, time, kind, data).as_bytes());
    mac
}

/// `data` (canonical JSON text) with its seal added, as it is to be stored.
pub fn seal(key: &[u8], seq: i64, request: &str, time: &str, kind: &str, data: &str) -> String {
    let mut value: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    if !value.is_object() {
        value = serde_json::json!({ "value": value });
    }
    if let Some(map) = value.as_object_mut() {
        map.remove(FIELD);
    }
    let bare = chain::canonical_value(&value);
    let tag = mac(key, seq, request, time, kind, &bare)
        .finalize()
        .into_bytes();
    value[FIELD] = Value::String(hex::encode(tag));
    chain::canonical_value(&value)
}

/// Whether the stored event carries gate's seal.
pub fn check(
    key: &[u8],
    seq: i64,
    request: &str,
    time: &str,
    kind: &str,
    data: &str,
) -> Result<(), Problem> {
    let mut value: Value = serde_json::from_str(data).map_err(|_| Problem::Missing)?;
    let Some(tag) = value
        .as_object_mut()
        .and_then(|m| m.remove(FIELD))
        .and_then(|v| v.as_str().and_then(|s| hex::decode(s).ok()))
    else {
        return Err(Problem::Missing);
    };
    let bare = chain::canonical_value(&value);
    mac(key, seq, request, time, kind, &bare)
        .verify_slice(&tag)
        .map_err(|_| Problem::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = &[9u8; 32];

    #[test]
    fn a_seal_holds_for_its_row_only() {
        let data = r#"{"approver":"alice","verdict":"approve"}"#;
        let t = "2025-01-01T00:00:00.000Z";
        let sealed = seal(KEY, 7, "req", t, "local_vote", data);
        assert!(sealed.contains("\"mac\":"));
        assert_eq!(check(KEY, 7, "req", t, "local_vote", &sealed), Ok(()));
        // Anywhere else, or changed in any way, it does not hold.
        for (seq, req, time, kind, text) in [
            (8, "req", t, "local_vote", sealed.clone()),
            (7, "other", t, "local_vote", sealed.clone()),
            (
                7,
                "req",
                "2025-01-01T00:00:01.000Z",
                "local_vote",
                sealed.clone(),
            ),
            (7, "req", t, "vote", sealed.clone()),
            (7, "req", t, "local_vote", sealed.replace("alice", "bob")),
        ] {
            assert_eq!(
                check(KEY, seq, req, time, kind, &text),
                Err(Problem::Wrong),
                "{seq} {req} {time} {kind} {text}"
            );
        }
        assert_eq!(
            check(&[1u8; 32], 7, "req", t, "local_vote", &sealed),
            Err(Problem::Wrong)
        );
        assert_eq!(
            check(KEY, 7, "req", t, "local_vote", data),
            Err(Problem::Missing)
        );
        assert_eq!(
            check(KEY, 7, "req", t, "local_vote", "not json"),
            Err(Problem::Missing)
        );
        // Sealing again replaces a seal the data came with.
        let forged = r#"{"approver":"alice","mac":"00","verdict":"approve"}"#;
        let resealed = seal(KEY, 7, "req", t, "local_vote", forged);
        assert_eq!(resealed, sealed);
    }
}
