//! The ledger as the rest of gate sees it.
//!
//! Everything outside `ledger/` that records or reads events goes through [`Store`], opened
//! with [`open`] / [`open_read`]; [`Ledger`](super::Ledger) (SQLite, one file per user) is the
//! only backend today. A shared backend for fleets of machines (PostgreSQL) implements this
//! trait and is chosen in `open`; the run pipeline, the hook, the approval channels and the
//! audit commands do not change. What a backend must guarantee is in each method's contract:
//! appends are atomic and chained in order across concurrent writers, and nothing is ever
//! updated or deleted.

use std::path::Path;

use serde_json::Value;

use super::{Decide, Event, Ledger, NewEvent, RequestRecord, chain, query, seal};
use crate::error::Result;
use crate::policy::SyncMode;

pub trait Store {
    /// Where the ledger lives, for messages (a file path here; a URL for a network backend).
    fn location(&self) -> &Path;

    /// Append these events in one atomic step, each chained to the previous event of the
    /// whole ledger (not just this writer's), or none of them.
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<()>;

    /// Append what `decide` returns, in one atomic step with its look at the events of
    /// `request`: no other writer's event lands in between, so what `decide` checked still
    /// holds. The events as stored.
    fn append_checked(&mut self, request: &str, decide: &mut Decide<'_>) -> Result<Vec<Event>>;

    /// Whether `ev`, of a kind in [`seal::KINDS`], was written by gate (`Ok(Err(..))` when
    /// not; `Err` when this cannot be told).
    fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>>;

    /// Call `f` whenever an append writes a checkpoint (the chain head, kept outside).
    fn on_checkpoint(&mut self, f: Box<dyn FnMut()>);

    /// Every event of one request, in ledger order.
    fn events_of(&self, request: &str) -> Result<Vec<Event>>;

    /// The events of one request after `seq`.
    fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>>;

    /// Requests waiting for a local approval, with their approval request event's data.
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>>;

    /// Requests waiting on the named channel.
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>>;

    /// The full id of the one request whose id starts with `prefix`.
    fn resolve_id(&self, prefix: &str) -> Result<String>;

    /// Walk the whole chain (and the checkpoints) and report the first broken event.
    fn verify(&self) -> Result<chain::Report>;

    /// Requests that pass `filter`, newest first (or oldest first), at most `limit`.
    fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        each: &mut dyn FnMut(RequestRecord),
    ) -> Result<()>;
}

/// Open the ledger for writing (creating it if needed).
pub fn open(path: &Path, sync: SyncMode) -> Result<Box<dyn Store>> {
    Ok(Box::new(Ledger::open(path, sync)?))
}

/// Open an existing ledger for reading.
pub fn open_read(path: &Path) -> Result<Box<dyn Store>> {
    Ok(Box::new(Ledger::open_read(path)?))
}

/// Open an existing ledger for `gate verify`: as [`open_read`], once whatever was left for it
/// to chain (the hook's intake) has been checked against it, whatever it holds.
pub fn open_audit(path: &Path) -> Result<Box<dyn Store>> {
    Ok(Box::new(Ledger::open_audit(path)?))
}

impl Store for Ledger {
    fn location(&self) -> &Path {
        self.path()
    }
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<()> {
        Ledger::append(self, events)
    }
    fn append_checked(&mut self, request: &str, decide: &mut Decide<'_>) -> Result<Vec<Event>> {
        Ledger::append_checked(self, request, decide)
    }
    fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>> {
        Ledger::check_seal(self, ev)
    }
    fn on_checkpoint(&mut self, f: Box<dyn FnMut()>) {
        Ledger::on_checkpoint(self, f)
    }
    fn events_of(&self, request: &str) -> Result<Vec<Event>> {
        Ledger::events_of(self, request)
    }
    fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>> {
        Ledger::events_after(self, request, seq)
    }
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>> {
        Ledger::pending(self)
    }
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>> {
        Ledger::waiting(self, channel)
    }
    fn resolve_id(&self, prefix: &str) -> Result<String> {
        Ledger::resolve_id(self, prefix)
    }
    fn verify(&self) -> Result<chain::Report> {
        Ledger::verify(self)
    }
    fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        each: &mut dyn FnMut(RequestRecord),
    ) -> Result<()> {
        Ledger::query(self, filter, newest_first, limit, each)
    }
}
