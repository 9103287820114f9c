//! `gate log`, `gate verify`, `gate verify-command`, `gate export`: reading the ledger (`gate
//! show` is in `show.rs`).

use colored::Colorize;

use crate::cli::{ExportFormat, FilterArgs, LogArgs};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::query::{Filter, parse_time};
use crate::ledger::{RequestRecord, Status, Store, store};
use crate::ui::Paint;
use crate::when;

/// Open the ledger to read; a checkpoint written while chaining what waited in the hook's
/// intake is posted where the policy says.
pub(super) fn open() -> Result<Box<dyn Store>> {
    let mut ledger = store::open_read()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    Ok(ledger)
}

/// A status in its colour (`text` is what is shown: the status, with its exit code or signal).
fn status_paint(paint: Paint, status: Status, ok: bool, text: &str) -> String {
    match status {
        Status::Ran if ok => paint.paint(text, |s| s.green()),
        Status::Ran | Status::Denied | Status::Error => paint.paint(text, |s| s.red()),
        Status::Expired | Status::Cancelled | Status::Unknown => paint.paint(text, |s| s.yellow()),
        Status::Running => paint.paint(text, |s| s.cyan()),
    }
}

/// What a request came to, in a word or two: `ran 0` (its exit code), `ran SIGTERM`, `error
/// 127`, `denied`, `running`, ….
fn status_text(r: &RequestRecord) -> String {
    let status = r.status.as_str();
    match (r.status, r.exit_code, r.signal) {
        (Status::Ran | Status::Error, Some(code), _) => format!("{status} {code}"),
        (Status::Ran, None, Some(sig)) => format!("{status} {}", signal_name(sig)),
        _ => status.to_string(),
    }
}

/// `SIGTERM` (or `signal 70` for a number that is none).
pub(super) fn signal_name(sig: i64) -> String {
    i32::try_from(sig)
        .ok()
        .and_then(|s| nix::sys::signal::Signal::try_from(s).ok())
        .map_or_else(|| format!("signal {sig}"), |s| s.as_str().to_string())
}

/// Text for one line of a table: control characters escaped (see [`crate::ui::printable`]),
/// and line breaks and tabs too, so that a row stays one line whatever a command holds.
pub(super) fn one_line(text: &str) -> String {
    let shown = crate::ui::printable(text);
    if !shown.contains(['\n', '\t']) {
        return shown.into_owned();
    }
    shown.replace('\n', "\\n").replace('\t', "\\t")
}

/// `text` cut to `max` characters, the last of them `…` when something was cut.
fn truncate(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..keep]).into()
        }
    }
}

/// The command as a person may safely see it, on one line.
fn command_text(r: &RequestRecord) -> String {
    crate::quote::line(&r.command)
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

/// The requests `filter` accepts, newest (or oldest) first, at most `limit`: from this host's
/// ledger, or with `fleet` from every host stream of the fleet's shared ledger (each with the
/// stream that holds it). Returns the time to measure ages by.
fn requests(
    fleet: bool,
    filter: &Filter,
    newest_first: bool,
    limit: usize,
    each: &mut dyn FnMut(Option<&str>, RequestRecord),
) -> Result<std::time::SystemTime> {
    if fleet {
        let mut fleet = crate::fleet::Fleet::open()?;
        crate::fleet::read::query(&mut fleet, filter, newest_first, limit, &mut |s, r| {
            each(Some(s), r)
        })?;
        return Ok(std::time::SystemTime::now());
    }
    let ledger = open()?;
    ledger.query(filter, newest_first, limit, &mut |r| each(None, r))?;
    Ok(ledger.now())
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
    if !args.filter.fleet && nothing_yet()? {
        return Ok(Exit::Success);
    }
    let mut records = Vec::new();
    let mut streams = Vec::new();
    let now = requests(args.filter.fleet, &filter, true, args.limit, &mut |s, r| {
        streams.push(s.map(str::to_string));
        records.push(r);
    })?;
    if args.json {
        for (r, s) in records.iter().zip(&streams) {
            crate::json::print(&crate::json::Request::from(r).in_stream(s.as_deref()));
        }
        return Ok(Exit::Success);
    }
    if records.is_empty() {
        println!("the ledger is empty");
        return Ok(Exit::Success);
    }
    let table = Table::of(&records, now, args.utc);
    let width = (!args.wide).then(terminal_width);
    table.print(width, Paint::stdout());
    Ok(Exit::Success)
}

/// The width `gate log` fits its rows to: `COLUMNS` when set, else that of the terminal on
/// stdout, else 80.
fn terminal_width() -> usize {
    crate::env_vars::text(crate::env_vars::COLUMNS)
        .and_then(|c| c.trim().parse().ok())
        .filter(|c| *c > 0)
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize))
        .unwrap_or(80)
}

/// The columns of `gate log` before the command, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    When,
    Who,
    Decide,
    Status,
    Took,
}

const COLUMNS: [Column; 6] = [
    Column::Id,
    Column::When,
    Column::Who,
    Column::Decide,
    Column::Status,
    Column::Took,
];

/// Given up in this order, when the command would get fewer than [`MIN_COMMAND`] columns.
const DROPPED_FIRST: [Column; 4] = [Column::Who, Column::Decide, Column::Took, Column::When];

/// Room for the command is made, until it has [`MIN_COMMAND`] columns, by closing the gaps
/// between the columns from two spaces to one, then cutting WHO down to [`MIN_WHO`], then
/// giving up columns; however narrow the terminal, the command keeps [`MIN_COMMAND_CUT`].
const MIN_COMMAND: usize = 16;
const MIN_COMMAND_CUT: usize = 10;
const MIN_WHO: usize = 8;
const MAX_WHO: usize = 16;

