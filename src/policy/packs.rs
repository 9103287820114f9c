//! Built-in rule packs (SPEC §4 `packs`), embedded in the binary. Each is an ordinary policy
//! file holding only `[[rule]]` tables, so `gate rules lint` checks it like any other.

/// Every pack, in the order the default policy enables them.
pub const NAMES: &[&str] = &[
    "filesystem",
    "git",
    "kubernetes",
    "helm",
    "terraform",
    "cloud",
    "databases",
    "containers",
    "system",
    "publishing",
    "secrets",
    "http",
    "backup",
    "storage",
    "cicd",
    "platform",
    "saas",
    "remote",
];

pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "filesystem" => include_str!("packs/filesystem.toml"),
        "git" => include_str!("packs/git.toml"),
        "kubernetes" => include_str!("packs/kubernetes.toml"),
        "helm" => include_str!("packs/helm.toml"),
        "terraform" => include_str!("packs/terraform.toml"),
        "cloud" => include_str!("packs/cloud.toml"),
        "databases" => include_str!("packs/databases.toml"),
        "containers" => include_str!("packs/containers.toml"),
        "system" => include_str!("packs/system.toml"),
        "publishing" => include_str!("packs/publishing.toml"),
        "secrets" => include_str!("packs/secrets.toml"),
        "http" => include_str!("packs/http.toml"),
        "backup" => include_str!("packs/backup.toml"),
        "storage" => include_str!("packs/storage.toml"),
        "cicd" => include_str!("packs/cicd.toml"),
        "platform" => include_str!("packs/platform.toml"),
        "saas" => include_str!("packs/saas.toml"),
        "remote" => include_str!("packs/remote.toml"),
        _ => return None,
    })
}

/// One rule of a built-in pack, indexed at build time (`build.rs`, `pack_scan.rs`): where its
/// table is in the pack's text, and the programs its `command` pattern names.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleEntry {
    pub id: &'static str,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub programs: &'static [&'static str],
    pub globs: &'static [&'static str],
    pub always: bool,
    pub subcommands: &'static [&'static str],
}

/// A command as the pack index sees it: its program's base name, its other words, and whether
/// any word is dynamic (then it could be any subcommand).
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// The base name, or the normalised name of a program written as `RM` or `git.exe`.
    pub program: std::borrow::Cow<'a, str>,
    pub words: Vec<&'a str>,
    pub dynamic: bool,
}

include!(concat!(env!("OUT_DIR"), "/pack_index.rs"));

/// The indexed rules of a pack, in file order.
pub fn rules(name: &str) -> &'static [RuleEntry] {
    INDEX
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .unwrap_or_default()
}

impl RuleEntry {
    /// Whether this rule could match one of these commands (the commands a script runs and
    /// the wrappers they run through). Errs on the side of yes.
    pub fn concerns(&self, commands: &[Invocation<'_>]) -> bool {
        self.always
            || commands.iter().any(|c| {
                let name: &str = &c.program;
                let program = self.programs.contains(&name)
                    || self
                        .globs
                        .iter()
                        .any(|g| super::pattern::Glob::new(g).is_ok_and(|g| g.matches(name, None)));
                program
                    && (self.subcommands.is_empty()
                        || c.dynamic
                        || c.words.iter().any(|w| self.subcommands.contains(w)))
            })
    }
}

/// Rules of an enabled pack that are not parsed yet (see `Policy::pack_rules`).
#[derive(Debug, Clone)]
pub struct PendingPack {
    pub name: &'static str,
    pub rules: Vec<&'static RuleEntry>,
}

impl PendingPack {
    /// The pack's rules but those switched off (`[packs] disable`).
    pub fn new(name: &str, disabled: &[&str]) -> Self {
        let name = NAMES.iter().copied().find(|n| *n == name).unwrap_or("");
        PendingPack {
            name,
            rules: rules(name)
                .iter()
                .filter(|r| !disabled.contains(&r.id))
                .collect(),
        }
    }

    /// Every rule of the pack is here (none switched off).
    pub fn is_whole(&self) -> bool {
        self.rules.len() == rules(self.name).len()
    }
}

/// The pack a rule id belongs to.
pub fn pack_of(id: &str) -> Option<&'static str> {
    INDEX
        .iter()
        .find(|(_, rules)| rules.iter().any(|r| r.id == id))
        .map(|(name, _)| *name)
}

