//! Word patterns: globs within a word (`*`, `?`, `[..]` do not cross `/`, `**` does), `a|b`
//! alternatives, and `~` for the home directory.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// One glob. A leading `~` matches a literal `~` or the home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    tilde: bool,
    tokens: Vec<Token>,
}

impl Glob {
    pub fn new(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("empty pattern".into());
        }
        // Most patterns are plain words: no tokens to build, matching is string equality.
        if !source.contains(['*', '?', '[', '\\', '~']) {
            return Ok(Glob {
                source: source.to_string(),
                tilde: false,
                tokens: Vec::new(),
            });
        }
        let (tilde, rest) = match source.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => (true, rest),
            _ => (false, source),
        };
        let mut tokens = Vec::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => tokens.push(Token::Char(escaped)),
                    None => return Err(format!("pattern `{source}` ends with a lone backslash")),
                },
                '?' => tokens.push(Token::One),
                '*' => {
                    if chars.peek() == Some(&'*') {
                        chars.next();
                        while chars.peek() == Some(&'*') {
                            chars.next();
                        }
                        tokens.push(Token::DoubleStar);
                    } else {
                        tokens.push(Token::Star);
                    }
                }
                '[' => {
                    let mut negated = false;
                    if matches!(chars.peek(), Some('!') | Some('^')) {
                        negated = true;
                        chars.next();
                    }
                    let mut ranges = Vec::new();
                    let mut first = true;
                    loop {
                        let Some(c) = chars.next() else {
                            return Err(format!("unclosed `[` in pattern `{source}`"));
                        };
                        if c == ']' && !first {
                            break;
                        }
                        first = false;
                        let lo = if c == '\\' {
                            chars
                                .next()
                                .ok_or_else(|| format!("unclosed `[` in pattern `{source}`"))?
                        } else {
                            c
                        };
                        if chars.peek() == Some(&'-') {
                            let mut look = chars.clone();
                            look.next();
                            if let Some(&hi) = look.peek()
                                && hi != ']'
                            {
                                chars.next();
                                chars.next();
                                if hi < lo {
                                    return Err(format!(
                                        "range `{lo}-{hi}` is backwards in pattern `{source}`"
                                    ));
                                }
                                ranges.push((lo, hi));
                                continue;
                            }
                        }
                        ranges.push((lo, lo));
                    }
                    tokens.push(Token::Class { negated, ranges });
                }
                other => tokens.push(Token::Char(other)),
            }
        }
        Ok(Glob {
            source: source.to_string(),
            tilde,
            tokens,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern has no wildcard at all.
    /// Built by the fast path: the whole pattern is its source text.
    fn is_plain(&self) -> bool {
        self.tokens.is_empty() && !self.tilde
    }

    pub fn is_literal(&self) -> bool {
        !self.tilde && self.tokens.iter().all(|t| matches!(t, Token::Char(_)))
    }

    pub fn matches(&self, text: &str, home: Option<&str>) -> bool {
        self.matches_with(text, home, false)
    }

    /// `anywhere`: `*` and `?` also cross `/` (for free text such as environment values).
    fn matches_with(&self, text: &str, home: Option<&str>, anywhere: bool) -> bool {
        if self.is_plain() {
            return text == self.source;
        }
        if self.tilde {
            if let Some(rest) = text.strip_prefix('~')
                && match_tokens(&self.tokens, rest, anywhere)
            {
                return true;
            }
            if let Some(home) = home.map(|h| h.trim_end_matches('/'))
                && !home.is_empty()
                && let Some(rest) = text.strip_prefix(home)
            {
                return match_tokens(&self.tokens, rest, anywhere);
            }
            return false;
        }
        match_tokens(&self.tokens, text, anywhere)
    }
}

/// Iterative glob matching with backtracking to the last star (linear-ish, no recursion).
fn match_tokens(tokens: &[Token], text: &str, anywhere: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut s) = (0usize, 0usize);
    // (token index after the star, text index the star currently covers up to, crosses '/')
    let mut backtrack: Option<(usize, usize, bool)> = None;
    while s < text.len() {
        let advanced = match tokens.get(t) {
            Some(Token::Char(c)) if *c == text[s] => {
                t += 1;
                s += 1;
                true
            }
            Some(Token::One) if anywhere || text[s] != '/' => {
                t += 1;
                s += 1;
                true
            }
            Some(Token::Class { negated, ranges }) => {
                let c = text[s];
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                if inside != *negated && (anywhere || c != '/') {
                    t += 1;
                    s += 1;
                    true
                } else {
                    false
                }
            }
            Some(Token::Star) => {
                backtrack = Some((t + 1, s, anywhere));
                t += 1;
                true
            }
            Some(Token::DoubleStar) => {
                backtrack = Some((t + 1, s, true));
                t += 1;
                true
            }
            _ => false,
        };
        if advanced {
            continue;
        }
        match backtrack {
            Some((bt, bs, crosses)) if bs < text.len() && (crosses || text[bs] != '/') => {
                backtrack = Some((bt, bs + 1, crosses));
                t = bt;
                s = bs + 1;
            }
            _ => return false,
        }
    }
    tokens[t..]
        .iter()
        .all(|tok| matches!(tok, Token::Star | Token::DoubleStar))
}

