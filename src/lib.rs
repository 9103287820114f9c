//! gate: action-level approval for the commands automation runs.
//!
//! The data flows one way: CLI → policy + analysis → decision → approval → ledger → exec →
//! ledger. `analyze` and `decide` are pure; channels know nothing of rules.

pub mod analyze;
pub mod approve;
pub mod cli;
pub(crate) mod commands;
pub mod context;
pub mod decide;
pub mod env_vars;
pub mod error;
pub mod exec;
pub mod exit;
pub mod fleet;
pub mod hook;
pub mod json;
pub mod ledger;
pub mod pipeline;
pub mod policy;
pub mod protect;
pub mod protected;
pub mod quote;
pub mod random;
pub mod redact;
pub mod ui;
pub mod when;

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

/// Parse the command line, dispatch, and turn the result into gate's exit status.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut timer = ui::Timer::start();
    // The fast paths below take no `--color`: the environment decides.
    ui::set_color(ui::ColorChoice::Auto);
    let args: Vec<OsString> = args.into_iter().collect();
    // The protected install drops its group and checks its ledger before reading anything.
    let setup = args.get(1).is_some_and(|a| a == "protected-setup");
    if let Err(e) = protected::init(setup) {
        // Parsing needs no ledger: it tells whether the error is wanted as JSON.
        let json = match parse_bare_run(&args) {
            Some(run) => run_json(&run.options),
            None => parse(&args).ok().as_ref().and_then(json_stream),
        };
        return fail(&e, json);
    }
    if let Some(agent) = parse_hook(&args) {
        timer.mark("parsed the command line (hook)");
        return match dispatch_hook(agent) {
            Ok(exit) => exit.end(),
            Err(e) => {
                ui::error(&e.to_string());
                e.exit().into()
            }
        };
    }
    if let Some(run) = parse_bare_run(&args) {
        timer.mark("parsed the command line (gate -- …)");
        let json = run_json(&run.options);
        return match commands::run::run(run.options, commands::run::Target::Argv(run.command)) {
            Ok(exit) => exit.end(),
            Err(e) => fail(&e, json),
        };
    }
    let parsed = parse(&args);
    timer.mark("parsed the command line");
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return command_line_error(&e, &args),
    };
    ui::set_color(cli.color);
    let json = json_stream(&cli);
    match dispatch(cli) {
        Ok(exit) => exit.end(),
        Err(e) => fail(&e, json),
    }
}

/// A command's failure: its error as JSON where its JSON goes, when it was asked for JSON
/// (`gate.error/1`), and always the `gate: error:` line on stderr; the exit status is the
/// error's.
fn fail(e: &error::Error, json: Option<json::Stream>) -> ExitCode {
    if let Some(to) = json {
        json::print_error(e, to);
    }
    ui::error(&e.to_string());
    e.exit().into()
}

/// `gate --json -- CMD` (and `run`, `shell -c`): its JSON goes to stderr, stdout being the
/// command's.
fn run_json(options: &cli::RunOptions) -> Option<json::Stream> {
    options.json.then_some(json::Stream::Stderr)
}

/// Where the command prints JSON, if it was asked to: `--json`, and `gate export` in jsonl.
fn json_stream(cli: &Cli) -> Option<json::Stream> {
    use cli::{CheckpointsCommand, ExportFormat, RulesCommand};
    let stdout = |json: bool| json.then_some(json::Stream::Stdout);
    match &cli.command {
        None => run_json(&cli.run.options),
        Some(Command::Run(args)) => run_json(&args.options),
        Some(Command::Shell { options, .. }) => run_json(options),
        Some(
            Command::Check { json, .. }
            | Command::Show { json, .. }
            | Command::Pending { json, .. }
            | Command::Verify { json, .. }
            | Command::Doctor { json, .. },
        ) => stdout(*json),
        Some(Command::Log(args)) => stdout(args.json),
        Some(Command::Export { format, .. }) => stdout(matches!(format, ExportFormat::Jsonl)),
        Some(Command::Rules { command }) => match command {
            RulesCommand::Lint { json, .. }
            | RulesCommand::List { json, .. }
            | RulesCommand::Show { json, .. } => stdout(*json),
            RulesCommand::Test { .. } | RulesCommand::Edit { .. } => None,
        },
        Some(Command::Checkpoints {
            command: CheckpointsCommand::Post { json, .. },
        }) => stdout(*json),
        Some(Command::Fleet { command }) => match command {
            cli::FleetCommand::Init { json }
            | cli::FleetCommand::Status { json }
            | cli::FleetCommand::Seal { json }
            | cli::FleetCommand::Ship { json, .. } => stdout(*json),
        },
        Some(Command::Ledger {
            command: cli::LedgerCommand::Migrate { json, .. },
        }) => stdout(*json),
        Some(Command::Policy { command }) => match command {
            cli::PolicyCommand::Push { json, .. }
            | cli::PolicyCommand::Fetch { json }
            | cli::PolicyCommand::Status { json } => stdout(*json),
            cli::PolicyCommand::Keygen { .. } => None,
        },
        Some(_) => None,
    }
}

