//! The fleet commands' shapes (issue 17): `gate fleet init`, `gate fleet status`,
//! `gate verify --fleet` and `gate ledger migrate`, each with `--json`.

use schemars::JsonSchema;
use serde::Serialize;

use super::Shape;
use super::report::Broken;

/// `gate fleet init --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetInit {
    pub ok: bool,
    /// The database, as `host:port/dbname` (no secrets).
    pub fleet: String,
    /// The schema's version, as `gate fleet init` left it.
    pub schema_version: String,
    /// The group roles it made (or found): `gate_host`, `gate_approver`, `gate_relay`,
    /// `gate_auditor`.
    pub roles: Vec<String>,
}

impl Shape for FleetInit {
    const SCHEMA: &'static str = "gate.fleet.init/1";
}

/// One stream of the shared ledger (a host's own hash chain).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetStream {
    /// Its name: the login role that writes it.
    pub stream: String,
    /// `host`, `person`, `relay` or `import`.
    pub kind: String,
    /// Events in the stream (its head's seq).
    pub head_seq: i64,
    /// The head's hash, hex.
    pub head_hash: String,
    /// The newest event's own time (the host's clock); null for an empty stream.
    pub last_event: Option<String>,
    /// When PostgreSQL stored the newest event (its clock); null for an empty stream.
    pub last_recorded: Option<String>,
    /// The fleet policy version its newest request was decided under; null when none was.
    pub policy_version: Option<i64>,
}

/// `gate fleet status --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetStatus {
    pub fleet: String,
    /// The role gate connected as.
    pub role: String,
    pub schema_version: String,
    /// The newest fleet policy version pushed (`gate policy push`); null when none was.
    pub policy_version: Option<i64>,
    /// Every stream this role may see.
    pub hosts: Vec<FleetStream>,
    /// This host's own spool (its local ledger), as its shipper last found it; null where no
    /// ledger was ever shipped from here.
    pub spool: Option<FleetSpool>,
    /// The newest seal over all heads; null before the first (or for a host, which may not
    /// read the seals).
    pub newest_seal: Option<FleetSealSummary>,
    /// The Slack relays (`gate slack serve`) by the cards they posted; null for a role that may
    /// not read the cards (a host, an approver).
    pub relays: Option<Vec<FleetRelay>>,
    /// Requests that have waited on Slack for over 10 s with no card posted: no relay serves
    /// them (none runs, or none can reach Slack); null where the role may not see the waits.
    pub unserved: Option<i64>,
}

/// One relay, as the cards it posted tell.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetRelay {
    /// Its role (its stream).
    pub relay: String,
    /// Cards it posted.
    pub posted: i64,
    /// Of those, cards still open (their request waits, or is not closed yet).
    pub open: i64,
    /// When it last posted a card; null when never.
    pub last_posted: Option<String>,
}

/// This host's spool, from `ledger.db.shipped`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSpool {
    pub ledger: String,
    /// The stream it ships to; null before the first ship.
    pub stream: Option<String>,
    /// Events in the local ledger when the shipper last looked.
    pub head: i64,
    /// Events the fleet holds of it.
    pub shipped: i64,
    /// Events waiting to be shipped (runs fail closed, exit 74, past the bound).
    pub backlog: u64,
    /// The bound (`GATE_FLEET_SPOOL_MAX`, default 100000).
    pub max: u64,
    /// When it last shipped; null when never.
    pub last_shipped: Option<String>,
    /// Why the last attempt failed; null when it did not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSealSummary {
    pub n: i64,
    pub hash: String,
    pub at: String,
    /// Streams it names.
    pub streams: usize,
}

impl Shape for FleetStatus {
    const SCHEMA: &'static str = "gate.fleet.status/1";
}

/// `gate policy push --json`: the version stored.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PolicyPush {
    pub ok: bool,
    pub fleet: String,
    /// The version it was stored as (the newest + 1, assigned by the fleet).
    pub version: i64,
    /// The SHA-256 of the policy's exact text, hex.
    pub sha256: String,
    /// The signing key's fingerprint (`SHA256:…`).
    pub key_fingerprint: String,
    /// The PostgreSQL role that pushed it.
    pub pushed_by: String,
    /// When the fleet stored it (its clock, RFC 3339).
    pub pushed_at: String,
    /// Rules in force under it: its own and those of the packs it enables.
    pub rules: usize,
    /// Inline tests that passed.
    pub tests_passed: usize,
}