/// One row of `gate log`, as text (escaped, one line each).
struct Row {
    cells: [String; 6],
    status: Status,
    ok: bool,
    decision: String,
    command: String,
}

/// The width of each column (`None`: given up), the spaces between them, and the room left
/// for the command (`None`: all it needs).
struct Layout {
    widths: [Option<usize>; 6],
    gap: usize,
    command: Option<usize>,
}

struct Table {
    headers: [&'static str; 6],
    rows: Vec<Row>,
}

impl Table {
    fn of(records: &[RequestRecord], now: std::time::SystemTime, utc: bool) -> Table {
        let rows = records
            .iter()
            .map(|r| {
                let start = when::parse(&r.time);
                let shown = start.map(|t| match when::age(t, now).filter(|_| !utc) {
                    Some(age) => age,
                    None => when::date_minute(t, utc),
                });
                let took = match (start, r.ended.as_deref().and_then(when::parse)) {
                    (Some(a), Some(b)) => when::duration(b.duration_since(a).unwrap_or_default()),
                    _ => "-".into(),
                };
                Row {
                    cells: [
                        one_line(&r.id),
                        shown.unwrap_or_else(|| one_line(&r.time)),
                        one_line(&r.who()),
                        one_line(&r.decision),
                        one_line(&status_text(r)),
                        took,
                    ],
                    status: r.status,
                    ok: r.exit_code == Some(0),
                    decision: r.decision.clone(),
                    command: command_text(r),
                }
            })
            .collect();
        Table {
            headers: [
                "ID",
                if utc { "WHEN (UTC)" } else { "WHEN" },
                "WHO",
                "DECIDE",
                "STATUS",
                "TOOK",
            ],
            rows,
        }
    }

    /// How to fit in `width` columns (`None`: however wide).
    fn layout(&self, width: Option<usize>) -> Layout {
        let widths = COLUMNS.map(|c| {
            let i = c as usize;
            let longest = self.rows.iter().map(|r| r.cells[i].chars().count()).max();
            let w = longest.unwrap_or(0).max(self.headers[i].len());
            Some(if c == Column::Who { w.min(MAX_WHO) } else { w })
        });
        let mut layout = Layout {
            widths,
            gap: 2,
            command: None,
        };
        let Some(width) = width else {
            return layout;
        };
        let room = |l: &Layout| {
            let used: usize = l.widths.iter().flatten().map(|w| w + l.gap).sum();
            width.saturating_sub(used)
        };
        if room(&layout) < MIN_COMMAND {
            layout.gap = 1;
        }
        if room(&layout) < MIN_COMMAND {
            let short = MIN_COMMAND - room(&layout);
            let who = &mut layout.widths[Column::Who as usize];
            *who = who.map(|w| w.saturating_sub(short).max(MIN_WHO.min(w)));
        }
        for c in DROPPED_FIRST {
            if room(&layout) >= MIN_COMMAND {
                break;
            }
            layout.widths[c as usize] = None;
        }
        layout.command = Some(room(&layout).max(MIN_COMMAND_CUT));
        layout
    }

    fn print(&self, width: Option<usize>, paint: Paint) {
        use std::io::Write;
        let Layout {
            widths,
            gap,
            command,
        } = self.layout(width);
        let gap = " ".repeat(gap);
        let line = |cells: [&str; 6], paint_cell: &dyn Fn(usize, String) -> String, cmd: &str| {
            let mut out = String::new();
            for (i, w) in widths.iter().enumerate() {
                let Some(w) = *w else { continue };
                let text = truncate(cells[i], w);
                let pad = w - text.chars().count();
                let cell = if COLUMNS[i] == Column::Took {
                    format!("{}{text}", " ".repeat(pad))
                } else {
                    format!("{text}{}", " ".repeat(pad))
                };
                out.push_str(&paint_cell(i, cell));
                out.push_str(&gap);
            }
            match command {
                Some(max) => out.push_str(&truncate(cmd, max)),
                None => out.push_str(cmd),
            }
            out.truncate(out.trim_end_matches(' ').len());
            out
        };
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let header = line(self.headers, &|_, cell| cell, "COMMAND");
        let _ = writeln!(out, "{}", paint.paint(&header, |s| s.bold()));
        for row in &self.rows {
            let cells = row.cells.each_ref().map(String::as_str);
            let paint_cell = |i: usize, cell: String| match COLUMNS[i] {
                Column::Status => status_paint(paint, row.status, row.ok, &cell),
                Column::Decide if row.decision == "deny" => paint.paint(&cell, |s| s.red()),
                Column::Decide if row.decision == "ask" => paint.paint(&cell, |s| s.yellow()),
                Column::Id => paint.paint(&cell, |s| s.dimmed()),
                _ => cell,
            };
            let _ = writeln!(out, "{}", line(cells, &paint_cell, &row.command));
        }
        let _ = out.flush();
    }
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
    if !args.fleet && nothing_yet()? {
        if let ExportFormat::Csv = format {
            println!("{}", CSV_COLUMNS.join(","));
        }
        return Ok(Exit::Success);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = None;
    if let ExportFormat::Csv = format {
        let _ = writeln!(out, "{}", CSV_COLUMNS.join(","));
    }
    requests(args.fleet, &filter, false, usize::MAX, &mut |stream, r| {
        if failed.is_some() {
            return;
        }
        let line = match format {
            ExportFormat::Jsonl => {
                crate::json::line(&crate::json::Request::from(&r).in_stream(stream))
            }
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
            crate::json::print(&crate::json::Verify::empty());
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
        crate::json::print(&crate::json::Verify::from(&report));
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
