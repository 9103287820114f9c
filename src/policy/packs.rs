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
        _ => return None,
    })
}

/// What a pack's rules speak about, found by scanning its text (no TOML parse): the literal
/// program names of its `command` patterns, whether any rule could match other programs (a glob
/// or path program, or a `regex` without `command`), and its rule ids with their lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackIndex {
    pub name: String,
    pub programs: Vec<String>,
    pub always: bool,
    pub ids: Vec<(String, usize)>,
}

fn quoted(value: &str) -> Option<&str> {
    let value = value.trim();
    let q = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &value[1..];
    rest.find(q).map(|end| &rest[..end])
}

pub fn scan(name: &str) -> PackIndex {
    let text = source(name).unwrap_or_default();
    let mut index = PackIndex {
        name: name.to_string(),
        programs: Vec::new(),
        always: false,
        ids: Vec::new(),
    };
    let mut in_rule = false;
    let mut has_command = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            if in_rule && !has_command {
                index.always = true;
            }
            in_rule = line == "[[rule]]";
            has_command = false;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "id" => {
                if let Some(id) = quoted(value) {
                    index.ids.push((id.to_string(), n + 1));
                }
            }
            "command" => {
                has_command = true;
                let program = quoted(value)
                    .and_then(|v| v.split_whitespace().next())
                    .unwrap_or("");
                for alt in program.split('|') {
                    if alt.is_empty() || alt.contains(['*', '?', '[', '~', '/', '\\']) {
                        index.always = true;
                    } else if !index.programs.iter().any(|p| p == alt) {
                        index.programs.push(alt.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    if in_rule && !has_command {
        index.always = true;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Matcher, load::parse_pack};

    /// The scan must name every program a full parse finds, so a lazily skipped pack could never
    /// have matched.
    #[test]
    fn the_scan_agrees_with_a_full_parse() {
        for name in NAMES {
            let index = scan(name);
            let rules = parse_pack(name).unwrap();
            let ids: Vec<&str> = index.ids.iter().map(|(id, _)| id.as_str()).collect();
            let parsed: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(ids, parsed, "pack {name}: rule ids");
            for rule in &rules {
                match &rule.matcher {
                    Matcher::Command(p) | Matcher::Both(p, _) => {
                        for g in p.program.globs() {
                            if g.is_literal() && !g.as_str().contains('/') {
                                assert!(
                                    index.programs.iter().any(|q| q == g.as_str()),
                                    "pack {name}: {} not scanned",
                                    g.as_str()
                                );
                            } else {
                                assert!(index.always, "pack {name}: rule {} needs always", rule.id);
                            }
                        }
                    }
                    Matcher::Regex(_) => assert!(
                        index.always,
                        "pack {name}: regex rule {} needs always",
                        rule.id
                    ),
                }
            }
        }
    }
}
