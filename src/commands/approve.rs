//! `gate pending`, `gate approve ID`, `gate deny ID`: answering requests that wait on the
//! `local` channel, from another terminal.
//!
//! `approve`/`deny` append a sealed `local_vote` event, in the transaction that checks that the
//! request still waits and that this approver may answer it; the waiting gate process reads
//! it, and its coordinator decides whether it counts. Refusals made here (the requesting agent
//! among this process's ancestors, any agent by markers or ancestry, no controlling terminal,
//! not an approver of the rule, a person approving their own request) are appended too, marked
//! `refused`, so that every refusal is in the ledger; they exit 77 (EX_NOPERM, as a denial).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::approve::among_approvers;
use crate::approve::local::EVENT;
use crate::context::{AgentProcess, Context, agent_from_env, ancestry};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{Event, Kind, RequestRecord, Store, store};
use crate::policy::SyncMode;

pub(crate) fn expires(data: &Value) -> String {
    data.get("expires")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

pub fn pending(as_json: bool, fleet: bool) -> Result<Exit> {
    if fleet || crate::fleet::config::answers_in_fleet()? {
        return crate::fleet::approve::pending(as_json);
    }
    if !store::exists()? {
        if !as_json {
            println!("no request is waiting for a local approval");
        }
        return Ok(Exit::Success);
    }
    let mut ledger = store::open_read()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    let mut waiting = ledger.pending()?;
    if crate::protected::active() {
        // What the caller may approve: never their own requests or their agents'.
        let me = crate::context::real_user();
        waiting.retain(|(r, _)| r.requester.get("user").and_then(Value::as_str) != Some(&me));
    }
    if as_json {
        for (rec, data) in &waiting {
            crate::json::print(&crate::json::Pending::of(rec, data));
        }
        return Ok(Exit::Success);
    }
    if waiting.is_empty() {
        println!("no request is waiting for a local approval");
        return Ok(Exit::Success);
    }
    for (rec, data) in &waiting {
        println!(
            "{}  {}  {}",
            rec.id,
            crate::ui::printable(&rec.who()),
            crate::quote::line(&rec.command)
        );
        let rules: Vec<&str> = rec
            .rules
            .iter()
            .filter(|r| r.get("decision").and_then(Value::as_str) == Some("ask"))
            .filter_map(|r| r.get("rule").and_then(Value::as_str))
            .collect();
        if !rules.is_empty() {
            println!("    rules    {}", rules.join(", "));
        }
        if let Some(reason) = &rec.reason {
            println!("    reason   {}", crate::ui::printable(reason));
        }
        println!("    cwd      {}", crate::ui::printable(&rec.cwd));
        println!("    approvers {}", approvers_line(data));
        println!("    expires  {}", expires(data));
    }
    println!(
        "\nanswer with `gate approve ID` or `gate deny ID` (a unique prefix of the id is enough)"
    );
    Ok(Exit::Success)
}

/// Who may approve a waiting request, and how many must (from its `approval_requested` event).
pub(crate) fn approvers_line(data: &Value) -> String {
    let sets: Vec<Vec<String>> = data
        .get("approvers")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let quorum = data.get("quorum").and_then(Value::as_u64).unwrap_or(1);
    crate::approve::approvers_text(&sets, quorum.try_into().unwrap_or(u32::MAX))
}

/// Find the waiting request `prefix` names, or say precisely why it cannot be answered.
fn find_pending(ledger: &dyn Store, prefix: &str) -> Result<RequestRecord> {
    let waiting = ledger.pending()?;
    let hits: Vec<&RequestRecord> = waiting
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.id.starts_with(prefix))
        .collect();
    match hits.as_slice() {
        [one] => return Ok((*one).clone()),
        [] => {}
        _ => {
            return Err(Error::Usage(format!(
                "`{prefix}` matches several waiting requests: give more of the id (see `gate pending`)"
            )));
        }
    }
    let id = ledger.resolve_id(prefix)?;
    let rec = RequestRecord::from_events(&id, &ledger.events_of(&id)?);
    Err(Error::Usage(format!(
        "request {id} is not waiting for a local approval (status: {}); see `gate pending`",
        rec.status.as_str()
    )))
}

/// Why this process may not answer `rec`, if it may not: it runs inside the agent that made
/// the request, or under any agent (by its markers or its process among this one's ancestors),
/// or without a terminal, or it is a person approving their own request.
fn refusal(rec: &RequestRecord, ctx: &Context, verdict: &str, me: &str) -> Option<String> {
    if let Some(why) = not_a_person(rec, ctx, verdict) {
        return Some(why);
    }
    let requester_user = rec.requester.get("user").and_then(Value::as_str);
    let requester_agent = rec.requester.get("agent").and_then(Value::as_str);
    if verdict == "approve" && requester_user == Some(me) && crate::protected::active() {
        return Some(format!(
            "{me} made this request (or an agent of {me}'s did): in the protected install another user must approve it"
        ));
    }
    if verdict == "approve" && requester_user == Some(me) && requester_agent.is_none() {
        return Some(format!(
            "{me} made this request: nobody approves their own request; ask someone else to approve it"
        ));
    }
    None
}

