//! `gate rules`: `lint` and `test` here, `list` and `show` in [`list`], `edit` in [`edit`].

mod edit;
mod list;

use std::path::PathBuf;

use crate::cli::RulesCommand;
use crate::decide::{Facts, rule_matches};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::pipeline::prepare;
use crate::policy::{self, DisableState, Origin, Policy, Problems, Rule, When};

pub fn rules(cmd: RulesCommand) -> Result<Exit> {
    match cmd {
        RulesCommand::Lint { file, json } => lint(file, json),
        RulesCommand::Test { file } => test(file),
        RulesCommand::List { json, policy } => list::list(json, policy),
        RulesCommand::Show { id, json, policy } => list::show(&id, json, policy),
        RulesCommand::Edit { policy } => edit::edit(policy),
    }
}

/// The files a policy was read from: its layers, then its packs (`pack:NAME`, built in).
pub fn files_read(policy: &Policy) -> Vec<String> {
    policy
        .sources
        .iter()
        .cloned()
        .chain(policy.packs.iter().map(|p| format!("pack:{p}")))
        .collect()
}

/// What one `[packs] disable` entry does, in words.
pub fn disable_text(d: &policy::Disable) -> String {
    match &d.state {
        DisableState::Off => format!("disabled: {} (pack {}) by {}", d.id, d.pack, d.by),
        DisableState::KeptBy(layer) => format!(
            "note: {} (pack {}) stays on, though {} disables it: {layer} enables pack {} and keeps it (a layer switches off only what no other layer keeps)",
            d.id, d.pack, d.by, d.pack
        ),
        DisableState::PackOff => format!(
            "note: {} (pack {}) disabled at {}: nothing to switch off, the pack is not enabled",
            d.id, d.pack, d.by
        ),
    }
}

fn disabled(d: &policy::Disable) -> crate::json::Disabled {
    use crate::json::DisabledState;
    let (state, kept_by) = match &d.state {
        DisableState::Off => (DisabledState::Off, None),
        DisableState::KeptBy(layer) => (DisabledState::Kept, Some(layer.clone())),
        DisableState::PackOff => (DisabledState::PackOff, None),
    };
    crate::json::Disabled {
        id: d.id.clone(),
        pack: d.pack.to_string(),
        by: crate::json::Position {
            file: d.by.file.clone(),
            line: d.by.line,
            column: d.by.column,
        },
        state,
        kept_by,
    }
}

fn load(file: Option<PathBuf>) -> std::result::Result<Policy, Problems> {
    match file {
        Some(path) => policy::load_file(&path),
        None => prepare::load_policy_whole(None).map_err(|e| match e {
            Error::Policy(p) => p,
            other => Problems(vec![policy::Problem {
                origin: Origin {
                    file: "(policy)".into(),
                    line: 1,
                    column: 1,
                },
                message: other.to_string(),
            }]),
        }),
    }
}

/// A failed inline test: where it is written and what happened instead.
pub struct Failure {
    pub origin: Origin,
    pub rule: String,
    pub message: String,
}

/// Run every rule's `tests.hit` / `tests.miss` through the analyser and the rule's own matcher.
/// `when` conditions are taken as met: inline tests check what the rule matches, not where.
pub fn run_tests(policy: &Policy) -> (usize, Vec<Failure>) {
    let env = |_: &str| None;
    let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
    let facts = Facts {
        env: &env,
        cwd: "/home/user/project",
        user: "user",
        agent: None,
        ci: false,
        home: Some("/home/user"),
        resolve: &resolve,
    };
    let mut passed = 0;
    let mut failures = Vec::new();
    for rule in &policy.rules {
        let unconditional = Rule {
            when: When::default(),
            ..rule.clone()
        };
        for (want_hit, cases) in [(true, &rule.tests.hit), (false, &rule.tests.miss)] {
            for (line, origin) in cases {
                let analysis = prepare::analyse_script(policy, line);
                let hit = crate::decide::judged_commands(&analysis)
                    .iter()
                    .any(|c| rule_matches(&unconditional, c, &facts));
                if hit == want_hit {
                    passed += 1;
                } else {
                    failures.push(Failure {
                        origin: origin.clone(),
                        rule: rule.id.clone(),
                        message: if want_hit {
                            format!(
                                "rule `{}` should match `{line}` (tests.hit) but does not",
                                rule.id
                            )
                        } else {
                            format!(
                                "rule `{}` should not match `{line}` (tests.miss) but does",
                                rule.id
                            )
                        },
                    });
                }
            }
        }
    }
    (passed, failures)
}

