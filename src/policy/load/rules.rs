//! Rule parsing: one `[[rule]]` table (its matcher, conditions, decision, approvers, tests) into
//! a [`Rule`], every problem reported with its position.

use std::ops::Range;

use toml::de::DeTable;

use super::Raw;
use super::walk::{Cx, one_line};
use crate::policy::{CommandPattern, Matcher, Origin, Risk, Rule, RuleTests, When};

impl Cx<'_> {
    pub(super) fn rule(&mut self, table: &DeTable<'_>, span: Range<usize>, raw: &mut Raw) {
        let origin = self.origin(&span);
        let mut id = None;
        let mut has_matcher = 0;
        let mut command_pattern = None;
        let mut regex = None;
        let mut flags = Vec::new();
        let mut unless = Vec::new();
        let mut value_options = Vec::new();
        let mut when = When::default();
        let mut decision = None;
        let mut message = None;
        let mut risk = Risk::default();
        let mut approvers = Vec::new();
        let mut quorum = 1u32;
        let mut timeout = None;
        let mut channels = None;
        let mut reuse = None;
        let mut tests = RuleTests::default();
        let mut ok = true;
        for (k, v) in table.iter() {
            let before = self.problems.len();
            match k.get_ref().as_ref() {
                "id" => {
                    if let Some(s) = self.string(k, v) {
                        if s.is_empty() || s.chars().any(|c| c.is_whitespace()) {
                            self.err(
                                &v.span(),
                                format!("rule id `{s}` must be non-empty and have no spaces"),
                            );
                        } else {
                            id = Some(s);
                        }
                    }
                }
                "command" => {
                    has_matcher += 1;
                    if let Some(s) = self.string(k, v) {
                        let words: Vec<&str> = s.split_whitespace().collect();
                        if words.is_empty() {
                            self.err(&v.span(), "`command` is empty: name at least the program");
                        } else {
                            let mut parts = Vec::new();
                            for w in &words {
                                if let Some(a) = self.alternatives(&v.span(), w) {
                                    parts.push(a);
                                }
                            }
                            if parts.len() == words.len() {
                                let program = parts.remove(0);
                                command_pattern = Some(CommandPattern {
                                    program,
                                    words: parts,
                                });
                            }
                        }
                    }
                }
                "regex" => {
                    has_matcher += 1;
                    if let Some(s) = self.string(k, v) {
                        match super::lazy_regex::LazyRegex::new(&s) {
                            Ok(r) => regex = Some(r),
                            Err(e) => self.err(
                                &v.span(),
                                format!("bad regex: {}", one_line(&e.to_string())),
                            ),
                        }
                    }
                }
                "flags" => {
                    for (f, span) in self.str_list(k, v).unwrap_or_default() {
                        if !f.split('|').all(|alt| alt.starts_with('-')) {
                            self.err(
                                &span,
                                format!(
                                    "flag `{f}` must start with `-` (alternatives separated by |)"
                                ),
                            );
                        } else if let Some(a) = self.alternatives(&span, &f) {
                            flags.push(a);
                        }
                    }
                }
                "unless" => {
                    for (f, span) in self.str_list(k, v).unwrap_or_default() {
                        if let Some(a) = self.alternatives(&span, &f) {
                            unless.push(a);
                        }
                    }
                }
                "value_options" => {
                    for (f, span) in self.str_list(k, v).unwrap_or_default() {
                        if !f.starts_with('-') || f == "-" || f == "--" || f.contains('|') {
                            self.err(
                                &span,
                                format!("value option `{f}` must be one option such as `-e` or `--exclude`"),
                            );
                        } else {
                            value_options.push(f);
                        }
                    }
                }
                "when" => {
                    if let Some(t) = self.table(k, v) {
                        when = self.when(t);
                    }
                }
                "decision" => decision = self.decision(k, v),
                "message" => message = self.string(k, v),
                "risk" => {
                    if let Some(s) = self.string(k, v) {
                        match Risk::parse(&s) {
                            Some(r) => risk = r,
                            None => self.err(
                                &v.span(),
                                format!(
                                    "unknown risk `{s}` (expected low, medium, high or critical)"
                                ),
                            ),
                        }
                    }
                }
                "approvers" => {
                    for (a, span) in self.str_list(k, v).unwrap_or_default() {
                        raw.rule_approver_refs.push((a.clone(), self.origin(&span)));
                        approvers.push(a);
                    }
                }
                "quorum" => {
                    if let Some(n) = self.integer(k, v) {
                        if (1..=100).contains(&n) {
                            quorum = n as u32;
                        } else {
                            self.err(
                                &v.span(),
                                format!("quorum must be between 1 and 100, not {n}"),
                            );
                        }
                    }
                }
                "timeout" => timeout = self.duration(k, v),
                "reuse" => reuse = self.duration(k, v),
                "channels" => channels = self.channels(k, v),
                "tests" => {
                    if let Some(t) = self.table(k, v) {
                        for (tk, tv) in t.iter() {
                            match tk.get_ref().as_ref() {
                                "hit" | "miss" => {
                                    let list: Vec<(String, Origin)> = self
                                        .str_list(tk, tv)
                                        .unwrap_or_default()
                                        .into_iter()
                                        .map(|(s, span)| (s, self.origin(&span)))
                                        .collect();
                                    if tk.get_ref() == "hit" {
                                        tests.hit = list;
                                    } else {
                                        tests.miss = list;
                                    }
                                }
                                _ => self.unknown(tk, &["hit", "miss"]),
                            }
                        }
                    }
                }
                _ => self.unknown(
                    k,
                    &[
                        "id",
                        "command",
                        "regex",
                        "flags",
                        "unless",
                        "value_options",
                        "when",
                        "decision",
                        "message",
                        "risk",
                        "approvers",
                        "quorum",
                        "timeout",
                        "channels",
                        "reuse",
                        "tests",
                    ],
                ),
            }
            if self.problems.len() != before {
                ok = false;
            }
        }
        if id.is_none() && ok {
            self.err(&span, "rule has no `id`");
            ok = false;
        }
        if has_matcher == 0 {
            self.err(
                &span,
                format!(
                    "rule `{}` needs `command` or `regex`",
                    id.as_deref().unwrap_or("?")
                ),
            );
            ok = false;
        }
        // `command` and `regex` together: the program (and words) must match and the regex too;
        // such a rule is only looked at for its programs.
        let matcher = match (command_pattern, regex) {
            (Some(c), Some(r)) => Some(Matcher::Both(c, r)),
            (Some(c), None) => Some(Matcher::Command(c)),
            (None, Some(r)) => Some(Matcher::Regex(r)),
            (None, None) => None,
        };
        if matcher.is_none() && has_matcher > 0 {
            ok = false;
        }
        if decision.is_none() && ok {
            self.err(
                &span,
                format!(
                    "rule `{}` has no `decision` (allow, ask or deny)",
                    id.as_deref().unwrap_or("?")
                ),
            );
            ok = false;
        }
        if quorum > 1 && approvers.is_empty() && ok {
            self.err(
                &span,
                format!(
                    "rule `{}` sets quorum = {quorum} but names no `approvers`",
                    id.as_deref().unwrap_or("?")
                ),
            );
            ok = false;
        }
        if let (true, Some(id), Some(matcher), Some(decision)) = (ok, id, matcher, decision) {
            raw.rules.push(Rule {
                id,
                origin,
                matcher,
                flags,
                unless,
                value_options,
                when,
                decision,
                message,
                risk,
                approvers,
                quorum,
                timeout,
                channels,
                reuse,
                tests,
            });
        }
    }

    fn when(&mut self, table: &DeTable<'_>) -> When {
        let mut when = When::default();
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "env" => {
                    if let Some(t) = self.table(k, v) {
                        for (ek, ev) in t.iter() {
                            if let Some(s) = self.string(ek, ev)
                                && let Some(a) = self.alternatives(&ev.span(), &s)
                            {
                                when.env.push((ek.get_ref().to_string(), a));
                            }
                        }
                    }
                }
                "cwd" | "user" | "agent" => {
                    let Some(s) = self.string(k, v) else { continue };
                    let Some(a) = self.alternatives(&v.span(), &s) else {
                        continue;
                    };
                    match k.get_ref().as_ref() {
                        "cwd" => when.cwd = Some(a),
                        "user" => when.user = Some(a),
                        _ => when.agent = Some(a),
                    }
                }
                "ci" => when.ci = self.boolean(k, v),
                _ => self.unknown(k, &["env", "cwd", "user", "agent", "ci"]),
            }
        }
        when
    }
}