/// Why this process is not a person answering from a terminal of their own, if it is not: it
/// runs inside the agent that made the request, or under any agent (by its markers or its
/// process among this one's ancestors), or without a terminal.
pub(crate) fn not_a_person(rec: &RequestRecord, ctx: &Context, verdict: &str) -> Option<String> {
    let requesting = rec
        .requester
        .get("agent_process")
        .and_then(|p| serde_json::from_value::<AgentProcess>(p.clone()).ok());
    if let Some(agent) = requesting.filter(|p| ancestry::descends_from(p.id())) {
        return Some(format!(
            "`gate {verdict}` runs inside the agent that made request {}: {}; a person must answer it from a terminal of their own",
            rec.id,
            agent.describe()
        ));
    }
    let get = |k: &str| std::env::var(k).ok();
    if let Some(agent) = agent_from_env(&get) {
        return Some(format!(
            "this environment carries the markers of agent `{agent}`: an agent cannot answer approval requests; run `gate {verdict}` from your own terminal"
        ));
    }
    if let Some(agent) = &ctx.requester.agent_process {
        return Some(format!(
            "`gate {verdict}` runs under agent {}: an agent cannot answer approval requests; run it from your own terminal",
            agent.describe()
        ));
    }
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_err()
    {
        return Some(format!(
            "no controlling terminal: `gate {verdict}` must be typed by a person in a terminal"
        ));
    }
    None
}

/// Whether `me` may answer the request whose events these are: it still waits, and `me` is
/// among the approvers its `approval_requested` names.
fn still_answerable(id: &str, events: &[Event], me: &str) -> Result<Option<String>> {
    if events.iter().any(|e| e.kind == Kind::Verdict) {
        let rec = RequestRecord::from_events(id, events);
        return Err(Error::Usage(format!(
            "request {id} was settled meanwhile (status: {}); see `gate show {id}`",
            rec.status.as_str()
        )));
    }
    let sets: Vec<Vec<String>> = events
        .iter()
        .rev()
        .find(|e| e.kind == Kind::ApprovalRequested)
        .and_then(|e| e.data.get("approvers"))
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    Ok(among_approvers(&sets, me, &[me]).err())
}

/// `gate approve ID` (`approve = true`) and `gate deny ID`.
pub fn answer(prefix: &str, comment: Option<String>, approve: bool) -> Result<Exit> {
    if crate::fleet::config::answers_in_fleet()? {
        return crate::fleet::approve::answer(prefix, comment, approve);
    }
    if !store::exists()? {
        return Err(Error::NotFound(format!(
            "no ledger at {} yet: nothing is waiting for approval",
            store::location()?
        )));
    }
    let mut ledger = store::open(SyncMode::Normal)?;
    let rec = find_pending(&*ledger, prefix)?;
    let ctx = Context::detect(None);
    let me = ctx.requester.user.clone();
    let verdict = if approve { "approve" } else { "deny" };
    let refused = refusal(&rec, &ctx, verdict, &me);

    // The check that the request still waits and that this approver may answer it, and the
    // vote, in one transaction; the ledger seals the vote, which is how the waiting gate knows
    // that gate wrote it.
    let (written, appended) = ledger.append_checked(&rec.id, &mut |events| {
        let refused = match &refused {
            Some(why) => Some(why.clone()),
            None => still_answerable(&rec.id, events, &me)?,
        };
        Ok(vec![(
            EVENT,
            json!({
                "approver": me,
                "agent": ctx.requester.agent,
                "verdict": verdict,
                "comment": comment,
                "refused": refused,
                "pid": std::process::id(),
            }),
        )])
    })?;
    crate::pipeline::post_written(appended.and(ledger.take_written()), None);
    let Some(vote) = written.first() else {
        return Err(Error::Ledger {
            path: ledger.location(),
            message: "the vote was not recorded".into(),
        });
    };
    if let Some(why) = vote.data.get("refused").and_then(Value::as_str) {
        crate::ui::error(&format!("refused: {why}"));
        return Ok(Exit::Denied);
    }
    let mine = vote.seq;
    // Wait briefly for the waiting gate to count the vote, so the person learns whether it did.
    // The local channel reports every `local_vote` in ledger order and the coordinator records
    // each as a `vote` in that order, so ours is the k-th local `vote`, k counting the
    // `local_vote`s before ours.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut counted_at: Option<Instant> = None;
    while Instant::now() < deadline {
        let all = ledger.events_of(&rec.id)?;
        let before = all
            .iter()
            .filter(|e| e.kind == EVENT && e.seq < mine)
            .count();
        let verdict_event = all.iter().find(|e| e.kind == Kind::Verdict);
        let my_vote = all
            .iter()
            .filter(|e| {
                e.kind == Kind::Vote
                    && e.data.get("channel").and_then(Value::as_str) == Some("local")
            })
            .nth(before);
        match (my_vote, verdict_event) {
            (Some(v), _) if v.data.get("accepted").and_then(Value::as_bool) != Some(true) => {
                let why = v.data.get("refused").and_then(Value::as_str).unwrap_or("?");
                crate::ui::error(&format!("your {verdict} of {} was refused: {why}", rec.id));
                return Ok(Exit::Denied);
            }
            (_, Some(ev)) => {
                let outcome = ev
                    .data
                    .get("outcome")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                let note = if my_vote.is_some_and(|v| v.seq < ev.seq) {
                    format!("request {}: {outcome}", rec.id)
                } else {
                    format!(
                        "request {} was settled before your {verdict} counted: {outcome}",
                        rec.id
                    )
                };
                crate::ui::note(&note);
                return Ok(Exit::Success);
            }
            // Counted; a verdict follows at once if this vote settled the request.
            (Some(_), None) => {
                if counted_at.get_or_insert_with(Instant::now).elapsed()
                    > Duration::from_millis(500)
                {
                    break;
                }
            }
            (None, None) => {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    crate::ui::note(&format!(
        "your {verdict} of {} is recorded; the request still waits for more approvals",
        rec.id
    ));
    Ok(Exit::Success)
}
