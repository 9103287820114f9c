//! `gate log`, `gate show`, `gate verify`: reading the ledger.

use colored::Colorize;
use serde_json::json;

use crate::cli::{ExportFormat, FilterArgs, LogArgs};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::query::{Filter, parse_time};
use crate::ledger::{RequestRecord, Status, Store, store};
use crate::ui::Paint;

/// Open the ledger to read; a checkpoint written while chaining what waited in the hook's
/// intake is posted where the policy says.
fn open() -> Result<Box<dyn Store>> {
    let mut ledger = store::open_read()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    Ok(ledger)
}

fn status_colored(s: Status) -> String {
    let text = s.as_str();
    let paint = Paint::stdout();
    match s {
        Status::Ran => paint.paint(text, |s| s.green()),
        Status::Denied | Status::Error => paint.paint(text, |s| s.red()),
        Status::Expired | Status::Cancelled | Status::Unknown => paint.paint(text, |s| s.yellow()),
        Status::Running => paint.paint(text, |s| s.cyan()),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The command as a person may safely see it (control characters escaped).
fn command_text(r: &RequestRecord) -> String {
    crate::ui::printable(&r.command.join(" ")).into_owned()
}

fn filter(args: &FilterArgs) -> Result<Filter> {
    let time = |t: &Option<String>, flag: &str| -> Result<Option<String>> {
        t.as_deref()
            .map(|t| parse_time(t).map_err(|e| Error::Usage(format!("--{flag}: {e}"))))
            .transpose()
    };
    const STATUSES: &[&str] = &[
        "ran",
        "denied",
        "expired",
        "cancelled",
        "error",
        "running",
        "unknown",
    ];
    if let Some(s) = &args.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(Error::Usage(format!(
            "--status {s}: expected one of {}",
            STATUSES.join(", ")
        )));
    }
    if let Some(d) = &args.decision
        && !["allow", "ask", "deny"].contains(&d.as_str())
    {
        return Err(Error::Usage(format!(
            "--decision {d}: expected allow, ask or deny"
        )));
    }
    Ok(Filter {
        since: time(&args.since, "since")?,
        until: time(&args.until, "until")?,
        status: args.status.clone(),
        decision: args.decision.clone(),
        rule: args.rule.clone(),
        agent: args.agent.clone(),
        user: args.user.clone(),
        grep: args.grep.clone(),
    })
}

/// No ledger yet: nothing has run through gate. Readers say so (on stderr, so that `--json`
/// and exports stay empty) and succeed: there is nothing to show, which is not an error.
fn nothing_yet() -> Result<bool> {
    if store::exists()? {
        return Ok(false);
    }
    crate::ui::note(&format!(
        "no ledger at {} yet: nothing has run through gate",
        store::location()?
    ));
    Ok(true)
}

pub fn log(args: &LogArgs) -> Result<Exit> {
    let filter = filter(&args.filter)?;
    if nothing_yet()? {
        return Ok(Exit::Success);
    }
    let ledger = open()?;
    let mut records = Vec::new();
    ledger.query(&filter, true, args.limit, &mut |r| records.push(r))?;
    if args.json {
        for r in &records {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        }
        return Ok(Exit::Success);
    }
    if records.is_empty() {
        println!("the ledger is empty");
        return Ok(Exit::Success);
    }
    let header = format!(
        "{:<10}  {:<24}  {:<16}  {:<6}  {:<9}  {:>4}  COMMAND",
        "ID", "TIME", "REQUESTER", "DECIDE", "STATUS", "EXIT"
    );
    println!("{}", Paint::stdout().paint(&header, |s| s.bold()));
    for r in &records {
        let exit = match (r.exit_code, r.signal) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => format!("sig{s}"),
            _ => "-".into(),
        };
        println!(
            "{:<10}  {:<24}  {:<16}  {:<6}  {:<9}  {:>4}  {}",
            r.id,
            r.time,
            truncate(&r.who(), 16),
            r.decision,
            // pad before colouring so the escape codes do not break alignment
            status_colored(r.status) + &" ".repeat(9usize.saturating_sub(r.status.as_str().len())),
            exit,
            truncate(&command_text(r), 80)
        );
    }
    Ok(Exit::Success)
}

pub fn show(id: &str, as_json: bool) -> Result<Exit> {
    let ledger = open()?;
    let id = ledger.resolve_id(id)?;
    let events = ledger.events_of(&id)?;
    let record = RequestRecord::from_events(&id, &events);
    if as_json {
        let mut v = serde_json::to_value(&record).unwrap_or_default();
        v["events"] = json!(events);
        println!("{v}");
        return Ok(Exit::Success);
    }
    println!(
        "{} {}",
        Paint::stdout().paint("request", |s| s.bold()),
        record.id
    );
    println!("  time       {}", record.time);
    println!("  requester  {}", record.who());
    if let Some(host) = record.requester.get("host").and_then(|v| v.as_str()) {
        println!("  host       {host}");
    }
    println!("  cwd        {}", crate::ui::printable(&record.cwd));
    println!("  command    {}", command_text(&record));
    if let Some(s) = &record.script {
        println!("  script     {}", crate::ui::printable(s));
    }
    if let Some(r) = &record.reason {
        println!("  reason     {}", crate::ui::printable(r));
    }
    println!("  decision   {}", record.decision);
    for rule in &record.rules {
        let id = rule.get("rule").and_then(|v| v.as_str()).unwrap_or("?");
        let d = rule.get("decision").and_then(|v| v.as_str()).unwrap_or("?");
        let msg = rule
            .get("message")
            .and_then(|v| v.as_str())
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        println!("  rule       {id} ({d}){msg}");
    }
    for a in &record.approvals {
        let c = a
            .comment
            .as_deref()
            .map(|c| format!(" — {c}"))
            .unwrap_or_default();
        println!(
            "  approval   {} {} in {} at {}{c}",
            a.approver, a.verdict, a.channel, a.time
        );
    }
    println!("  status     {}", status_colored(record.status));
    if let Some(c) = record.exit_code {
        println!("  exit code  {c}");
    }
    if let Some(s) = record.signal {
        println!("  signal     {s}");
    }
    if let Some(d) = record.duration_ms {
        println!("  duration   {d} ms");
    }
    println!("{}", Paint::stdout().paint("events", |s| s.bold()));
    for ev in &events {
        println!(
            "  #{:<6} {}  {:<18} {}",
            ev.seq,
            ev.time,
            crate::ui::printable(&ev.kind),
            crate::ui::printable(&ev.raw)
        );
    }
    Ok(Exit::Success)
}

