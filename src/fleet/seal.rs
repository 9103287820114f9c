//! Seals over all heads (issue 17, item 3): `gate.seal` (src/fleet/schema.sql) names every
//! stream's head and chains to the seal before; the shipper asks for one after shipping (at
//! most one every [`every`] for the whole fleet), `gate fleet seal` asks now. Each host keeps
//! the seals it was given in `ledger.db.fleet-seals` (`N HASH TIME` lines), outside the
//! database, so that a rewritten seal table is found too; `gate verify --fleet` checks the seal
//! chain, every head a seal names against the stream's event of that seq, and the host's copy.

use super::typed::Typed;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Fleet;
use crate::error::{Error, Result};
use crate::exit::Exit;

/// How often shippers seal the fleet at most: `GATE_FLEET_SEAL_EVERY` (a duration, `0s` for
/// after every ship, `never` for not at all), else a minute; always a minute in the protected
/// install.
pub fn every() -> Option<Duration> {
    const MINUTE: Duration = Duration::from_secs(60);
    if crate::protected::active() {
        return Some(MINUTE);
    }
    match crate::env_vars::text(crate::env_vars::GATE_FLEET_SEAL_EVERY)
        .as_deref()
        .map(str::trim)
    {
        Some("never") => None,
        Some(t) => Some(humantime::parse_duration(t).unwrap_or(MINUTE)),
        None => Some(MINUTE),
    }
}

/// One stream's head as a seal names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// A seal.
#[derive(Debug, Clone)]
pub struct Seal {
    pub n: i64,
    pub heads: BTreeMap<String, Head>,
    pub prev: Vec<u8>,
    pub hash: Vec<u8>,
    pub at: String,
    /// Made by this call (else the newest seal, which still held).
    pub made: bool,
}

impl Seal {
    fn of(row: &postgres::Row) -> Result<Seal> {
        let heads: String = row.get(1);
        let heads = serde_json::from_str(&heads)
            .map_err(|e| Error::Io(format!("a seal's heads cannot be read: {e}")))?;
        Ok(Seal {
            n: row.get(0),
            heads,
            prev: row.get(2),
            hash: row.get(3),
            at: row.get(4),
            made: row.try_get(5).unwrap_or(false),
        })
    }

    /// The hash this seal must have: what `gate.seal` hashes, computed here.
    pub fn expected_hash(&self) -> Vec<u8> {
        let mut body = format!(
            "gate-seal/1\nn: {}\nprev: {}\n",
            self.n,
            hex::encode(&self.prev)
        );
        // BTreeMap order is byte order: PostgreSQL's `COLLATE "C"`.
        for (stream, head) in &self.heads {
            body.push_str(&format!("{stream} {} {}\n", head.seq, head.hash));
        }
        Sha256::digest(body.as_bytes()).to_vec()
    }
}

/// Ask the fleet for a seal (none while the newest is younger than `min_gap` or names the same
/// heads; then that one is returned); `None` when nothing was ever recorded.
pub fn seal(fleet: &mut Fleet, min_gap: Duration) -> Result<Option<Seal>> {
    let gap = i64::try_from(min_gap.as_millis()).unwrap_or(i64::MAX);
    let rows = fleet
        .client
        .q(
            "SELECT n, heads::text, prev, hash, at, made FROM gate.seal($1)",
            &[&gap],
        )
        .map_err(|e| fleet.err(&e))?;
    let seal = rows.first().map(Seal::of).transpose()?;
    if let Some(s) = &seal {
        keep(s);
        // Posted outside, where checkpoints go (in the background; nothing when the policy
        // names nowhere).
        if s.made {
            crate::pipeline::post_seals();
        }
    }
    Ok(seal)
}

/// The host's copy of the seals it was given.
fn copy_path() -> Result<std::path::PathBuf> {
    let mut p = std::path::PathBuf::from(crate::ledger::store::location()?).into_os_string();
    p.push(".fleet-seals");
    Ok(p.into())
}

/// Remember a seal in the host's copy (once; a copy that cannot be written loses only the
/// second place the seal is kept). Rewritten whole and renamed into place, so that in the
/// protected install every user's gate can add to it (the directory is the gate group's; a
/// file one user made is not writable by another).
fn keep(seal: &Seal) {
    let Ok(path) = copy_path() else { return };
    if !crate::ledger::store::exists().unwrap_or(false) {
        return;
    }
    let _ = crate::protected::with_group(|| {
        let mut have = std::fs::read_to_string(&path).unwrap_or_default();
        if have
            .lines()
            .any(|l| l.split(' ').next() == Some(&seal.n.to_string()))
        {
            return Ok(());
        }
        if !have.is_empty() && !have.ends_with('\n') {
            have.push('\n');
        }
        have.push_str(&format!(
            "{} {} {}\n",
            seal.n,
            hex::encode(&seal.hash),
            seal.at
        ));
        let mut tmp = path.clone().into_os_string();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::write(&tmp, have)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::Io(e.to_string())
            })
    });
}

/// The seals this host was given (its copy), oldest first: what `gate checkpoints post` sends
/// to the policy's Slack channel and webhook, as it sends checkpoints.
pub fn kept() -> Vec<(i64, Vec<u8>)> {
    copies()
        .into_iter()
        .filter_map(|(n, h)| Some((n, hex::decode(h).ok()?)))
        .collect()
}

