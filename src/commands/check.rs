//! `gate check`: decide only, run nothing.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::context::Context;
use crate::decide::Verdict;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::pipeline::prepare;
use crate::policy::Decision;

pub fn check(
    json: bool,
    shell: Option<String>,
    policy_path: Option<PathBuf>,
    agent: Option<String>,
    command: Vec<OsString>,
) -> Result<Exit> {
    if shell.is_none() && command.is_empty() {
        return Err(Error::Usage(
            "nothing to check: give a command after `--` (gate check -- CMD ARGS) or --shell SCRIPT".into(),
        ));
    }
    let mut timer = crate::ui::Timer::start();
    let policy = prepare::load_policy(policy_path)?;
    timer.mark("loaded policy");
    let ctx = Context::detect(agent.as_deref());
    timer.mark("detected context");
    let mut analysis = match &shell {
        Some(script) => prepare::analyse_script(&policy, script),
        None => {
            let (argv, bad) = prepare::argv_strings(&command);
            prepare::analyse_argv(&policy, &argv, bad)
        }
    };
    timer.mark("analysed");
    prepare::read_scripts(&policy, &ctx, &mut analysis, None);
    timer.mark("read script files");
    let verdict = prepare::decide(&policy, &ctx, &analysis)?;
    timer.mark("decided");
    if json {
        crate::json::print(&crate::json::Check::from(&verdict));
    } else {
        print_human(&verdict);
    }
    Ok(match verdict.decision {
        Decision::Allow => Exit::Success,
        Decision::Ask => Exit::CheckAsk,
        Decision::Deny => Exit::CheckDeny,
    })
}

fn print_human(v: &Verdict) {
    use colored::Colorize;
    let paint = crate::ui::Paint::stdout();
    let d = v.decision.as_str();
    let word = match v.decision {
        Decision::Allow => paint.paint(d, |s| s.green().bold()),
        Decision::Ask => paint.paint(d, |s| s.yellow().bold()),
        Decision::Deny => paint.paint(d, |s| s.red().bold()),
    };
    println!("{word}");
    for (i, c) in v.commands.iter().enumerate() {
        let argv: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
        let via = if c.via.is_empty() {
            String::new()
        } else {
            format!("  (via {})", c.via.join(" → "))
        };
        println!("  command {}: {}{via}", i + 1, crate::quote::line(&argv));
        for h in v.hits.iter().filter(|h| h.command == i) {
            let msg = h
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            println!(
                "    {} {} ({}, {}){msg}",
                paint.paint("rule", |s| s.dimmed()),
                h.rule,
                h.decision,
                h.risk.as_str()
            );
        }
    }
    for o in &v.opaque {
        println!("  opaque: {} — {}", o.reason, o.snippet);
    }
    if v.hits.is_empty() && v.opaque.is_empty() {
        println!("  no rule matched: the policy's default applies");
    }
}
