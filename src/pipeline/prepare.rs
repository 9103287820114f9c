//! The first step of a request, shared with `gate check`: policy, analysis, decision.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::analyze::{self, Analysis, Opaque, Wrappers};
use crate::context::{Context, resolve_program};
use crate::decide::{Decider, Facts, Verdict};
use crate::error::{Error, Result};
use crate::policy::packs::Invocation;
use crate::policy::{self, LoadOptions, Policy};
use crate::ui;

pub fn load_policy(override_path: Option<PathBuf>) -> Result<Policy> {
    let (policy, warnings) = load_policy_quietly(override_path)?;
    for w in warnings {
        ui::note(&format!("warning: {w}"));
    }
    Ok(policy)
}

/// [`load_policy`] with its warnings (an ignored system policy) returned instead of printed:
/// `gate doctor` reports them as checks.
pub fn load_policy_quietly(override_path: Option<PathBuf>) -> Result<(Policy, Vec<String>)> {
    let opts = LoadOptions {
        override_path,
        // Deliberately not overridable from the environment: the system policy is the
        // administrator's, and an agent must not be able to point it elsewhere.
        system_path: None,
        user_path: None,
        ..Default::default()
    };
    policy::load(&opts).map_err(Error::Policy)
}

/// The policy with every rule of its packs parsed (`gate rules`), not only those a command
/// needs.
pub fn load_policy_whole(override_path: Option<PathBuf>) -> Result<Policy> {
    let mut policy = load_policy(override_path)?;
    policy.load_every_pack().map_err(Error::Policy)?;
    Ok(policy)
}

pub fn wrappers(policy: &Policy) -> Wrappers {
    Wrappers::with_extra(policy.wrappers.clone())
}

/// The argv as text for analysis and display; an argument that is not UTF-8 makes the
/// invocation opaque (a lossy conversion could hide what really runs).
pub fn argv_strings(argv: &[OsString]) -> (Vec<String>, Option<Opaque>) {
    let mut bad = None;
    let strings = argv
        .iter()
        .map(|a| match a.to_str() {
            Some(s) => s.to_string(),
            None => {
                let lossy = a.to_string_lossy().into_owned();
                bad.get_or_insert(Opaque {
                    reason: "an argument is not valid UTF-8".into(),
                    snippet: lossy.clone(),
                });
                lossy
            }
        })
        .collect();
    (strings, bad)
}

pub fn analyse_argv(policy: &Policy, argv: &[String], bad: Option<Opaque>) -> Analysis {
    let mut analysis = analyze::analyze_argv(argv, &wrappers(policy));
    analysis.opaque.extend(bad);
    analysis
}

pub fn analyse_script(policy: &Policy, script: &str) -> Analysis {
    analyze::analyze_script(script, &wrappers(policy))
}

/// Read the script files the analysis names (`bash x.sh`, `./x`, `python3 x.py`, `npm run
/// x`) from the request's working directory and merge what they run into it (see
/// [`super::script_files`]). `argv` is the argv gate itself runs, if it does.
pub fn read_scripts(
    policy: &Policy,
    ctx: &Context,
    analysis: &mut Analysis,
    argv: Option<&[String]>,
) -> super::script_files::Read {
    super::script_files::expand(
        analysis,
        &ctx.cwd,
        ctx.home.as_deref(),
        &wrappers(policy),
        argv,
    )
}