/// `a|b|c`: any one of several globs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternatives {
    source: String,
    globs: Vec<Glob>,
}

impl Alternatives {
    pub fn new(source: &str) -> Result<Self, String> {
        let globs = if source.contains(['[', '\\']) {
            split_alternatives(source)
                .into_iter()
                .map(|alt| Glob::new(&alt))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            // No class or escape can hold a `|`: a plain split is the same, without copying.
            source
                .split('|')
                .map(Glob::new)
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(Alternatives {
            source: source.to_string(),
            globs,
        })
    }

    pub fn matches(&self, text: &str, home: Option<&str>) -> bool {
        self.globs.iter().any(|g| g.matches(text, home))
    }

    /// Match free text (an environment variable's value): `*` and `?` cross `/` here, so
    /// `*prod*` matches `/home/me/.kube/prod-config`.
    pub fn matches_text(&self, text: &str) -> bool {
        self.globs.iter().any(|g| g.matches_with(text, None, true))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn contains_slash(&self) -> bool {
        self.source.contains('/')
    }

    pub fn globs(&self) -> &[Glob] {
        &self.globs
    }
}

impl fmt::Display for Alternatives {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Split on `|` outside of `[...]` and not escaped.
fn split_alternatives(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_class = false;
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '[' => {
                in_class = true;
                current.push(c);
            }
            ']' => {
                in_class = false;
                current.push(c);
            }
            '|' if !in_class => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out
}

/// Lexically normalise a path-like argument: collapse `//`, drop `.` segments, resolve `..`,
/// drop a trailing slash (except for `/` itself). `rm -rf //`, `/./`, `/tmp/../` are all `/`.
pub fn normalize_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Alternatives::new(pattern)
            .unwrap()
            .matches(text, Some("/home/alice"))
    }

    #[test]
    fn globs_within_and_across_slashes() {
        let cases = [
            ("delete", "delete", true),
            ("delete", "deletes", false),
            ("del*", "delete", true),
            ("*", "a/b", false),
            ("**", "a/b", true),
            ("/srv/**", "/srv/app/x", true),
            ("/srv/*", "/srv/app/x", false),
            ("/*", "/etc", true),
            ("/*", "/etc/passwd", false),
            ("?", "a", true),
            ("?", "/", false),
            ("a|b|c", "b", true),
            ("a|b|c", "d", false),
            ("--dry-run*", "--dry-run=client", true),
            ("[abc]x", "bx", true),
            ("[!abc]x", "bx", false),
            ("[a-c]x", "cx", true),
            ("~", "~", true),
            ("~", "/home/alice", true),
            ("~/", "/home/alice/", true),
            ("~", "/home/alicex", false),
            ("~/**", "/home/alice/src", true),
            ("*prod*", "kube-prod-1", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("*.tf", "main.tf", true),
            ("*x*y", "axbxcy", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(m(pattern, text), want, "{pattern} vs {text}");
        }
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Glob::new("[abc").is_err());
        assert!(Glob::new("a\\").is_err());
        assert!(Glob::new("[z-a]").is_err());
        assert!(Glob::new("").is_err());
    }

    #[test]
    fn path_normalisation() {
        assert_eq!(normalize_path("//").as_deref(), Some("/"));
        assert_eq!(normalize_path("/./").as_deref(), Some("/"));
        assert_eq!(normalize_path("/tmp/../").as_deref(), Some("/"));
        assert_eq!(normalize_path("/etc//ssh/").as_deref(), Some("/etc/ssh"));
        assert_eq!(normalize_path("./build"), None);
    }
}