/// The full parse. The run options (`--reason`, `--json`, …) go with a command to run, never
/// with a subcommand (`gate --reason x log` is refused, not ignored); `--color` goes anywhere.
fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    use clap::parser::ValueSource;
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some((name, _)) = matches.subcommand() {
        let given = cmd.get_arguments().find(|a| {
            !a.is_global_set()
                && matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
        });
        if let Some(arg) = given {
            let flag = arg
                .get_long()
                .map_or_else(|| format!("<{}>", arg.get_id()), |long| format!("--{long}"));
            return Err(cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "{flag} goes with a command to run (gate {flag} … -- COMMAND), not with `gate {name}`"
                ),
            ));
        }
    }
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// What clap did not accept, in gate's one error style (`gate: error: …`, exit 64), with
/// clap's tips and usage line, or gate's own suggestion for a mistyped subcommand. `--help`
/// and `--version` come this way too: on stdout, exit 0.
fn command_line_error(e: &clap::Error, args: &[OsString]) -> ExitCode {
    use std::io::Write;
    // The parse failed, so `--color` is read from the words as they are (a bad value: auto).
    ui::set_color(color_flag(args));
    let rendered = e.render();
    if !e.use_stderr() {
        let text = if ui::color(ui::Stream::Stdout) {
            rendered.ansi().to_string()
        } else {
            rendered.to_string()
        };
        let _ = write!(std::io::stdout(), "{text}");
        return Exit::Success.into();
    }
    let message = match mistyped(args) {
        Some(hint) => hint,
        None if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!(
                "a subcommand is needed\n\n{}",
                rendered.to_string().trim_end()
            )
        }
        None => {
            let text = rendered.to_string();
            let text = text.trim_end();
            text.strip_prefix("error: ").unwrap_or(text).to_string()
        }
    };
    ui::error(&message);
    Exit::Usage.into()
}

/// The value of the last `--color WHEN` / `--color=WHEN` before `--`, if it is a good one.
fn color_flag(args: &[OsString]) -> ui::ColorChoice {
    use clap::ValueEnum;
    let mut choice = ui::ColorChoice::Auto;
    let mut words = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(word) = words.next() {
        let value = match word {
            "--" => break,
            "--color" => words.next(),
            w => w.strip_prefix("--color="),
        };
        if let Some(c) = value.and_then(|v| ui::ColorChoice::from_str(v, false).ok()) {
            choice = c;
        }
    }
    choice
}

/// `gate hook …` runs before every command an agent starts, so it is parsed with the hook's
/// own small parser: building the whole command tree costs more than the rest of the parse.
/// Anything that parser does not accept (help, a typo, options before `hook`) goes to the full
/// parser, which gives the usual messages.
fn parse_hook(args: &[OsString]) -> Option<cli::HookAgent> {
    use clap::{FromArgMatches, Subcommand};
    if args.get(1).is_none_or(|a| a != "hook") {
        return None;
    }
    let cmd = cli::HookAgent::augment_subcommands(
        clap::Command::new("hook")
            .subcommand_required(true)
            .disable_help_subcommand(true),
    );
    let matches = cmd.try_get_matches_from(&args[1..]).ok()?;
    cli::HookAgent::from_arg_matches(&matches).ok()
}

/// A first word that is no subcommand: the one it was probably meant to be (`gate lgo`), or,
/// for a program, how to run it under gate (`gate kubectl get pods`).
fn mistyped(args: &[OsString]) -> Option<String> {
    use clap::CommandFactory;
    // `--color` may stand before the subcommand.
    let mut first = 1;
    while let Some(word) = args.get(first).and_then(|a| a.to_str()) {
        match word {
            "--color" => first += 2,
            w if w.starts_with("--color=") => first += 1,
            _ => break,
        }
    }
    let word = args.get(first)?.to_str()?;
    if word.starts_with('-') || word.is_empty() {
        return None;
    }
    let cli = Cli::command();
    let names: Vec<&str> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name())
        .collect();
    if names.contains(&word) {
        return None;
    }
    let rest: Vec<String> = args[first..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Some(match nearest(word, names.iter().copied()) {
        Some(n) => format!(
            "`{word}` is not a gate command: did you mean `gate {n}`? (`gate --help` lists them; to run a program under gate: `gate -- {}`)",
            rest.join(" ")
        ),
        None => format!(
            "`{word}` is not a gate command. To run it under gate, put it after `--`: gate -- {} (`gate --help` lists the commands)",
            rest.join(" ")
        ),
    })
}

