//! Index a built-in pack's rules without parsing TOML: each `[[rule]]` table's byte range, first
//! line, id, and the programs its `command` pattern names.
//!
//! Shared by `build.rs` (which runs it once per pack at compile time and embeds the result) and
//! by the unit test that checks the index against a full parse. Standard library only.

/// One `[[rule]]` table of a pack, as found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedRule {
    pub id: String,
    /// Byte range of the table: from its `[[rule]]` line to the next one (or the end).
    pub start: usize,
    pub end: usize,
    /// 1-based line of `[[rule]]`.
    pub line: usize,
    /// Literal program names of its `command` pattern (`npm|pnpm` gives both).
    pub programs: Vec<String>,
    /// Program globs (`mkfs.*`).
    pub globs: Vec<String>,
    /// The rule could match any program: a path or `~` program, or no `command` at all.
    pub always: bool,
    /// The literal words its pattern's second word allows (`git push|fetch` gives both), when
    /// that word is a plain literal: a command without any of them (and without a dynamic word)
    /// cannot match. Empty when the second word is absent or not a plain literal.
    pub subcommands: Vec<String>,
}

/// Scan a pack. Packs are written as `[[rule]]` tables with one `key = value` per line; any other
/// layout is an error here (the build stops), never a silently missed program.
pub fn scan(text: &str) -> Result<Vec<ScannedRule>, String> {
    const HEADER: &str = "[[rule]]\n";
    let starts: Vec<usize> = text
        .match_indices(HEADER)
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .collect();
    if text[..starts.first().copied().unwrap_or(text.len())]
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        return Err("a pack holds only [[rule]] tables: found something before the first".into());
    }
    let mut rules = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let table = &text[start..end];
        let line = text[..start].matches('\n').count() + 1;
        let values = |key: &str| -> Vec<&str> {
            table
                .lines()
                .filter_map(|l| l.strip_prefix(key))
                .filter_map(|rest| rest.trim_start().strip_prefix('='))
                .map(str::trim)
                .collect()
        };
        let ids = values("id");
        let [id] = ids.as_slice() else {
            return Err(format!(
                "line {line}: a rule needs exactly one `id = \"…\"` line"
            ));
        };
        let id = quoted(id).ok_or_else(|| format!("line {line}: the id is not a quoted string"))?;
        let mut rule = ScannedRule {
            id: id.to_string(),
            start,
            end,
            line,
            programs: Vec::new(),
            globs: Vec::new(),
            always: false,
            subcommands: Vec::new(),
        };
        match values("command").as_slice() {
            [] => rule.always = true,
            [command] => {
                let pattern = quoted(command)
                    .ok_or_else(|| format!("rule {id}: the command is not a quoted string"))?;
                let mut words = pattern.split_whitespace();
                let program = words.next().unwrap_or("");
                let plain = |w: &str| {
                    !w.is_empty()
                        && !w.starts_with('-')
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.:@=+,".contains(c))
                };
                if let Some(second) = words.next()
                    && second.split('|').all(plain)
                {
                    rule.subcommands = second.split('|').map(str::to_string).collect();
                }
                for alt in program.split('|') {
                    if alt.is_empty() || alt.contains(['~', '/', '\\']) {
                        rule.always = true;
                    } else if alt.contains(['*', '?', '[']) {
                        rule.globs.push(alt.to_string());
                    } else if !rule.programs.iter().any(|p| p == alt) {
                        rule.programs.push(alt.to_string());
                    }
                }
            }
            _ => return Err(format!("rule {id}: more than one `command` line")),
        }
        rules.push(rule);
    }
    Ok(rules)
}

fn quoted(value: &str) -> Option<&str> {
    let q = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &value[1..];
    rest.find(q).map(|end| &rest[..end])
}