/// What loading leaves for later: regexes are only syntax-checked at load (compiling them all
/// would slow every run); lint compiles each one.
fn regex_problems(policy: &Policy) -> Vec<policy::Problem> {
    use crate::policy::{Matcher, Problem};
    policy
        .rules
        .iter()
        .filter_map(|rule| match &rule.matcher {
            Matcher::Regex(re) | Matcher::Both(_, re) => re.check_fully().err().map(|e| Problem {
                origin: rule.origin.clone(),
                message: format!(
                    "rule `{}`: bad regex: {}",
                    rule.id,
                    e.lines().last().unwrap_or(&e).trim()
                ),
            }),
            Matcher::Command(_) => None,
        })
        .collect()
}

/// What `gate rules lint` finds in a policy that loaded: the problems loading leaves for later
/// (when there are any, the inline tests are not run) and the inline tests.
pub struct Lint {
    pub problems: Vec<policy::Problem>,
    pub passed: usize,
    pub failures: Vec<Failure>,
}

impl Lint {
    pub fn of(policy: &Policy) -> Lint {
        let problems = regex_problems(policy);
        let (passed, failures) = if problems.is_empty() {
            run_tests(policy)
        } else {
            (0, Vec::new())
        };
        Lint {
            problems,
            passed,
            failures,
        }
    }
}

fn lint(file: Option<PathBuf>, as_json: bool) -> Result<Exit> {
    let linted = load(file).and_then(|policy| {
        let lint = Lint::of(&policy);
        if lint.problems.is_empty() {
            Ok((policy, lint))
        } else {
            Err(Problems(lint.problems))
        }
    });
    let (
        policy,
        Lint {
            passed, failures, ..
        },
    ) = match linted {
        Ok(p) => p,
        Err(problems) => {
            if as_json {
                crate::json::print(&crate::json::RulesLint {
                    ok: false,
                    files: Vec::new(),
                    policy_digest: None,
                    rules: None,
                    packs: Vec::new(),
                    disabled: Vec::new(),
                    protect_except: Vec::new(),
                    problems: problems.0.iter().map(crate::json::Problem::from).collect(),
                    tests: None,
                });
                return Ok(Exit::Config);
            }
            return Err(Error::Policy(problems));
        }
    };
    if as_json {
        crate::json::print(&crate::json::RulesLint {
            ok: failures.is_empty(),
            files: files_read(&policy),
            policy_digest: Some(policy.digest.clone()),
            rules: Some(policy.rules.len()),
            packs: policy.packs.clone(),
            disabled: policy.disables.iter().map(disabled).collect(),
            protect_except: policy.protect_except.clone(),
            problems: Vec::new(),
            tests: Some(crate::json::LintTests {
                passed,
                failed: failures
                    .iter()
                    .map(|f| crate::json::FailedTest {
                        file: f.origin.file.clone(),
                        line: f.origin.line,
                        column: f.origin.column,
                        rule: f.rule.clone(),
                        message: f.message.clone(),
                    })
                    .collect(),
            }),
        });
    } else {
        print_read(&policy);
        if !policy.protect_except.is_empty() {
            println!(
                "note: the system policy turns off these built-in protections: {}",
                policy.protect_except.join(", ")
            );
        }
        for f in &failures {
            eprintln!("{}: {}", f.origin, f.message);
        }
        if failures.is_empty() {
            println!(
                "ok: {} rules ({} from packs), {passed} inline tests passed",
                policy.rules.len(),
                policy
                    .rules
                    .iter()
                    .filter(|r| r.origin.file.starts_with("pack:"))
                    .count(),
            );
        } else {
            eprintln!(
                "{} of {} inline tests failed",
                failures.len(),
                failures.len() + passed
            );
        }
    }
    Ok(if failures.is_empty() {
        Exit::Success
    } else {
        Exit::Config
    })
}

/// Which files a lint read, and what its `[packs] disable` entries do.
fn print_read(policy: &Policy) {
    for source in &policy.sources {
        let role = if *source == policy::system_policy() {
            " (system policy)"
        } else {
            ""
        };
        println!("read {}{role}", crate::ui::printable(source));
    }
    if policy.packs.is_empty() {
        println!("no packs enabled");
    } else {
        println!(
            "read {} built-in packs: {}",
            policy.packs.len(),
            policy.packs.join(", ")
        );
    }
    for d in &policy.disables {
        println!("{}", disable_text(d));
    }
}

fn test(file: Option<PathBuf>) -> Result<Exit> {
    let policy = load(file).map_err(Error::Policy)?;
    let (passed, failures) = run_tests(&policy);
    for f in &failures {
        eprintln!("{}: {}", f.origin, f.message);
    }
    println!("{passed} passed, {} failed", failures.len());
    Ok(if failures.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}