impl Shape for PolicyPush {
    const SCHEMA: &'static str = "gate.policy.push/1";
}

/// `gate policy status --json` and `gate policy fetch --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PolicyStatus {
    /// The pinned key's fingerprint (`SHA256:…`); null when the system policy pins none.
    pub key_fingerprint: Option<String>,
    /// Where this host caches the fleet policy.
    pub cache: String,
    /// The cached version, verified; null when none is cached or it cannot be trusted.
    pub cached_version: Option<i64>,
    /// Why the cache cannot be trusted; null when it can (or there is none).
    pub cache_problem: Option<String>,
    /// The newest version in the fleet; null when none was pushed or no fleet is configured.
    pub newest_version: Option<i64>,
    /// The fleet holds a newer version than the cache.
    pub behind: bool,
    /// The version `gate policy fetch` just cached; null when it cached nothing.
    pub fetched: Option<i64>,
}

impl Shape for PolicyStatus {
    const SCHEMA: &'static str = "gate.policy.status/1";
}

/// One stream's walk in `gate verify --fleet`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetStreamReport {
    pub stream: String,
    pub ok: bool,
    pub events: u64,
    /// The newest event's hash, hex.
    pub head: String,
    /// The first entry that does not check out; null when `ok`.
    pub first_broken: Option<Broken>,
}

/// `gate verify --fleet --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetVerify {
    /// Every stream is intact, and so are the seals.
    pub ok: bool,
    pub fleet: String,
    pub streams: Vec<FleetStreamReport>,
    pub seals: FleetSealsReport,
}

/// What `gate verify --fleet` found of the seals over all heads.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSealsReport {
    /// False for a role that may not read the seals (a host, which reads only its own
    /// stream): none was checked; an auditor's role checks them.
    pub readable: bool,
    /// Seals checked (up to the first broken one).
    pub checked: u64,
    /// The newest seal's number; null before the first seal.
    pub newest: Option<i64>,
    /// The first seal that does not check out; null when all do.
    pub first_broken: Option<FleetSealBroken>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSealBroken {
    pub n: i64,
    /// What is wrong, in words.
    pub problem: String,
}

/// `gate fleet seal --json`: the seal made now, or the newest one when nothing moved.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSeal {
    pub fleet: String,
    /// Its number (1, 2, …).
    pub n: i64,
    /// SHA-256 of its text (README, "Seals"), hex.
    pub hash: String,
    /// The hash of the seal before (zeros for the first), hex.
    pub prev: String,
    /// When PostgreSQL made it (RFC 3339, UTC).
    pub at: String,
    /// Made by this call; false when the newest seal still names every head.
    pub made: bool,
    /// Every stream's head: stream → {seq, hash}.
    pub heads: std::collections::BTreeMap<String, FleetSealHead>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FleetSealHead {
    pub seq: i64,
    pub hash: String,
}

impl Shape for FleetSeal {
    const SCHEMA: &'static str = "gate.fleet.seal/1";
}

impl Shape for FleetVerify {
    const SCHEMA: &'static str = "gate.fleet.verify/1";
}

/// `gate ledger migrate --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Migrated {
    /// The SQLite ledger moved (it stays in place).
    pub ledger: String,
    pub fleet: String,
    /// The host's stream it went into.
    pub stream: String,
    /// The events in the file (its newest seq).
    pub file_events: i64,
    /// The stream's head before and after this run.
    pub from: i64,
    pub to: i64,
    /// Events moved by this run (0 on a rerun with nothing new).
    pub moved: u64,
    /// More is left to move (`--max-events` stopped the run).
    pub incomplete: bool,
    /// The file's first broken event, when `--accept-broken` moved the events before it;
    /// null otherwise.
    pub broken_at: Option<i64>,
    /// How long the run took, in milliseconds.
    pub ms: u64,
}

impl Shape for Migrated {
    const SCHEMA: &'static str = "gate.ledger.migrate/1";
}

/// `gate fleet ship --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Shipped {
    /// The local ledger (the spool).
    pub ledger: String,
    pub fleet: String,
    /// The host's stream.
    pub stream: String,
    /// The stream's head before and after.
    pub from: i64,
    pub to: i64,
    /// Events shipped by this run.
    pub moved: u64,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

impl Shape for Shipped {
    const SCHEMA: &'static str = "gate.fleet.ship/1";
}