/// Every rule id of every pack.
pub fn rule_ids() -> impl Iterator<Item = &'static str> {
    INDEX
        .iter()
        .flat_map(|(_, rules)| rules.iter().map(|r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Matcher, load::parse_pack};

    /// The build-time index must name every rule and every program a full parse finds, so a
    /// rule left unparsed could never have matched.
    #[test]
    fn the_index_agrees_with_a_full_parse() {
        let mut indexed: Vec<&str> = INDEX.iter().map(|(n, _)| *n).collect();
        let mut named = NAMES.to_vec();
        indexed.sort();
        named.sort();
        assert_eq!(indexed, named, "every pack file is in NAMES and indexed");
        for name in NAMES {
            let entries = rules(name);
            let parsed = parse_pack(name).unwrap();
            let ids: Vec<&str> = entries.iter().map(|e| e.id).collect();
            let parsed_ids: Vec<&str> = parsed.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, parsed_ids, "pack {name}: rule ids");
            for (entry, rule) in entries.iter().zip(&parsed) {
                assert_eq!(
                    entry.line, rule.origin.line,
                    "pack {name}: rule {}",
                    rule.id
                );
                match &rule.matcher {
                    Matcher::Command(p) | Matcher::Both(p, _) => {
                        for g in p.program.globs() {
                            let text = g.as_str();
                            if text.contains(['/', '~']) {
                                assert!(entry.always, "pack {name}: rule {} needs always", rule.id);
                            } else if g.is_literal() {
                                assert!(
                                    entry.programs.contains(&text),
                                    "pack {name}: rule {}: {text} not indexed",
                                    rule.id
                                );
                            } else {
                                assert!(
                                    entry.globs.contains(&text),
                                    "pack {name}: rule {}: glob {text} not indexed",
                                    rule.id
                                );
                            }
                        }
                    }
                    Matcher::Regex(_) => assert!(
                        entry.always,
                        "pack {name}: regex rule {} needs always",
                        rule.id
                    ),
                }
            }
        }
    }

    /// Every example a rule says it must hit is one the index says the rule concerns: skipping
    /// the rules the index rules out never changes a decision.
    #[test]
    fn every_hit_example_is_concerned() {
        let wrappers = crate::analyze::Wrappers::builtin();
        for name in NAMES {
            for (entry, rule) in rules(name).iter().zip(parse_pack(name).unwrap()) {
                for (hit, _) in &rule.tests.hit {
                    let analysis = crate::analyze::analyze_script(hit, &wrappers);
                    let invocations = crate::pipeline::prepare::invocations(&analysis);
                    assert!(
                        entry.concerns(&invocations),
                        "pack {name}: rule {} would be skipped for its own hit example `{hit}`",
                        rule.id
                    );
                }
            }
        }
    }

    #[test]
    fn a_subcommand_rule_is_skipped_only_without_its_subcommand() {
        let push = rules("git")
            .iter()
            .find(|r| r.subcommands.contains(&"push"))
            .expect("a git push rule");
        let inv = |words: Vec<&'static str>, dynamic| Invocation {
            program: "git".into(),
            words,
            dynamic,
        };
        assert!(!push.concerns(&[inv(vec!["status"], false)]));
        assert!(push.concerns(&[inv(vec!["-C", "/srv", "push", "--force"], false)]));
        assert!(
            push.concerns(&[inv(vec!["$SUB"], true)]),
            "a dynamic word could be push"
        );
    }

    /// Parsing a subset of a pack's rules gives the same rules, with the same positions, as
    /// the full parse.
    #[test]
    fn a_subset_parses_like_the_whole() {
        for name in NAMES {
            let all = parse_pack(name).unwrap();
            let every_other: Vec<&RuleEntry> = rules(name).iter().step_by(2).collect();
            let some = crate::policy::load::parse_pack_rules(name, &every_other).unwrap();
            let expected: Vec<_> = all.iter().step_by(2).collect();
            assert_eq!(some.len(), expected.len(), "pack {name}");
            for (a, b) in some.iter().zip(expected) {
                assert_eq!(a.id, b.id);
                assert_eq!(a.origin, b.origin, "pack {name}: rule {}", a.id);
                assert_eq!(a.message, b.message);
            }
        }
    }
}