/// The host's copy: seal number → hash (hex).
fn copies() -> BTreeMap<i64, String> {
    let Ok(path) = copy_path() else {
        return BTreeMap::new();
    };
    crate::protected::with_group(|| {
        Ok::<_, Error>(std::fs::read_to_string(&path).unwrap_or_default())
    })
    .unwrap_or_default()
    .lines()
    .filter_map(|l| {
        let mut f = l.split(' ');
        Some((f.next()?.parse().ok()?, f.next()?.to_string()))
    })
    .collect()
}

/// What `gate verify --fleet` found of the seals.
pub struct Report {
    /// False for a role that may not read the seals (a host reads only its own stream): none
    /// was checked.
    pub readable: bool,
    pub checked: u64,
    pub newest: Option<i64>,
    pub first_broken: Option<(i64, String)>,
}

/// Check every seal: numbered from 1 without a gap, each chained to the one before and hashed
/// as `gate.seal` hashes, every head it names still the stream's event of that seq, and each
/// the host's copy holds unchanged.
pub fn check(fleet: &mut Fleet) -> Result<Report> {
    let rows = match fleet.client.q(
        "SELECT n, heads::text, prev, hash,
                gate.time_text(at)
         FROM gate.seals ORDER BY n",
        &[],
    ) {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
            return Ok(Report {
                readable: false,
                checked: 0,
                newest: None,
                first_broken: None,
            });
        }
        Err(e) => return Err(fleet.err(&e)),
    };
    let seals = rows.iter().map(Seal::of).collect::<Result<Vec<_>>>()?;
    let mut report = Report {
        readable: true,
        checked: 0,
        newest: seals.last().map(|s| s.n),
        first_broken: None,
    };
    // Every head named, looked up in one query.
    let (mut streams, mut seqs) = (Vec::new(), Vec::new());
    for s in &seals {
        for (stream, head) in &s.heads {
            streams.push(stream.clone());
            seqs.push(head.seq);
        }
    }
    let found: BTreeMap<(String, i64), String> = fleet
        .client
        .q(
            "SELECT t.stream, t.seq, encode(e.hash, 'hex') FROM unnest($1::text[], $2::bigint[]) AS t(stream, seq)
             JOIN gate.events e ON e.stream = t.stream::name AND e.seq = t.seq",
            &[&streams, &seqs],
        )
        .map_err(|e| fleet.err(&e))?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let copies = copies();
    let mut prev = vec![0u8; 32];
    for (i, s) in seals.iter().enumerate() {
        let problem = if s.n != i as i64 + 1 {
            Some(format!(
                "seal #{} follows #{}: a seal was removed",
                s.n, i as i64
            ))
        } else if s.prev != prev {
            Some(format!(
                "seal #{} does not chain to seal #{}: the seals were rewritten",
                s.n,
                s.n - 1
            ))
        } else if s.hash != s.expected_hash() {
            Some(format!(
                "seal #{}'s hash is not that of the heads it names: the seal was rewritten",
                s.n
            ))
        } else if let Some(want) = copies.get(&s.n).filter(|h| **h != hex::encode(&s.hash)) {
            Some(format!(
                "seal #{} is not the seal this host was given ({}…): the seals were rewritten",
                s.n,
                &want[..16.min(want.len())]
            ))
        } else {
            s.heads.iter().find_map(|(stream, head)| {
                match found.get(&(stream.clone(), head.seq)) {
                    Some(h) if *h == head.hash => None,
                    Some(h) => Some(format!(
                        "seal #{} ({}) names stream {stream} at #{} with hash {}…, but that event's hash is now {}…: the stream's history below the seal was rewritten",
                        s.n,
                        s.at,
                        head.seq,
                        &head.hash[..16.min(head.hash.len())],
                        &h[..16.min(h.len())]
                    )),
                    None => Some(format!(
                        "seal #{} ({}) names stream {stream} at #{}, which the stream no longer holds: events were removed",
                        s.n, s.at, head.seq
                    )),
                }
            })
        };
        report.checked += 1;
        if let Some(p) = problem {
            report.first_broken = Some((s.n, p));
            return Ok(report);
        }
        prev = s.hash.clone();
    }
    if let Some((n, _)) = copies
        .iter()
        .find(|(n, _)| **n > report.newest.unwrap_or(0))
    {
        report.first_broken = Some((
            *n,
            format!(
                "this host was given seal #{n}, which the fleet no longer holds: seals were removed"
            ),
        ));
    }
    Ok(report)
}

/// `gate fleet seal [--json]`: a seal over every head now (or the newest, when nothing moved).
pub fn run(json: bool) -> Result<Exit> {
    let mut fleet = Fleet::open()?;
    let Some(s) = seal(&mut fleet, Duration::ZERO)? else {
        if json {
            println!("null");
        } else {
            println!(
                "nothing to seal: the fleet at {} holds no event yet",
                fleet.target.display()
            );
        }
        return Ok(Exit::Success);
    };
    let out = crate::json::FleetSeal {
        fleet: fleet.target.display(),
        n: s.n,
        hash: hex::encode(&s.hash),
        prev: hex::encode(&s.prev),
        at: s.at.clone(),
        made: s.made,
        heads: s
            .heads
            .iter()
            .map(|(k, h)| {
                (
                    k.clone(),
                    crate::json::FleetSealHead {
                        seq: h.seq,
                        hash: h.hash.clone(),
                    },
                )
            })
            .collect(),
    };
    if json {
        crate::json::print(&out);
    } else {
        println!(
            "{} seal #{} over {} stream{} ({}): {}",
            if out.made { "made" } else { "newest" },
            out.n,
            out.heads.len(),
            if out.heads.len() == 1 { "" } else { "s" },
            out.at,
            out.hash
        );
    }
    Ok(Exit::Success)
}