pub fn verify_command(id: &str, argv: &[std::ffi::OsString]) -> Result<Exit> {
    let ledger = open()?;
    let id = ledger.resolve_id(id)?;
    let record = RequestRecord::from_events(&id, &ledger.events_of(&id)?);
    let Some(recorded) = record.argv_hmac.as_deref() else {
        return Err(Error::NotFound(format!(
            "request {id} has no keyed hash of its command line"
        )));
    };
    if ledger.argv_matches(argv, recorded)? {
        println!("match: request {id} ran exactly this command line");
        Ok(Exit::Success)
    } else {
        println!("no match: request {id} did not run this command line");
        Ok(Exit::Failure)
    }
}

const CSV_COLUMNS: &[&str] = &[
    "id",
    "time",
    "user",
    "agent",
    "host",
    "cwd",
    "command",
    "decision",
    "rules",
    "risk",
    "approvers",
    "status",
    "exit_code",
    "signal",
    "duration_ms",
    "reason",
    "ci_provider",
    "ci_job_url",
    "argv_hmac",
];

fn csv_field(s: &str) -> String {
    // Quote every field that needs it (RFC 4180), and defuse spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_row(r: &RequestRecord) -> String {
    let req = |k: &str| {
        r.requester
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let ci = |k: &str| {
        r.ci.as_ref()
            .and_then(|c| c.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let rules: Vec<&str> = r
        .rules
        .iter()
        .filter_map(|h| h.get("rule").and_then(|v| v.as_str()))
        .collect();
    let approvers: Vec<String> = r
        .approvals
        .iter()
        .map(|a| format!("{}:{}:{}", a.channel, a.approver, a.verdict))
        .collect();
    let fields = [
        r.id.clone(),
        r.time.clone(),
        req("user"),
        req("agent"),
        req("host"),
        r.cwd.clone(),
        serde_json::to_string(&r.command).unwrap_or_default(),
        r.decision.clone(),
        rules.join(" "),
        r.risk.clone().unwrap_or_default(),
        approvers.join(" "),
        r.status.as_str().to_string(),
        num(r.exit_code),
        num(r.signal),
        num(r.duration_ms),
        r.reason.clone().unwrap_or_default(),
        ci("provider"),
        ci("job_url"),
        r.argv_hmac.clone().unwrap_or_default(),
    ];
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn export(format: ExportFormat, args: &FilterArgs) -> Result<Exit> {
    use std::io::Write;
    let filter = filter(args)?;
    if nothing_yet()? {
        if let ExportFormat::Csv = format {
            println!("{}", CSV_COLUMNS.join(","));
        }
        return Ok(Exit::Success);
    }
    let ledger = open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = None;
    if let ExportFormat::Csv = format {
        let _ = writeln!(out, "{}", CSV_COLUMNS.join(","));
    }
    ledger.query(&filter, false, usize::MAX, &mut |r| {
        if failed.is_some() {
            return;
        }
        let line = match format {
            ExportFormat::Jsonl => serde_json::to_string(&r).unwrap_or_default(),
            ExportFormat::Csv => csv_row(&r),
        };
        if let Err(e) = writeln!(out, "{line}") {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed.or_else(|| out.flush().err()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Error::Io(format!("cannot write the export: {e}")));
        }
    }
    Ok(Exit::Success)
}

pub fn verify(as_json: bool) -> Result<Exit> {
    if !store::exists()? {
        // An empty chain is intact: nothing was recorded, nothing was altered.
        if as_json {
            println!(
                "{}",
                json!({"ok": true, "events": 0, "head": hex::encode([0u8; 32])})
            );
        } else {
            println!(
                "{} no ledger at {} yet: nothing has run through gate, nothing to verify",
                Paint::stdout().paint("ok:", |s| s.green().bold()),
                store::location()?
            );
        }
        return Ok(Exit::Success);
    }
    let mut ledger = store::open_audit()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    let report = ledger.verify()?;
    if report.seals_unchecked > 0 {
        crate::ui::note(&format!(
            "warning: {} votes and verdicts were not checked: their seals need the ledger key, {}, which cannot be read",
            report.seals_unchecked,
            report.key.as_deref().unwrap_or("?")
        ));
    }
    if as_json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else if let Some(b) = &report.first_broken {
        // Events about the hook's intake belong to no request.
        let request = if b.request.is_empty() {
            String::new()
        } else {
            format!(" (request {})", b.request)
        };
        println!(
            "{} the chain breaks at event #{}{request}: {}",
            Paint::stdout().paint("BROKEN:", |s| s.red().bold()),
            b.seq,
            b.problem
        );
    } else {
        println!(
            "{} {} events, chain intact (head {})",
            Paint::stdout().paint("ok:", |s| s.green().bold()),
            report.events,
            &report.head[..16.min(report.head.len())]
        );
    }
    Ok(if report.ok {
        Exit::Success
    } else {
        Exit::Failure
    })
}
