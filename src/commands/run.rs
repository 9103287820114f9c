//! `gate -- CMD`, `gate run`, `gate shell -c`: one request through the pipeline, then what the
//! person at the terminal is told and gate's exit status.

use std::ffi::OsString;

use crate::approve::{self, Outcome};
use crate::cli::RunOptions;
use crate::context::Context;
use crate::decide::Verdict;
use crate::error::Result;
use crate::exit::Exit;
use crate::ledger::{Kind, events};
use crate::pipeline::{Ask, Options, Request};
use crate::policy::Decision;
use crate::ui;

pub use crate::pipeline::Target;

pub fn run(cli: RunOptions, target: Target) -> Result<Exit> {
    let options = Options::resolve(cli)?;
    let mut timer = ui::Timer::start();
    let ctx = Context::detect(options.agent.as_deref());
    timer.mark("context (agent ancestry)");
    let ask = Ask {
        options,
        target,
        ctx,
        id: None,
        via: None,
    };
    let Some(mut req) = Request::prepare(ask)? else {
        return Ok(Exit::Success);
    };
    if req.options.json {
        // stderr is read by whatever runs gate (an agent's model, a CI log): secrets masked
        // there too, as in the ledger.
        let mut check: crate::json::Check = (&req.verdict).into();
        for c in &mut check.commands {
            c.argv = req.redactor.argv(&c.argv);
        }
        for o in &mut check.opaque {
            o.snippet = req.redactor.text(&o.snippet);
        }
        crate::json::eprint(&crate::json::Run {
            check,
            id: req.id.clone(),
            command: req.masked.clone(),
            policy_version: req.policy.policy_version,
        });
    }
    // Request and decision (and `started` when allowed) in one step, before anything else
    // happens.
    req.open()?;
    timer.mark("recorded request, decision (started)");
    match req.decision() {
        Decision::Allow => req.run(),
        Decision::Deny => {
            explain_denial(&req.verdict, &req.display, None);
            Ok(Exit::Denied)
        }
        Decision::Ask => match req.approve()? {
            Outcome::Approved { by, channel } => {
                ui::note(&format!("approved in {channel} by {}", by.join(", ")));
                req.note(Kind::Started, events::started())?;
                req.run()
            }
            Outcome::Denied {
                by,
                channel,
                comment,
            } => {
                let c = comment
                    .map(|c| format!(": {}", ui::printable(&c)))
                    .unwrap_or_default();
                explain_denial(
                    &req.verdict,
                    &req.display,
                    Some(format!("denied in {channel} by {by}{c}")),
                );
                Ok(Exit::Denied)
            }
            Outcome::Expired => {
                ui::error(&format!(
                    "approval request {} expired: nobody answered in time; `{}` did not run",
                    req.id, req.display
                ));
                Ok(Exit::Expired)
            }
            Outcome::Cancelled => {
                ui::error(&format!(
                    "request {} cancelled; `{}` did not run",
                    req.id, req.display
                ));
                Ok(Exit::Cancelled)
            }
            Outcome::Unavailable(failures) => Err(approve::unavailable_error(
                &failures,
                req.ctx.in_ci(),
                req.ctx.requester.agent.is_some(),
            )),
        },
    }
}

/// `gate shell -c SCRIPT [NAME ARGS...]`.
pub fn shell(cli: RunOptions, script: String, args: Vec<OsString>) -> Result<Exit> {
    run(cli, Target::Script { script, args })
}

/// One or two lines on stderr: what was refused, by which rule, and what to do instead.
fn explain_denial(verdict: &Verdict, display: &str, by_person: Option<String>) {
    let rules: Vec<String> = verdict.deciding().map(|h| h.rule.clone()).collect();
    let head = match (&by_person, rules.is_empty()) {
        (Some(who), _) => format!("denied: `{display}` was {who}"),
        (None, false) => format!("denied: `{display}` (rule {})", rules.join(", ")),
        (None, true) => format!("denied: `{display}` (the policy's default decision)"),
    };
    ui::error(&head);
    let messages: Vec<String> = verdict
        .deciding()
        .filter_map(|h| h.message.clone())
        .collect();
    if !messages.is_empty() && by_person.is_none() {
        eprintln!("gate: {}", messages.join(" "));
    }
}
