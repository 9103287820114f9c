//! Rule regexes, compiled only when a command could match them.
//!
//! Compiling the packs' regexes costs several milliseconds, which would be most of the time of
//! `gate -- true`. At load a regex's syntax is only checked. The first time a command reaches the
//! rule, the literals any match must contain are taken from its syntax tree (`docker|podman` in
//! `^(?:\S*/)?(?:docker|podman) …`), and the regex is compiled the first time a command line
//! contains one of them. The prefilter is a necessary condition, never a sufficient one.
//! `gate rules lint` compiles every regex, to report what the syntax check cannot see.

use std::sync::OnceLock;

use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

#[derive(Debug)]
pub struct LazyRegex {
    source: String,
    /// Built the first time a command reaches this rule.
    state: OnceLock<State>,
}

#[derive(Debug)]
struct State {
    /// Lowercase literals one of which every match contains; `None`: no usable prefilter.
    prefilter: Option<Vec<String>>,
    compiled: OnceLock<Result<Regex, String>>,
}

impl Clone for LazyRegex {
    fn clone(&self) -> Self {
        LazyRegex {
            source: self.source.clone(),
            state: OnceLock::new(),
        }
    }
}

impl LazyRegex {
    /// Check the syntax of `source` (cheap: no translation, nothing compiled).
    pub fn new(source: &str) -> Result<Self, String> {
        regex_syntax::ast::parse::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            source: source.to_string(),
            state: OnceLock::new(),
        })
    }

    /// Everything `new` does not check (Unicode class names, size limits): for `gate rules lint`.
    pub fn check_fully(&self) -> Result<(), String> {
        Regex::new(&self.source)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn state(&self) -> &State {
        self.state.get_or_init(|| {
            // Parsing in ASCII mode is several times cheaper than with Unicode classes and
            // case folding, and enough to find the literals.
            let ascii = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(&self.source);
            let prefilter = ascii
                .ok()
                .as_ref()
                .and_then(required)
                .filter(|lits| lits.iter().all(|l| l.chars().count() >= 2));
            State {
                prefilter,
                compiled: OnceLock::new(),
            }
        })
    }

    #[cfg(test)]
    fn prefilter(&self) -> Option<Vec<String>> {
        self.state().prefilter.clone()
    }

    /// `Err` when the regex could not be compiled (e.g. it exceeds the size limit): callers
    /// fail closed.
    pub fn is_match(&self, text: &str) -> Result<bool, String> {
        let state = self.state();
        if let Some(lits) = &state.prefilter {
            let lower = text.to_lowercase();
            if !lits.iter().any(|l| lower.contains(l.as_str())) {
                return Ok(false);
            }
        }
        match state
            .compiled
            .get_or_init(|| Regex::new(&self.source).map_err(|e| e.to_string()))
        {
            Ok(re) => Ok(re.is_match(text)),
            Err(e) => Err(e.clone()),
        }
    }
}

/// A single character a class stands for, ignoring case (`[dD]` is `d`).
fn class_char(class: &Class) -> Option<char> {
    let mut chars: Vec<char> = Vec::new();
    match class {
        Class::Unicode(u) => {
            for r in u.ranges() {
                if (r.end() as u32) - (r.start() as u32) > 4 {
                    return None;
                }
                chars.extend(r.start()..=r.end());
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                if r.end() - r.start() > 4 {
                    return None;
                }
                chars.extend((r.start()..=r.end()).map(char::from));
            }
        }
    }
    let first = chars.first()?.to_lowercase().next()?;
    chars
        .iter()
        .all(|c| c.to_lowercase().eq(first.to_lowercase()))
        .then_some(first)
}

/// Lowercase literals one of which every match of `hir` contains.
fn required(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0)
            .ok()
            .map(|s| vec![s.to_lowercase()]),
        HirKind::Class(class) => class_char(class).map(|c| vec![c.to_string()]),
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for alt in alts {
                out.extend(required(alt)?);
            }
            Some(out)
        }
        HirKind::Concat(subs) => {
            // Consecutive single literals join into longer ones; the best requirement wins:
            // the one whose shortest literal is longest.
            let mut candidates: Vec<Vec<String>> = Vec::new();
            let mut run = String::new();
            for sub in subs {
                match required(sub) {
                    Some(lits)
                        if lits.len() == 1
                            && matches!(sub.kind(), HirKind::Literal(_) | HirKind::Class(_)) =>
                    {
                        run.push_str(&lits[0]);
                    }
                    other => {
                        if !run.is_empty() {
                            candidates.push(vec![std::mem::take(&mut run)]);
                        }
                        if let Some(lits) = other {
                            candidates.push(lits);
                        }
                    }
                }
            }
            if !run.is_empty() {
                candidates.push(vec![run]);
            }
            candidates.into_iter().max_by_key(|lits| {
                let shortest = lits.iter().map(|l| l.chars().count()).min().unwrap_or(0);
                (shortest, usize::MAX - lits.len())
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pre(p: &str) -> Option<Vec<String>> {
        LazyRegex::new(p).unwrap().prefilter()
    }

    #[test]
    fn prefilters_are_necessary_literals() {
        // The requirement whose shortest literal is longest wins.
        assert_eq!(
            pre(r"^(?:\S*/)?(?:docker|podman) rm"),
            Some(vec!["docker".into(), "podman".into()])
        );
        assert_eq!(
            pre(r"^(?:\S*/)?(?:docker|podman|nerdctl)(?: --?\w+)*? images-remove"),
            Some(vec![" images-remove".into()])
        );
        assert_eq!(pre(r"(?i)drop\s+table"), Some(vec!["table".into()]));
        assert_eq!(pre(r"^(?:\S*/)?git prune"), Some(vec!["git prune".into()]));
        assert_eq!(pre(r".*"), None);
        assert_eq!(pre(r"a|\w+"), None);
    }

    #[test]
    fn matching_is_the_regex_itself() {
        let cases = [
            (
                r"(?i)^(?:\S*/)?psql .*drop\s+table",
                "psql -c DROP   TABLE users",
                true,
            ),
            (
                r"(?i)^(?:\S*/)?psql .*drop\s+table",
                "/usr/bin/psql -c 'Drop Table x'",
                true,
            ),
            (
                r"(?i)^(?:\S*/)?psql .*drop\s+table",
                "psql -c 'select 1'",
                false,
            ),
            (r"^(?:\S*/)?kill(?: -\S+)* 1(?: |$)", "kill -9 1", true),
            (r"^(?:\S*/)?kill(?: -\S+)* 1(?: |$)", "ls", false),
            (r"é+", "café", true),
        ];
        for (p, text, want) in cases {
            assert_eq!(
                LazyRegex::new(p).unwrap().is_match(text),
                Ok(want),
                "{p} on {text}"
            );
        }
        assert!(LazyRegex::new("(").is_err());
        let bad_class = LazyRegex::new(r"\p{NoSuchScript}").unwrap();
        assert!(bad_class.check_fully().is_err());
        assert!(
            bad_class.is_match("x").is_err(),
            "an uncompilable regex is an error the caller fails closed on"
        );
    }
}
