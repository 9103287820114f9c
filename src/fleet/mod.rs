//! The fleet: one shared ledger on PostgreSQL for many hosts (issue 17).
//!
//! Built so far: the configuration ([`config`]: `GATE_FLEET` or the system policy's
//! `[fleet] url`, libpq's files and variables), the client ([`connect`]), the schema with its
//! roles and its append function ([`schema.sql`](schema.sql), applied by [`init`]), `gate fleet
//! status`, `gate verify --fleet` ([`verify`]), `gate ledger migrate` ([`migrate`]) and signed
//! policy rollout ([`policy`], schema in [`schema_policy.sql`](schema_policy.sql)). The path
//! of `gate -- COMMAND` opens no connection (it may read the verified policy cache, see
//! `policy::signed`, and start a detached shipper): without a fleet gate is the single-host
//! gate.

pub mod approve;
pub mod config;
pub mod connect;
pub mod migrate;
pub mod policy;
pub mod read;
pub mod seal;
pub mod ship;
pub mod status;
pub mod typed;
pub mod verify;

use crate::error::{Error, Result};
use typed::Typed;

/// The schema, roles, triggers and functions, applied whole by `gate fleet init`: the ledger,
/// the Slack relay's cards and votes (`relay.sql`), then the signed policies
/// (`schema_policy.sql`).
pub const SCHEMA_SQL: &str = concat!(
    include_str!("schema.sql"),
    include_str!("relay.sql"),
    include_str!("schema_policy.sql")
);

/// The group roles an administrator grants (SPEC §10, issue 17); `gate_admin` pushes policies.
pub const GROUPS: &[&str] = &[
    "gate_host",
    "gate_approver",
    "gate_relay",
    "gate_auditor",
    "gate_admin",
];

/// A connected fleet.
pub struct Fleet {
    pub client: postgres::Client,
    pub target: config::Target,
}

impl Fleet {
    /// Connect to the configured fleet.
    pub fn open() -> Result<Self> {
        let target = config::target()?;
        Self::open_target(target)
    }

    pub fn open_target(target: config::Target) -> Result<Self> {
        let client = connect::connect(&target)?;
        Ok(Fleet { client, target })
    }

    /// A query failed: what PostgreSQL said, as a ledger error for this fleet.
    pub fn err(&self, e: &postgres::Error) -> Error {
        error(&self.target, e)
    }
}

/// What PostgreSQL said, as gate's error: refused (69), no schema (69), else a ledger error (74).
pub fn error(target: &config::Target, e: &postgres::Error) -> Error {
    {
        let message = connect::describe(e);
        if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            return Error::Unavailable(format!(
                "the fleet at {} refused: {message}",
                target.display()
            ));
        }
        if e.code() == Some(&postgres::error::SqlState::UNDEFINED_FUNCTION)
            || e.code() == Some(&postgres::error::SqlState::INVALID_SCHEMA_NAME)
            || e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE)
        {
            return Error::Unavailable(format!(
                "the fleet at {} has no gate schema ({message}): an administrator runs `gate fleet init`",
                target.display()
            ));
        }
        Error::Ledger {
            path: target.display(),
            message,
        }
    }
}

/// `gate fleet init`: the schema, as the connecting administrator, in one transaction.
pub fn init(json: bool) -> Result<crate::exit::Exit> {
    let mut fleet = Fleet::open()?;
    let encoding: String = fleet
        .client
        .q_one("SHOW server_encoding", &[])
        .map_err(|e| fleet.err(&e))?
        .get(0);
    if !encoding.eq_ignore_ascii_case("UTF8") {
        return Err(Error::Config(format!(
            "the fleet's database is {encoding}: gate's hash chain is over UTF-8 text, so the database must be UTF8 (CREATE DATABASE … ENCODING 'UTF8')"
        )));
    }
    let who: String = fleet
        .client
        .q_one("SELECT current_user::text", &[])
        .map_err(|e| fleet.err(&e))?
        .get(0);
    let mut tx = fleet.client.transaction().map_err(|e| {
        Error::Unavailable(format!(
            "cannot start a transaction: {}",
            connect::describe(&e)
        ))
    })?;
    if let Err(e) = tx.batch_execute(SCHEMA_SQL) {
        let message = connect::describe(&e);
        return Err(Error::Unavailable(format!(
            "`gate fleet init` as {who} on {} failed, and changed nothing: {message} (it needs a superuser, or a role with CREATEROLE and CREATE on the database)",
            fleet.target.display()
        )));
    }
    tx.commit().map_err(|e| fleet.err(&e))?;
    let version = status::schema_version(&mut fleet)?;
    if json {
        crate::json::print(&crate::json::FleetInit {
            ok: true,
            fleet: fleet.target.display(),
            schema_version: version,
            roles: GROUPS.iter().map(|g| g.to_string()).collect(),
        });
    } else {
        println!(
            "fleet ready: schema gate (version {version}) on {}, owned by the NOLOGIN role gate_owner",
            fleet.target.display()
        );
        println!("group roles: {}", GROUPS.join(", "));
        println!("give each host its own login role, and each person theirs:");
        println!("  CREATE ROLE build7 LOGIN PASSWORD '…';  GRANT gate_host TO build7;");
        println!("  CREATE ROLE alice LOGIN;  GRANT gate_approver TO alice;");
        println!("  CREATE ROLE audit LOGIN;  GRANT gate_auditor TO audit;");
        println!(
            "  CREATE ROLE ops LOGIN;  GRANT gate_admin TO ops;   -- pushes signed policies (gate policy push)"
        );
    }
    Ok(crate::exit::Exit::Success)
}