/// The candidate nearest to `word`, when it is near enough to be what was meant.
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| {
            let long = c.chars().count().max(word.chars().count());
            (*d <= 2 && *d < c.chars().count()) || (*d <= 3 && *d * 3 <= long)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, for suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            row.push(sub.min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

/// `gate -- CMD…`, the form CI scripts and shims use on every step, is parsed with only the
/// run options (what the full parser gives it, since nothing may come before `--`), without
/// building every subcommand.
fn parse_bare_run(args: &[OsString]) -> Option<cli::RunArgs> {
    use clap::{Args, FromArgMatches};
    if args.get(1).is_none_or(|a| a != "--") {
        return None;
    }
    let cmd = cli::RunArgs::augment_args(clap::Command::new("gate").no_binary_name(false));
    let matches = cmd.try_get_matches_from(args).ok()?;
    cli::RunArgs::from_arg_matches(&matches).ok()
}

fn dispatch_hook(agent: cli::HookAgent) -> error::Result<Exit> {
    use hook::tool_call::{Dialect, Options, run};
    // Only Claude Code can ask its user from a hook; the others ask on gate's channels.
    let (dialect, ask, args) = match agent {
        cli::HookAgent::ClaudeCode { ask, args } => (Dialect::ClaudeCode, ask, args),
        cli::HookAgent::Codex { args } => (Dialect::Codex, cli::HookAsk::Gate, args),
        cli::HookAgent::Gemini { args } => (Dialect::Gemini, cli::HookAsk::Gate, args),
    };
    Ok(run(Options {
        dialect,
        ask,
        policy: args.policy,
        agent: args.agent,
    }))
}

/// A command that prints (log, show, export, check, rules, doctor, …) ends quietly when its
/// reader goes away (`gate log | head -1`), as `cat` does: SIGPIPE back at its default. Not
/// for `gate --` (its command's output is not gate's) nor the hooks (a hook killed by a signal
/// reads as "go ahead" to some agents).
fn end_quietly_on_a_closed_pipe() {
    // SAFETY: restoring a signal's default disposition runs no handler code.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
}

fn dispatch(cli: Cli) -> error::Result<Exit> {
    if !matches!(
        cli.command,
        None | Some(Command::Run(_))
            | Some(Command::Shell { .. })
            | Some(Command::Hook { .. })
            | Some(Command::ShimExec { .. })
    ) {
        end_quietly_on_a_closed_pipe();
    }
    match cli.command {
        None => commands::run::run(
            cli.run.options,
            commands::run::Target::Argv(cli.run.command),
        ),
        Some(Command::Run(args)) => {
            commands::run::run(args.options, commands::run::Target::Argv(args.command))
        }
        Some(Command::Shell {
            options,
            script,
            args,
        }) => commands::run::shell(options, script, args),
        Some(Command::Check {
            json,
            shell,
            policy,
            agent,
            command,
        }) => commands::check::check(json, shell, policy, agent, command),
        Some(Command::Log(args)) => commands::log::log(&args),
        Some(Command::Show {
            id,
            json,
            utc,
            fleet,
        }) => commands::show::show(&id, json, utc, fleet),
        Some(Command::Verify { json, fleet: false }) => commands::log::verify(json),
        Some(Command::Verify { json, fleet: true }) => fleet::verify::verify(json),
        Some(Command::VerifyCommand { id, argv }) => commands::log::verify_command(&id, &argv),
        Some(Command::Export { format, filter }) => commands::log::export(format, &filter),
        Some(Command::Pending { json, fleet }) => commands::approve::pending(json, fleet),
        Some(Command::Approve { id, comment }) => commands::approve::answer(&id, comment, true),
        Some(Command::Deny { id, comment }) => commands::approve::answer(&id, comment, false),
        Some(Command::Doctor { json, policy }) => commands::doctor::doctor(json, policy),
        Some(Command::Rules { command }) => commands::rules::rules(command),
        Some(Command::Init { force, path }) => commands::init::init(force, path),
        Some(Command::Hook { agent }) => dispatch_hook(agent),
        Some(Command::Hooks { command }) => match command {
            cli::HooksCommand::Install(a) => hook::install::install(a.agent, a.project, a.dry_run),
            cli::HooksCommand::Uninstall(a) => {
                hook::install::uninstall(a.agent, a.project, a.dry_run)
            }
        },
        Some(Command::Checkpoints {
            command:
                cli::CheckpointsCommand::Post {
                    json,
                    quiet,
                    policy,
                },
        }) => commands::checkpoints::post(policy, json, quiet),
        Some(Command::Shim { command }) => commands::shim::shim(command),
        Some(Command::ShimExec { program, args }) => commands::shim::exec(&program, args),
        Some(Command::Fleet { command }) => match command {
            cli::FleetCommand::Init { json } => fleet::init(json),
            cli::FleetCommand::Status { json } => fleet::status::status(json),
            cli::FleetCommand::Seal { json } => fleet::seal::run(json),
            cli::FleetCommand::Ship { background, json } => fleet::ship::ship(background, json),
        },
        Some(Command::Policy { command }) => match command {
            cli::PolicyCommand::Keygen { out } => fleet::policy::keygen(out),
            cli::PolicyCommand::Push { file, key, json } => fleet::policy::push(file, key, json),
            cli::PolicyCommand::Fetch { json } => fleet::policy::fetch(json),
            cli::PolicyCommand::Status { json } => fleet::policy::status(json),
        },
        Some(Command::Slack {
            command: cli::SlackCommand::Serve { http },
        }) => approve::slack::serve::serve(http),
        Some(Command::Ledger {
            command:
                cli::LedgerCommand::Migrate {
                    accept_broken,
                    max_events,
                    json,
                },
        }) => fleet::migrate::migrate(accept_broken, max_events, json),
        Some(Command::Completions { shell }) => commands::meta::completions(shell),
        Some(Command::Man) => commands::meta::man(),
        Some(Command::ProtectedSetup) => protected::setup(),
        Some(Command::Schema { name }) => commands::meta::schema(name.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The hook's own parser reads every hook command line as the full parser does, and
    /// leaves to the full parser what it does not accept.
    #[test]
    fn the_hook_parser_agrees_with_the_full_one() {
        let lines: &[&[&str]] = &[
            &["gate", "hook", "claude-code"],
            &["gate", "hook", "claude-code", "--ask", "gate"],
            &[
                "gate",
                "hook",
                "claude-code",
                "--ask=claude",
                "--policy",
                "/p.toml",
            ],
            &["gate", "hook", "claude-code", "--as", "my-agent"],
            &["gate", "hook", "codex"],
            &["gate", "hook", "gemini", "--policy", "/p.toml", "--as", "g"],
        ];
        for line in lines {
            let args: Vec<OsString> = line.iter().map(OsString::from).collect();
            let fast = parse_hook(&args).expect("the hook parser accepts it");
            let Some(Command::Hook { agent: full }) = Cli::try_parse_from(&args).unwrap().command
            else {
                panic!("not a hook command: {line:?}");
            };
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{line:?}");
        }
        let others: &[&[&str]] = &[
            &["gate", "hook"],
            &["gate", "hook", "--help"],
            &["gate", "hook", "claude-code", "--help"],
            &["gate", "hook", "claude-code", "--bogus"],
            &["gate", "hook", "cursor"],
            &["gate", "--reason", "x", "hook", "claude-code"],
            &["gate", "--", "hook", "claude-code"],
            &["gate", "log"],
        ];
        for line in others {
            let args: Vec<OsString> = line.iter().map(OsString::from).collect();
            assert!(parse_hook(&args).is_none(), "{line:?}");
        }
    }

    /// The `gate -- …` parser reads those lines as the full parser does.
    #[test]
    fn the_bare_run_parser_agrees_with_the_full_one() {
        let lines: &[&[&str]] = &[
            &["gate", "--", "true"],
            &["gate", "--", "kubectl", "delete", "ns", "prod", "--force"],
            &["gate", "--", "sh", "-c", "echo --reason x"],
            &["gate", "--", "--", "x"],
            &["gate", "--", "hook", "claude-code"],
        ];
        for line in lines {
            let args: Vec<OsString> = line.iter().map(OsString::from).collect();
            let fast = parse_bare_run(&args).expect("the bare run parser accepts it");
            let full = Cli::try_parse_from(&args).unwrap();
            assert!(full.command.is_none(), "{line:?}");
            assert_eq!(format!("{fast:?}"), format!("{:?}", full.run), "{line:?}");
        }
        for line in [
            &["gate", "--reason", "x", "--", "true"][..],
            &["gate", "log"],
            &["gate"],
        ] {
            let args: Vec<OsString> = line.iter().map(OsString::from).collect();
            assert!(parse_bare_run(&args).is_none(), "{line:?}");
        }
    }
}
