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

/// What a pack's rules speak about, found by scanning its text (no TOML parse): the program
/// names and program globs (`mkfs.*`) of its `command` patterns, whether a rule could match any
/// program (a path or `~` program, or a `regex` without `command`), and its rule ids with their
/// byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackIndex {
    pub name: String,
    pub programs: Vec<String>,
    pub program_globs: Vec<String>,
    pub always: bool,
    pub ids: Vec<(String, usize)>,
}

impl PackIndex {
    /// Whether a rule of this pack could match a command run through `programs`.
    pub fn concerns(&self, programs: &[&str]) -> bool {
        self.always
            || programs.iter().any(|p| {
                self.programs.iter().any(|q| q == p)
                    || self
                        .program_globs
                        .iter()
                        .any(|g| super::pattern::Glob::new(g).is_ok_and(|g| g.matches(p, None)))
            })
    }

    /// The line of a rule id, for messages.
    pub fn line_of(&self, offset: usize) -> usize {
        let text = source(&self.name).unwrap_or_default();
        text[..offset.min(text.len())].matches('\n').count() + 1
    }
}

fn quoted(value: &str) -> Option<&str> {
    let value = value.trim();
    let q = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &value[1..];
    rest.find(q).map(|end| &rest[..end])
}

fn rest_of_line(text: &str, from: usize) -> &str {
    let rest = &text[from..];
    &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())]
}

/// Substring searches only (this runs on every invocation). A pack written in another layout
/// than `\nid = "…"` / `\ncommand = "…"` only makes the scan give up (`always`), never miss a
/// program; a test checks every built-in pack against a full parse.
pub fn scan(name: &str) -> PackIndex {
    let text = source(name).unwrap_or_default();
    let mut index = PackIndex {
        name: name.to_string(),
        programs: Vec::new(),
        program_globs: Vec::new(),
        always: false,
        ids: Vec::new(),
    };
    // memchr's SIMD search: std's `match_indices` made this scan a third of a run.
    use memchr::memmem;
    let bytes = text.as_bytes();
    let rules = memmem::find_iter(bytes, "[[rule]]").count();
    let mut commands = 0;
    const COMMAND: &str = "\ncommand = ";
    for pos in memmem::find_iter(bytes, COMMAND) {
        commands += 1;
        let value = rest_of_line(text, pos + COMMAND.len());
        let program = quoted(value)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("");
        for alt in program.split('|') {
            if alt.is_empty() || alt.contains(['~', '/', '\\']) {
                index.always = true;
            } else if alt.contains(['*', '?', '[']) {
                index.program_globs.push(alt.to_string());
            } else if !index.programs.iter().any(|p| p == alt) {
                index.programs.push(alt.to_string());
            }
        }
    }
    if commands != rules {
        index.always = true;
    }
    const ID: &str = "\nid = ";
    for pos in memmem::find_iter(bytes, ID) {
        if let Some(id) = quoted(rest_of_line(text, pos + ID.len())) {
            index.ids.push((id.to_string(), pos + 1));
        }
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
            assert!(
                !index.always,
                "pack {name}: every built-in pack should be indexable"
            );
            for rule in &rules {
                match &rule.matcher {
                    Matcher::Command(p) | Matcher::Both(p, _) => {
                        for g in p.program.globs() {
                            let text = g.as_str();
                            if text.contains(['/', '~']) {
                                assert!(index.always, "pack {name}: rule {} needs always", rule.id);
                            } else if g.is_literal() {
                                assert!(
                                    index.programs.iter().any(|q| q == text),
                                    "pack {name}: {text} not scanned"
                                );
                            } else {
                                assert!(
                                    index.program_globs.iter().any(|q| q == text),
                                    "pack {name}: glob {text} not scanned"
                                );
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