/// The commands an analysis runs, and the wrappers they run through, as the pack index sees
/// them.
pub fn invocations(analysis: &Analysis) -> Vec<Invocation<'_>> {
    let mut out = Vec::new();
    for cmd in &analysis.commands {
        let base = crate::decide::basename(&cmd.words[0].text);
        out.push(Invocation {
            program: base.into(),
            words: cmd.words[1..].iter().map(|w| w.text.as_str()).collect(),
            dynamic: cmd.words.iter().any(|w| w.dynamic),
        });
        // `RM`, `GIT.EXE`: the rules of the program it runs apply too (its subcommand may be
        // in capitals as well, so any rule of that program is a candidate).
        let normal = crate::decide::program_name(&cmd.words[0].text);
        if normal != base {
            out.push(Invocation {
                program: normal,
                words: Vec::new(),
                dynamic: true,
            });
        }
        for hop in &cmd.via {
            let mut words = hop.split_whitespace();
            out.push(Invocation {
                program: crate::decide::basename(words.next().unwrap_or("")).into(),
                words: words.collect(),
                dynamic: false,
            });
        }
    }
    // A file a redirection writes is judged as the command `> FILE` (see `decide`).
    for r in analysis.redirects.iter().filter(|r| r.op != "<") {
        out.push(Invocation {
            program: std::borrow::Cow::Borrowed(crate::decide::REDIRECT),
            words: vec![r.target.text.as_str()],
            dynamic: r.target.dynamic,
        });
    }
    out
}

/// Decide, with the rules of the packs that speak about the programs this invocation runs
/// (parsed for it; the policy stays as loaded). An ask carries its terms.
pub fn decide(policy: &Policy, ctx: &Context, analysis: &Analysis) -> Result<Verdict> {
    let invocations = invocations(analysis);
    let packs = policy.pack_rules(&invocations).map_err(Error::Policy)?;
    let env = |k: &str| std::env::var(k).ok();
    let resolve = |p: &str| resolve_program(p);
    let facts = Facts {
        env: &env,
        cwd: &ctx.cwd,
        user: &ctx.requester.user,
        agent: ctx.requester.agent.as_deref(),
        ci: ctx.in_ci(),
        home: ctx.home.as_deref(),
        resolve: &resolve,
    };
    let decider = Decider::with_rules(policy, &packs);
    let mut verdict = decider.decide(analysis, &facts);
    let scope = protection(policy, ctx, &env);
    crate::protect::apply(&mut verdict, scope.check(analysis));
    decider.settle(&mut verdict);
    Ok(verdict)
}

/// A file tool about to write `paths`: a verdict when one of them is a file gate protects,
/// `None` when they are ordinary files (the agent's own permissions apply, as for any tool).
pub fn judge_file_write(
    policy: &Policy,
    ctx: &Context,
    tool: &str,
    paths: &[String],
) -> Option<Verdict> {
    let env = |k: &str| std::env::var(k).ok();
    let scope = protection(policy, ctx, &env);
    let findings: Vec<_> = paths
        .iter()
        .filter_map(|p| scope.check_file_write(p))
        .collect();
    if findings.is_empty() {
        return None;
    }
    let words = std::iter::once(tool)
        .chain(paths.iter().map(String::as_str))
        .map(crate::analyze::Word::lit)
        .collect();
    let mut verdict = Verdict {
        decision: crate::policy::Decision::Allow,
        hits: Vec::new(),
        opaque: Vec::new(),
        commands: vec![crate::analyze::SimpleCommand {
            words,
            origin: crate::analyze::Origin::Argv,
            via: Vec::new(),
        }],
        risk: crate::policy::Risk::Low,
        ask: None,
    };
    crate::protect::apply(&mut verdict, findings);
    Decider::new(policy).settle(&mut verdict);
    Some(verdict)
}

/// gate's built-in protections as they stand for this process and policy.
pub fn protection<'a>(
    policy: &'a Policy,
    ctx: &'a Context,
    env: &'a dyn Fn(&str) -> Option<String>,
) -> crate::protect::Scope<'a> {
    crate::protect::Scope::new(crate::protect::Inputs {
        cwd: &ctx.cwd,
        env,
        policy_files: policy
            .sources
            .iter()
            .filter(|s| !s.starts_with('(') && !s.starts_with("pack:"))
            .map(PathBuf::from)
            .collect(),
        ledger: crate::env_vars::ledger_path(),
        except: &policy.protect_except,
    })
}
