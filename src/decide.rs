//! Pure decision: policy + analysed invocation + facts about the requester -> verdict.
//! No I/O here: everything the rules may look at arrives in [`Facts`].

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use crate::analyze::{Analysis, Opaque, SimpleCommand, Word};
use crate::policy::pattern::{Alternatives, normalize_path};
use crate::policy::{CommandPattern, Decision, Matcher, Policy, Risk, Rule};

/// What rules may look at besides the command itself.
pub struct Facts<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub cwd: &'a str,
    pub user: &'a str,
    pub agent: Option<&'a str>,
    pub ci: bool,
    pub home: Option<&'a str>,
    /// Resolve a program name to its absolute path (for `/`-patterns such as `/usr/bin/rm`).
    pub resolve: &'a dyn Fn(&str) -> Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleHit {
    pub rule: String,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub risk: Risk,
    /// Index into [`Verdict::commands`].
    pub command: usize,
    /// The rule matched only because an argument gate could not resolve stood in for a word or flag.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unresolved: bool,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub decision: Decision,
    pub hits: Vec<RuleHit>,
    pub opaque: Vec<Opaque>,
    pub commands: Vec<SimpleCommand>,
    /// Risk shown to approvers: the highest among the rules that made the decision.
    pub risk: Risk,
    /// When the decision is ask: who may approve, where, for how long (see
    /// [`Decider::settle`]).
    pub ask: Option<AskTerms>,
}

impl Verdict {
    /// The hits whose decision equals the overall decision: the rules that made it.
    pub fn deciding(&self) -> impl Iterator<Item = &RuleHit> {
        self.hits
            .iter()
            .filter(move |h| h.decision == self.decision)
    }
}

/// How an approval must go, from the rules that asked.
#[derive(Debug, Clone)]
pub struct AskTerms {
    pub timeout: Duration,
    pub channels: Vec<String>,
    /// Identities every approver must be among, one list per asking rule that names approvers.
    pub approver_sets: Vec<Vec<String>>,
    pub quorum: u32,
    pub reuse: Option<Duration>,
}

/// Rules indexed by literal program name, so a decision looks only at the rules that can match.
pub struct Decider<'p> {
    policy: &'p Policy,
    /// The policy's rules, then the pack rules resolved for this invocation.
    rules: Vec<&'p Rule>,
    by_program: HashMap<&'p str, Vec<usize>>,
    always: Vec<usize>,
}

impl<'p> Decider<'p> {
    /// A decider on the policy's own rules (and the packs already loaded into it).
    pub fn new(policy: &'p Policy) -> Self {
        Decider::with_rules(policy, &[])
    }

    /// A decider on the policy's rules and `packs`, the pack rules resolved for one invocation
    /// (see [`Policy::pack_rules`]); the policy itself is not changed.
    pub fn with_rules(policy: &'p Policy, packs: &'p [Rule]) -> Self {
        let rules: Vec<&Rule> = policy.rules.iter().chain(packs).collect();
        let mut by_program: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match &rule.matcher {
                Matcher::Command(p) | Matcher::Both(p, _)
                    if p.program.globs().iter().all(|g| g.is_literal())
                        && !p.program.contains_slash() =>
                {
                    for g in p.program.globs() {
                        by_program.entry(g.as_str()).or_default().push(i);
                    }
                }
                _ => always.push(i),
            }
        }
        Decider {
            policy,
            rules,
            by_program,
            always,
        }
    }

    fn rule(&self, id: &str) -> Option<&'p Rule> {
        self.rules.iter().copied().find(|r| r.id == id)
    }

    /// Give a final verdict (after gate's own protections were applied) its ask terms.
    pub fn settle(&self, verdict: &mut Verdict) {
        verdict.ask = (verdict.decision == Decision::Ask).then(|| self.ask_terms(verdict));
    }

    pub fn decide(&self, analysis: &Analysis, facts: &Facts<'_>) -> Verdict {
        let defaults = &self.policy.defaults;
        let mut hits = Vec::new();
        let mut decision = if analysis.opaque.is_empty() {
            Decision::Allow
        } else {
            defaults.opaque
        };
        let places = Place::along(analysis, facts);
        // Every file a redirection writes is judged as the command `> FILE`, where the command
        // it belongs to runs: `echo x > /dev/sda` is a write to a disk.
        let commands = judged_commands(analysis);
        // A `> FILE` is judged where the command it belongs to runs.
        let written_by: Vec<usize> = analysis
            .redirects
            .iter()
            .filter(|r| r.op != "<")
            .map(|r| r.command)
            .collect();
        let place_of = |ci: usize| -> &Place {
            let at = match ci.checked_sub(analysis.commands.len()) {
                None => ci,
                Some(r) => written_by[r],
            };
            &places[at.min(places.len() - 1)]
        };
        for (ci, cmd) in commands.iter().enumerate() {
            let place = place_of(ci);
            let expanded = place.expand_command(cmd, facts, &analysis.assigned);
            let cmd = expanded.as_ref().unwrap_or(cmd);
            let mut matched = None::<Decision>;
            let program = program_name(&cmd.words[0].text);
            let program = program.as_ref();
            // Wrappers that were peeled off are commands too: a rule on `sudo` sees `sudo ls`.
            let candidates = self
                .by_program
                .get(program)
                .into_iter()
                .flatten()
                .chain(
                    cmd.via
                        .iter()
                        .filter_map(|v| {
                            self.by_program
                                .get(v.split_whitespace().next().unwrap_or(""))
                        })
                        .flatten(),
                )
                .chain(self.always.iter());
            let mut seen = Vec::new();
            for &ri in candidates {
                if seen.contains(&ri) {
                    continue;
                }
                seen.push(ri);
                let rule = self.rules[ri];
                let how = rule_match_at(rule, cmd, facts, place);
                if how != Match::No {
                    // An unresolved argument matches (`rm -rf "$X"` is stopped); but what gate
                    // does not know is not certain, so a deny it alone brings about is an ask
                    // (`rm -rf "$TMPDIR/x"`). `unresolved` tells the reader why it matched.
                    let unresolved = how == Match::Unresolved;
                    let decision = if unresolved && rule.decision == Decision::Deny {
                        Decision::Ask.max(defaults.decision)
                    } else {
                        rule.decision
                    };
                    hits.push(RuleHit {
                        rule: rule.id.clone(),
                        decision,
                        message: rule.message.clone(),
                        risk: rule.risk,
                        command: ci,
                        unresolved,
                    });
                    matched = Some(matched.map_or(decision, |m| m.max(decision)));
                }
            }
            decision = decision.max(matched.unwrap_or(defaults.decision));
        }
        if analysis.commands.is_empty() && analysis.opaque.is_empty() {
            decision = Decision::Allow;
        }
        let risk = hits
            .iter()
            .filter(|h| h.decision == decision)
            .map(|h| h.risk)
            .max()
            .unwrap_or(if decision == Decision::Allow {
                Risk::Low
            } else {
                Risk::Medium
            });
        Verdict {
            decision,
            hits,
            opaque: analysis.opaque.clone(),
            commands,
            risk,
            ask: None,
        }
    }

    /// The approval terms for a verdict that asks.
    pub fn ask_terms(&self, verdict: &Verdict) -> AskTerms {
        let defaults = &self.policy.defaults;
        let asking: Vec<&Rule> = verdict
            .hits
            .iter()
            .filter(|h| h.decision == Decision::Ask)
            .filter_map(|h| self.rule(&h.rule))
            .collect();
        let timeout = asking
            .iter()
            .filter_map(|r| r.timeout)
            .min()
            .unwrap_or(defaults.timeout);
        let mut channels: Vec<String> = Vec::new();
        let mut any_default = asking.is_empty() || asking.iter().any(|r| r.channels.is_none());
        for r in &asking {
            if let Some(list) = &r.channels {
                for c in list {
                    if !channels.contains(c) {
                        channels.push(c.clone());
                    }
                }
            }
        }
        if channels.is_empty() {
            any_default = true;
        }
        if any_default {
            for c in &defaults.channels {
                if !channels.contains(c) {
                    channels.push(c.clone());
                }
            }
        }
        let approver_sets = asking
            .iter()
            .filter(|r| !r.approvers.is_empty())
            .map(|r| self.policy.approver_identities(r))
            .collect();
        let quorum = asking.iter().map(|r| r.quorum).max().unwrap_or(1);
        let reuse = if !asking.is_empty()
            && verdict.opaque.is_empty()
            && asking.iter().all(|r| r.reuse.is_some())
        {
            asking.iter().filter_map(|r| r.reuse).min()
        } else {
            None
        };
        AskTerms {
            timeout,
            channels,
            approver_sets,
            quorum,
            reuse,
        }
    }
}

pub use crate::analyze::basename;

/// The name a program is matched by: its base name (after `/`, and after `\` for a Windows
/// path), and, where it is written in capitals or ends in `.exe`, its lower-case name without
/// `.exe`: on macOS and Windows `RM`, `GIT.EXE` and `C:\…\git.exe` run `rm` and `git`, and
/// being stricter than Linux is the safe side.
pub fn program_name(program: &str) -> std::borrow::Cow<'_, str> {
    let base = basename(program);
    let base = base.rsplit('\\').next().unwrap_or(base);
    let plain = !base.bytes().any(|b| b.is_ascii_uppercase())
        && !base.ends_with(".exe")
        && !base.ends_with(".EXE");
    if plain {
        return std::borrow::Cow::Borrowed(base);
    }
    let lower = base.to_ascii_lowercase();
    std::borrow::Cow::Owned(match lower.strip_suffix(".exe") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => lower,
    })
}

/// Whether the program's name was normalised from capitals (`GIT CHECKOUT`): its subcommand
/// words are then compared without case too.
fn uppercase_program(program: &str) -> bool {
    let base = basename(program);
    base.chars().any(|c| c.is_ascii_uppercase())
}

/// How a rule matched a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    No,
    /// Only because an argument gate could not resolve (`$X`, `$(..)`) stood in for a pattern
    /// word or a flag.
    Unresolved,
    Literal,
}

/// Whether `rule` matches `cmd`.
pub fn rule_matches(rule: &Rule, cmd: &SimpleCommand, facts: &Facts<'_>) -> bool {
    rule_match(rule, cmd, facts) != Match::No
}

/// An argument gate could not resolve (`$X`) matches every positive pattern of a rule that
/// could make the decision stricter than allow, and never matches `unless` of such a rule, so
/// that an unknown value can only tighten.
pub fn rule_match(rule: &Rule, cmd: &SimpleCommand, facts: &Facts<'_>) -> Match {
    rule_match_at(rule, cmd, facts, &Place::of(facts))
}

/// [`rule_match`] for a command that runs at `place` (after the `cd`s before it in the line).
fn rule_match_at(rule: &Rule, cmd: &SimpleCommand, facts: &Facts<'_>, place: &Place) -> Match {
    let strict = rule.decision != Decision::Allow;
    if !when_matches(rule, facts) {
        return Match::No;
    }
    let args = &cmd.words[1..];
    let mut how = match &rule.matcher {
        Matcher::Command(pattern) => {
            command_matches(pattern, cmd, strict, facts, &rule.value_options, place)
        }
        Matcher::Regex(re) => regex_matches(re, cmd, strict),
        Matcher::Both(pattern, re) => {
            match command_matches(pattern, cmd, strict, facts, &rule.value_options, place) {
                Match::No => Match::No,
                how => how.min(regex_matches(re, cmd, strict)),
            }
        }
    };
    if how == Match::No {
        return Match::No;
    }
    if !rule.flags.is_empty() {
        how = how.min(flags_present(
            &rule.flags,
            args,
            strict,
            &rule.value_options,
        ));
        if how == Match::No {
            return Match::No;
        }
    }
    if !rule.unless.is_empty() {
        let options = unless_options(args, strict, &rule.value_options);
        for pattern in &rule.unless {
            for g in pattern.globs() {
                if g.as_str().starts_with('-') {
                    // An option pattern matches options only: never the value of another
                    // option (`twine upload --comment --dry-run`), nor a path after `--`.
                    // `name=value` spellings made from two words are only for `=` patterns.
                    let with_value = g.as_str().contains('=');
                    if options.iter().any(|(o, pair)| {
                        (with_value || !pair) && g.matches(o, None)
                            || (!pair && unless_abbreviation(rule, g, o))
                    }) {
                        return Match::No;
                    }
                    continue;
                }
                for w in args {
                    if w.dynamic && strict {
                        continue;
                    }
                    if g.matches(&w.text, facts.home)
                        || normalize_path(&w.text)
                            .is_some_and(|n| n != w.text && g.matches(&n, facts.home))
                    {
                        return Match::No;
                    }
                }
            }
        }
    }
    how
}

/// `--dry-r` for the exemption `--dry-run`: an abbreviation exempts only when it begins exactly
/// one long option of the `unless` list and none of the rule's `flags` (so it cannot be read as
/// an option the rule asks about; a program that finds it ambiguous refuses to run).
fn unless_abbreviation(rule: &Rule, g: &crate::policy::pattern::Glob, arg: &str) -> bool {
    if arg.contains('=') || !g.is_literal() {
        return false;
    }
    let one =
        |alts: &Alternatives| Alternatives::new(alts.as_str()).is_ok_and(|a| abbreviates(&a, arg));
    let Ok(this) = Alternatives::new(g.as_str()) else {
        return false;
    };
    if !abbreviates(&this, arg) {
        return false;
    }
    let exempt = rule
        .unless
        .iter()
        .flat_map(|a| a.globs())
        .filter(|o| Alternatives::new(o.as_str()).is_ok_and(|a| abbreviates(&a, arg)))
        .count();
    exempt == 1 && !rule.flags.iter().any(one)
}

/// Whether `opt` takes a value according to the rule.
fn takes_value(value_options: &[String], opt: &str) -> bool {
    value_options.iter().any(|v| v == opt)
}

/// The option spellings an `unless` pattern may match: each option as written (a short bundle
/// cut after an option that takes a value: `-fe` of `-fenx`), and `--name=value` (`-n=value`)
/// for an option followed by its value, so `--dry-run=client` also matches `--dry-run client`.
/// Values of options and everything after `--` are not options.
fn unless_options(args: &[Word], strict: bool, value_options: &[String]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        let t = w.text.as_str();
        i += 1;
        if w.dynamic {
            continue;
        }
        if t == "--" {
            break;
        }
        if !t.starts_with('-') || t == "-" {
            continue;
        }
        let next = args.get(i).filter(|n| !(n.dynamic && strict));
        if let Some(long) = t.strip_prefix("--") {
            if let Some(negated) = long.strip_prefix("no-") {
                let pos = format!("--{negated}");
                out.retain(|(o, _): &(String, bool)| {
                    o != &pos && !o.starts_with(&format!("{pos}="))
                });
            }
            out.push((t.to_string(), false));
            if !t.contains('=') {
                if let Some(n) = next {
                    out.push((format!("{t}={}", n.text), true));
                }
                if takes_value(value_options, t) {
                    i += 1;
                }
            }
            continue;
        }
        // A short option or bundle: it ends at the first option that takes a value.
        let body = &t[1..];
        let mut cut = t.len();
        let mut value_next = false;
        for (j, c) in body.char_indices() {
            if takes_value(value_options, &format!("-{c}")) {
                let end = 1 + j + c.len_utf8();
                cut = end;
                let rest = &t[end..];
                if rest.is_empty() {
                    value_next = true;
                    if let Some(n) = next {
                        out.push((format!("-{c}={}", n.text), true));
                    }
                } else {
                    out.push((format!("-{c}={rest}"), true));
                }
                break;
            }
        }
        out.push((t[..cut].to_string(), false));
        if body.chars().count() == 1 && !value_next {
            if let Some(n) = next.filter(|n| !n.text.starts_with('-')) {
                out.push((format!("{t}={}", n.text), true));
            }
        }
        if value_next {
            i += 1;
        }
    }
    out
}

/// The regex against the words joined by one space (and with each wrapper in front).
fn regex_matches(
    re: &crate::policy::lazy_regex::LazyRegex,
    cmd: &SimpleCommand,
    strict: bool,
) -> Match {
    let line: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
    let line = line.join(" ");
    let hit = |text: &str| match re.is_match(text) {
        Ok(hit) => hit,
        // A regex that cannot be compiled matches when that is the safe side.
        Err(_) => strict,
    };
    if hit(&line) || cmd.via.iter().any(|v| hit(&format!("{v} {line}"))) {
        Match::Literal
    } else {
        Match::No
    }
}

fn when_matches(rule: &Rule, facts: &Facts<'_>) -> bool {
    let w = &rule.when;
    if w.is_empty() {
        return true;
    }
    for (var, pattern) in &w.env {
        match (facts.env)(var) {
            Some(value) if pattern.matches_text(&value) => {}
            _ => return false,
        }
    }
    if let Some(p) = &w.cwd
        && !p.matches(facts.cwd, facts.home)
    {
        return false;
    }
    if let Some(p) = &w.user
        && !p.matches(facts.user, facts.home)
    {
        return false;
    }
    if let Some(p) = &w.agent {
        match facts.agent {
            Some(agent) if p.matches(agent, None) => {}
            _ => return false,
        }
    }
    if let Some(ci) = w.ci
        && ci != facts.ci
    {
        return false;
    }
    true
}

fn command_matches(
    pattern: &CommandPattern,
    cmd: &SimpleCommand,
    strict: bool,
    facts: &Facts<'_>,
    value_options: &[String],
    place: &Place,
) -> Match {
    let program = &cmd.words[0];
    let via_wrapper = || {
        cmd.via.iter().any(|v| {
            pattern.words.is_empty()
                && program_matches(
                    &pattern.program,
                    v.split_whitespace().next().unwrap_or(""),
                    facts,
                )
        })
    };
    if !program_matches(&pattern.program, &program.text, facts) && !via_wrapper() {
        return Match::No;
    }
    // Each pattern word must match a later non-option argument, in order (options and their
    // values standing before or between them are skipped). Literal arguments first; only if
    // that fails may unresolved ones stand in.
    let positionals: Vec<&Word> = positionals(&cmd.words[1..], value_options).collect();
    if subsequence(&pattern.words, &positionals, false, facts.home, place) {
        return Match::Literal;
    }
    // `GIT CHECKOUT` on a case-insensitive system: subcommands compared without case too.
    if strict && !pattern.words.is_empty() && uppercase_program(&program.text) {
        let lowered: Vec<Word> = positionals
            .iter()
            .map(|w| Word {
                text: w.text.to_ascii_lowercase(),
                dynamic: w.dynamic,
            })
            .collect();
        let lowered: Vec<&Word> = lowered.iter().collect();
        if subsequence(&pattern.words, &lowered, false, facts.home, place) {
            return Match::Literal;
        }
    }
    if strict && subsequence(&pattern.words, &positionals, true, facts.home, place) {
        return Match::Unresolved;
    }
    Match::No
}

/// `words` match `args` in order, skipping arguments between them. With `stand_in`, an
/// unresolved argument may match a word, except the first (the subcommand) when a literal
/// argument stands before it: `git commit -m "$(date)"` is not `git push`.
fn subsequence(
    words: &[Alternatives],
    args: &[&Word],
    stand_in: bool,
    home: Option<&str>,
    place: &Place,
) -> bool {
    let mut i = 0;
    'words: for (wi, pattern) in words.iter().enumerate() {
        while i < args.len() {
            let arg = args[i];
            i += 1;
            let ok = if arg.dynamic {
                stand_in && (wi > 0 || args[..i - 1].iter().all(|a| a.dynamic))
            } else {
                word_matches(pattern, arg, false, home, Some(place))
            };
            if ok {
                continue 'words;
            }
        }
        return false;
    }
    true
}

fn program_matches(pattern: &Alternatives, program: &str, facts: &Facts<'_>) -> bool {
    if pattern.contains_slash() {
        let resolved = if program.contains('/') {
            let absolute = if program.starts_with('/') {
                program.to_string()
            } else {
                format!("{}/{}", facts.cwd, program)
            };
            normalize_path(&absolute)
        } else {
            (facts.resolve)(program)
        };
        resolved.is_some_and(|p| pattern.matches(&p, facts.home))
            || pattern.matches(program, facts.home)
    } else {
        let base = basename(program);
        pattern.matches(base, facts.home)
            || matches!(program_name(program), std::borrow::Cow::Owned(n) if pattern.matches(&n, facts.home))
    }
}

/// Arguments that are not options: anything not starting with `-`, a lone `-`, and everything
/// after `--`; the value of an option the rule says takes one (`-b NAME`) is not one either.
/// Unresolved words may be either, so they count here too.
fn positionals<'a>(
    args: &'a [Word],
    value_options: &'a [String],
) -> impl Iterator<Item = &'a Word> {
    let mut after_dashdash = false;
    let mut skip_value = false;
    args.iter().filter(move |w| {
        if after_dashdash {
            return true;
        }
        if std::mem::take(&mut skip_value) && !w.dynamic {
            return false;
        }
        if w.text == "--" && !w.dynamic {
            after_dashdash = true;
            return false;
        }
        if !w.dynamic && w.text.starts_with('-') && w.text != "-" {
            skip_value = option_wants_value(&w.text, value_options);
            return false;
        }
        true
    })
}

/// Whether the next argument is the value of option word `t` (`-b`, `-qb`, `--orphan`).
fn option_wants_value(t: &str, value_options: &[String]) -> bool {
    if value_options.is_empty() {
        return false;
    }
    // Single-dash long options (`find -name X`) are listed as they are written.
    if value_options.iter().any(|o| o == t) {
        return true;
    }
    if t.starts_with("--") {
        return !t.contains('=') && takes_value(value_options, t);
    }
    for (j, c) in t[1..].char_indices() {
        if takes_value(value_options, &format!("-{c}")) {
            return t[1 + j + c.len_utf8()..].is_empty();
        }
    }
    false
}

fn word_matches(
    pattern: &Alternatives,
    word: &Word,
    strict: bool,
    home: Option<&str>,
    place: Option<&Place>,
) -> bool {
    if word.dynamic {
        return strict;
    }
    if let Some(place) = place {
        for alt in pattern.globs() {
            match alt.as_str() {
                OUTSIDE if place.outside(&word.text) => return true,
                WHOLE_CWD if place.whole_cwd(&word.text) => return true,
                _ => {}
            }
        }
    }
    if pattern.matches(&word.text, home) {
        return true;
    }
    // `rm -rf //` or `/tmp/../` is `/`: path spellings are normalised before matching.
    if spelled_unnormally(&word.text)
        && let Some(normal) = normalize_path(&word.text)
        && normal != word.text
        && pattern.matches(&normal, home)
    {
        return true;
    }
    // `cd / && rm -rf *`, `rm -rf ~/../`, `rm -rf ../..`: a path is also matched where it
    // lands, against patterns that name absolute places.
    let absolute = |g: &crate::policy::pattern::Glob| {
        g.as_str().starts_with('/') || g.as_str().starts_with('~')
    };
    match place {
        Some(place) if pattern.globs().iter().any(absolute) && looks_like_path(&word.text) => {
            place.resolve(&word.text).is_some_and(|landed| {
                landed
                    .iter()
                    .any(|(p, _)| p != &word.text && pattern.matches(p, home))
            })
        }
        _ => false,
    }
}

/// The program name under which a file written by redirection is judged (`> /dev/sda`).
pub const REDIRECT: &str = ">";

/// What rules judge: every command of the analysis, then one `> FILE` per file a redirection
/// writes.
pub fn judged_commands(analysis: &Analysis) -> Vec<SimpleCommand> {
    let mut commands = analysis.commands.clone();
    for r in analysis.redirects.iter().filter(|r| r.op != "<") {
        // An unresolved target stands in for any file only where it could be one of the
        // special files rules name (`> "$DEV"`, `> /dev/$D`): not `> "$OUT/result.txt"`.
        let mut target = r.target.clone();
        if target.dynamic {
            let t = target.text.trim_matches('"');
            let prefix = &t[..t.find(['$', '`']).unwrap_or(t.len())];
            let suffix = &t[t.rfind(['}', ')', '`']).map_or(t.len(), |i| i + 1)..];
            let plain_suffix = t
                .rfind('$')
                .map(|i| &t[i..])
                .is_some_and(|v| v.contains(['/', '.']) && !v.contains(['{', '(']));
            if !(prefix.is_empty() || prefix.starts_with("/dev"))
                || suffix.contains(['/', '.'])
                || plain_suffix
            {
                target.dynamic = false;
            }
        }
        commands.push(SimpleCommand {
            words: vec![Word::lit(REDIRECT), target],
            origin: crate::analyze::Origin::Script,
            via: Vec::new(),
        });
    }
    commands
}

/// The temporary directories (and `$TMPDIR`): deletes there are everyday work.
const TEMP_DIRS: &[&str] = &["/tmp", "/var/tmp", "/private/tmp", "/dev/shm"];

/// Pattern words that name a class of places rather than a spelling (see [`Place`]).
const OUTSIDE: &str = "{outside}";
const WHOLE_CWD: &str = "{cwd}";

/// Whether a path is written other than [`normalize_path`] would write it (`//`, `/./`,
/// `/../`, a trailing `/`): only then is the normal form worth matching.
fn spelled_unnormally(text: &str) -> bool {
    text.starts_with('/')
        && (text.contains("//") || text.contains("/.") || (text.len() > 1 && text.ends_with('/')))
}

/// An argument that may be a path: not an option, not `NAME=value`, not a URL.
fn looks_like_path(text: &str) -> bool {
    !text.is_empty() && !text.starts_with('-') && !text.contains("://") && !text.contains('=')
}

/// Where a command runs, for judging where the paths it is given land: the request's working
/// directory (the project), and every directory a `cd` earlier in the line may have taken it
/// to. `{outside}` in a pattern matches a path that lands outside the project and outside the
/// temporary directories (a relative path that climbs out with `..` or after a `cd` is outside
/// even when it lands in `/tmp`); with the project at `/` or the home directory nothing is
/// inside it. `{cwd}` matches the project itself (`.`, `*`, `.*`, `$PWD`).
#[derive(Debug, Clone)]
pub struct Place {
    cwd: String,
    /// `None` when a `cd` went somewhere gate cannot resolve.
    bases: Option<Vec<String>>,
    home: Option<String>,
    /// `$TMPDIR`, when it is set to a directory below the root.
    tmpdir: Option<String>,
}

impl Place {
    fn of(facts: &Facts<'_>) -> Place {
        let cwd = normalize_path(facts.cwd).unwrap_or_else(|| facts.cwd.to_string());
        let tmpdir = (facts.env)("TMPDIR")
            .and_then(|t| normalize_path(&t))
            .filter(|t| t.len() > 1);
        Place {
            tmpdir,
            bases: Some(vec![cwd.clone()]),
            cwd,
            home: facts
                .home
                .map(|h| normalize_path(h).unwrap_or_else(|| h.to_string())),
        }
    }

    /// The place of each command of `analysis`, following its `cd`s (and `env -C`).
    /// Shared between the commands between two `cd`s; one more at the end, for what follows.
    fn along(analysis: &Analysis, facts: &Facts<'_>) -> Vec<std::rc::Rc<Place>> {
        let mut current = std::rc::Rc::new(Place::of(facts));
        let mut out = Vec::with_capacity(analysis.commands.len() + 1);
        for cmd in &analysis.commands {
            out.push(current.clone());
            if !matches!(basename(&cmd.words[0].text), "cd" | "pushd") {
                continue;
            }
            let mut place = (*current).clone();
            let target = cmd.words[1..]
                .iter()
                .find(|w| w.dynamic || !w.text.starts_with('-') || w.text == "-");
            let next = match target {
                None => place.home.clone().map(|h| vec![(h, false)]),
                Some(w) if w.dynamic || w.text == "-" => None,
                Some(w) => place.resolve(&w.text),
            };
            place.bases = match (place.bases.take(), next) {
                (Some(mut bases), Some(more)) => {
                    for (b, _) in more {
                        if !bases.contains(&b) {
                            bases.push(b);
                        }
                    }
                    Some(bases)
                }
                _ => None,
            };
            current = std::rc::Rc::new(place);
        }
        out.push(current);
        out
    }

    /// Where `text` lands: absolute paths (after `~`), each with whether it was reached from a
    /// relative spelling or a `cd`. `None` when a `cd` before it is unknown.
    fn resolve(&self, text: &str) -> Option<Vec<(String, bool)>> {
        let home = self.home.as_deref();
        let expanded = if text == "~" || text.starts_with("~/") {
            home.map(|h| format!("{h}{}", &text[1..]))
        } else if text == "~+" || text.starts_with("~+/") {
            Some(format!("{}{}", self.cwd, &text[2..]))
        } else {
            // `~alice/x`: another user's home, somewhere outside.
            text.strip_prefix('~').map(|user| format!("/home/{user}"))
        };
        if let Some(abs) = expanded.or_else(|| text.starts_with('/').then(|| text.to_string())) {
            return Some(vec![(normalize_path(&abs).unwrap_or(abs), false)]);
        }
        let bases = self.bases.as_ref()?;
        Some(
            bases
                .iter()
                .map(|b| {
                    let p = normalize_path(&format!("{b}/{text}")).unwrap_or_default();
                    (p, true)
                })
                .collect(),
        )
    }

    fn within(path: &str, dir: &str) -> bool {
        dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
    }

    fn outside(&self, text: &str) -> bool {
        if !looks_like_path(text) {
            return false;
        }
        let Some(landed) = self.resolve(text) else {
            // After a `cd` gate cannot follow, a relative path could be anywhere.
            return true;
        };
        let no_project = self.cwd == "/" || self.home.as_deref() == Some(self.cwd.as_str());
        landed.iter().any(|(p, relative)| {
            let inside = !no_project && Self::within(p, &self.cwd);
            let climbed = *relative && !Self::within(p, &self.cwd);
            let temp = TEMP_DIRS.iter().any(|t| Self::within(p, t))
                || self.tmpdir.as_deref().is_some_and(|t| Self::within(p, t));
            !inside && (climbed || !temp)
        })
    }

    fn whole_cwd(&self, text: &str) -> bool {
        let trimmed = match text.trim_end_matches('/') {
            "" if text.starts_with('/') => "/",
            t => t,
        };
        let trimmed = trimmed
            .strip_suffix("/*")
            .or_else(|| trimmed.strip_suffix("/.*"))
            .unwrap_or(trimmed);
        let trimmed = match trimmed {
            "*" | ".*" | "" => ".",
            t => t,
        };
        self.resolve(trimmed)
            .is_some_and(|landed| landed.iter().any(|(p, _)| p == &self.cwd))
    }

    /// The command with the variables gate knows for certain expanded (`$HOME`, `$USER`,
    /// `$TMPDIR` when set, `$PWD` before any `cd`), unless the line itself sets them; `None`
    /// when nothing changes.
    fn expand_command(
        &self,
        cmd: &SimpleCommand,
        facts: &Facts<'_>,
        assigned: &[String],
    ) -> Option<SimpleCommand> {
        if !cmd.words.iter().any(|w| w.dynamic && w.text.contains('$')) {
            return None;
        }
        let moved = self.bases.as_ref().is_none_or(|b| b.len() > 1);
        let value = |name: &str| -> Option<String> {
            if assigned.iter().any(|a| a == name) {
                return None;
            }
            match name {
                "HOME" => self.home.clone(),
                "USER" => Some(facts.user.to_string()).filter(|u| !u.is_empty()),
                "PWD" if !moved => Some(self.cwd.clone()),
                "TMPDIR" => self.tmpdir.clone(),
                _ => None,
            }
        };
        let mut out = cmd.clone();
        let mut changed = false;
        for w in out.words.iter_mut().filter(|w| w.dynamic) {
            if let Some(text) = expand_known(&w.text, &value) {
                *w = Word::lit(text);
                changed = true;
            }
        }
        changed.then_some(out)
    }
}

/// `text` with `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME-default}` replaced, when
/// every expansion in it is one of those and `value` knows each name (or it has a default).
fn expand_known(text: &str, value: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if text.contains(['`', '"', '\\', '\'']) || text.contains("$(") {
        return None;
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let (name, default, len) = if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}')?;
            let body = &inner[..close];
            let (name, default) =
                match body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    None => (body, None),
                    Some(i) => {
                        let op = &body[i..];
                        let default = op.strip_prefix(":-").or_else(|| op.strip_prefix('-'))?;
                        (&body[..i], Some(default))
                    }
                };
            (name, default, close + 2)
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], None, end)
        };
        if name.is_empty() || default.is_some_and(|d| d.contains(['$', '{', '}'])) {
            return None;
        }
        out.push_str(&value(name).or_else(|| default.map(str::to_string))?);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// Every entry of `flags` must be present in some spelling: `-rf` holds `-r` and `-f`,
/// `--force=x` holds `--force`, single-dash long options (`-delete`) match literally. A short
/// bundle ends at an option that takes a value (`-fe x` holds `-f` and `-e`, not `-x`), and
/// such an option's separate value is not an option. For a rule that is stricter than allow, a
/// GNU-style abbreviation (`--forc`, `--har`: at least two letters) counts as the long option it
/// begins, as git and GNU getopt read it.
fn flags_present(
    flags: &[Alternatives],
    args: &[Word],
    strict: bool,
    value_options: &[String],
) -> Match {
    let mut present: Vec<String> = Vec::new();
    let mut any_dynamic = false;
    let mut skip_value = false;
    for w in args {
        if w.dynamic {
            any_dynamic = true;
            skip_value = false;
            continue;
        }
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let t = w.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            present.push(format!("--{name}"));
            present.push(t.to_string());
            skip_value = option_wants_value(t, value_options);
        } else if t.len() > 1 && t.starts_with('-') {
            present.push(t.to_string());
            if takes_value(value_options, t) {
                // A single-dash long option with a value (`find -name X`).
                skip_value = true;
                continue;
            }
            for (j, c) in t[1..].char_indices() {
                if !c.is_ascii_alphanumeric() {
                    break;
                }
                let o = format!("-{c}");
                let value = takes_value(value_options, &o);
                present.push(o);
                if value {
                    skip_value = t[1 + j + c.len_utf8()..].is_empty();
                    break;
                }
            }
        }
    }
    // The last spelling wins: `--no-worktree` after `-W` (alternatives of one entry are the
    // same option), `--force --no-force`, as git and GNU programs read them.
    let found = |f: &Alternatives| {
        let mut on = false;
        for p in &present {
            if f.matches(p, None) || (strict && abbreviates(f, p)) {
                on = true;
            } else if let Some(negated) = p.strip_prefix("--no-")
                && !negated.contains('=')
                && f.matches(&format!("--{negated}"), None)
            {
                on = false;
            }
        }
        on
    };
    if flags.iter().all(found) {
        Match::Literal
    } else if strict && any_dynamic {
        Match::Unresolved
    } else {
        Match::No
    }
}

/// `--forc` abbreviates `--force` (and `--force-w=x` the glob `--force-with-lease*`): the
/// option name before `=` is a shorter prefix, of at least two letters, of an alternative's
/// literal option name; the abbreviation, written out, must then match the alternative.
fn abbreviates(f: &Alternatives, p: &str) -> bool {
    let Some(long) = p.strip_prefix("--") else {
        return false;
    };
    let (name, rest) = match long.find('=') {
        Some(i) => (&long[..i], &long[i..]),
        None => (long, ""),
    };
    if name.chars().count() < 2 {
        return false;
    }
    f.globs().iter().any(|g| {
        let Some(src) = g.as_str().strip_prefix("--") else {
            return false;
        };
        let end = src.find(['=', '*', '?', '[', '\\']).unwrap_or(src.len());
        let full = &src[..end];
        full.len() > name.len()
            && full.starts_with(name)
            && g.matches(&format!("--{full}{rest}"), None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Wrappers, analyze_argv, analyze_script};
    /// These tests are about the decider's reading of the rules they write: no pack rules
    /// join in (a policy without a `packs` key gets every pack).
    fn parse_str(
        name: &str,
        text: &str,
    ) -> std::result::Result<crate::policy::Policy, crate::policy::Problems> {
        crate::policy::parse_str(name, &format!("packs = []\n{text}"))
    }

    fn facts_with<'a>(
        env: &'a dyn Fn(&str) -> Option<String>,
        resolve: &'a dyn Fn(&str) -> Option<String>,
    ) -> Facts<'a> {
        Facts {
            env,
            cwd: "/srv/app",
            user: "alice",
            agent: Some("claude-code"),
            ci: false,
            home: Some("/home/alice"),
            resolve,
        }
    }

    /// Where paths land: `{outside}` and `{cwd}` as the filesystem pack uses them.
    #[test]
    fn paths_are_judged_where_they_land() {
        let env = |k: &str| (k == "TMPDIR").then(|| "/var/folders/t".to_string());
        let resolve = |_: &str| None;
        let facts = facts_with(&env, &resolve);
        let policy = r#"
[[rule]]
id = "outside"
command = "rm {outside}"
decision = "ask"
[[rule]]
id = "cwd"
command = "rm {cwd}"
decision = "ask"
[[rule]]
id = "root"
command = "rm /|/*|~"
decision = "deny"
"#;
        let policy = parse_str("test", policy).unwrap();
        let hits = |line: &str| -> Vec<String> {
            let v =
                Decider::new(&policy).decide(&analyze_script(line, &Wrappers::builtin()), &facts);
            let mut ids: Vec<String> = v.hits.iter().map(|h| h.rule.clone()).collect();
            ids.dedup();
            ids
        };
        for (line, want) in [
            ("rm -rf build", &[][..]),
            ("rm -rf ./dist ../app/x", &[]),
            ("rm -rf ../other", &["outside"]),
            ("rm -rf /tmp/x /var/tmp/y /var/folders/t/z", &[]),
            ("rm -rf /tmp/../etc/x", &["outside"]),
            ("rm -rf /", &["outside", "root"]),
            ("rm -rf .", &["cwd"]),
            ("rm -rf *", &["cwd"]),
            ("rm -rf ./.*", &["cwd"]),
            ("rm -rf $PWD", &["cwd"]),
            ("cd / && rm -rf *", &["outside", "cwd", "root"]),
            ("cd .. && rm -rf app", &["cwd"]),
            ("cd $X && rm -rf build", &["outside"]),
            ("rm -rf ~/../", &["outside", "root"]),
            ("rm -rf $HOME", &["outside", "root"]),
            ("rm -rf $TMPDIR/cache", &[]),
            (
                "TMPDIR=/ rm -rf x; export TMPDIR=/; rm -rf $TMPDIR/x",
                &["outside", "cwd", "root"],
            ),
        ] {
            let mut got = hits(line);
            got.sort();
            let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{line}");
        }
    }

    fn decide_script(policy: &str, script: &str) -> Verdict {
        let policy = parse_str("t.toml", policy).unwrap();
        let env =
            |k: &str| (k == "KUBECONFIG").then(|| "/home/alice/.kube/prod-config".to_string());
        let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
        let facts = facts_with(&env, &resolve);
        let analysis = analyze_script(script, &Wrappers::builtin());
        Decider::new(&policy).decide(&analysis, &facts)
    }

    const POLICY: &str = r#"
[defaults]
decision = "allow"
opaque = "ask"

[[rule]]
id = "k8s-delete"
command = "kubectl delete"
unless = ["--dry-run*"]
decision = "ask"

[[rule]]
id = "rm-root"
command = "rm /|/*|~|~/"
flags = ["-r|-R|--recursive"]
decision = "deny"

[[rule]]
id = "prod-apply"
command = "kubectl apply"
when = { env = { KUBECONFIG = "*prod*" } }
decision = "ask"

[[rule]]
id = "stage-apply"
command = "kubectl apply"
when = { env = { KUBECONFIG = "*stage*" } }
decision = "deny"

[[rule]]
id = "pinned"
command = "/opt/bin/tool"
decision = "deny"

[[rule]]
id = "agents-push"
command = "git push"
when = { agent = "claude-*" }
decision = "ask"

[[rule]]
id = "find-delete"
command = "find"
flags = ["-delete"]
decision = "ask"
"#;

    #[test]
    fn table() {
        let cases: &[(&str, Decision)] = &[
            ("kubectl delete ns prod", Decision::Ask),
            ("kubectl -n x delete pod y", Decision::Ask),
            ("kubectl --context prod delete ns x", Decision::Ask),
            (
                "kubectl delete ns x --dry-run=client",
                Decision::Ask.min(Decision::Allow),
            ),
            ("kubectl get ns", Decision::Allow),
            ("rm -rf /", Decision::Deny),
            ("rm -fr /etc", Decision::Deny),
            ("rm -r -f /usr", Decision::Deny),
            ("rm --recursive ~", Decision::Deny),
            ("rm -rf /home/alice", Decision::Deny),
            ("rm -rf //", Decision::Deny),
            ("rm -rf /tmp/../", Decision::Deny),
            ("rm -rf ./build", Decision::Allow),
            ("rm /etc/motd", Decision::Allow),
            ("rm -rf ./build /", Decision::Deny),
            // An unresolved target could be `/`: it matches, but gate does not know it is `/`,
            // so the deny is an ask (issue 12; SPEC §5 said deny).
            ("rm -rf $TARGET", Decision::Ask),
            // ... but it does not stand in for the subcommand after a literal one.
            ("git commit -m \"$(date)\"", Decision::Allow),
            ("rm -rf $TARGET /", Decision::Deny),
            ("kubectl apply -f x.yaml", Decision::Ask),
            ("/opt/bin/tool run", Decision::Deny),
            ("tool run", Decision::Allow),
            ("git push origin main", Decision::Ask),
            ("find . -name '*.o' -delete", Decision::Ask),
            ("find . -name x", Decision::Allow),
            ("ls && rm -rf /", Decision::Deny),
            ("echo 'rm -rf /'", Decision::Allow),
        ];
        for (script, want) in cases {
            let v = decide_script(POLICY, script);
            assert_eq!(v.decision, *want, "{script}: {:?}", v.hits);
        }
    }

    #[test]
    fn options_are_read_as_the_program_reads_them() {
        let policy = r#"
[[rule]]
id = "push"
command = "git push"
flags = ["-f|--force|--force-with-lease*"]
decision = "ask"

[[rule]]
id = "clean"
command = "git clean"
flags = ["-f|--force"]
unless = ["-n", "--dry-run", "-n*", "-[!-]*n*"]
value_options = ["-e", "--exclude"]
decision = "ask"

[[rule]]
id = "co"
command = "git checkout ** **"
value_options = ["-b"]
decision = "ask"

[[rule]]
id = "up"
command = "twine upload"
unless = ["--repository=testpypi", "-r=testpypi"]
decision = "ask"

[[rule]]
id = "ok"
command = "tool"
flags = ["--verbose"]
decision = "allow"
"#;
        let cases: &[(&str, Decision)] = &[
            // GNU abbreviations count for strict rules...
            ("git push --forc", Decision::Ask),
            ("git push --force-w origin main", Decision::Ask),
            ("git push --fo", Decision::Ask),
            ("git push --f", Decision::Allow),
            // ... the last of --x / --no-x wins ...
            ("git push --force --no-force", Decision::Allow),
            ("git push --no-force -f", Decision::Ask),
            // ... and an option's value is not an option.
            ("git clean -fdx -e x", Decision::Ask),
            ("git clean -f -e -n", Decision::Ask),
            ("git clean -fen", Decision::Ask),
            ("git clean -f -- -n", Decision::Ask),
            ("git clean -fdn", Decision::Allow),
            ("git clean --forc --dry-r", Decision::Allow),
            ("git checkout -b feature main", Decision::Allow),
            ("git checkout main file.txt", Decision::Ask),
            ("twine upload --comment testpypi dist/x", Decision::Ask),
            ("twine upload --repository testpypi dist/x", Decision::Allow),
            ("twine upload -r testpypi dist/x", Decision::Allow),
            // Capitals and .exe name the same program.
            ("GIT PUSH -f", Decision::Ask),
            ("git.exe push -f", Decision::Ask),
        ];
        for (script, want) in cases {
            let v = decide_script(policy, script);
            assert_eq!(v.decision, *want, "{script}: {:?}", v.hits);
        }
        // An allow rule is never widened by an abbreviation.
        let allow = "[defaults]\ndecision = \"deny\"\n[[rule]]\nid = \"ok\"\ncommand = \"tool\"\nflags = [\"--verbose\"]\ndecision = \"allow\"\n";
        assert_eq!(
            decide_script(allow, "tool --verbose").decision,
            Decision::Allow
        );
        assert_eq!(decide_script(allow, "tool --verb").decision, Decision::Deny);
    }

    #[test]
    fn strictest_rule_wins_and_deciding_rules_are_named() {
        let v = decide_script(POLICY, "kubectl delete ns x; rm -rf /");
        assert_eq!(v.decision, Decision::Deny);
        let deciding: Vec<_> = v.deciding().map(|h| h.rule.as_str()).collect();
        assert_eq!(deciding, ["rm-root"]);
    }

    #[test]
    fn an_unresolved_argument_cannot_satisfy_unless() {
        let v = decide_script(POLICY, "kubectl delete ns x $FLAGS");
        assert_eq!(v.decision, Decision::Ask);
    }

    #[test]
    fn a_dynamic_argument_never_widens_an_allow_rule() {
        let policy = "[defaults]\ndecision = \"deny\"\n[[rule]]\nid = \"ok\"\ncommand = \"ls /tmp\"\ndecision = \"allow\"\n";
        assert_eq!(decide_script(policy, "ls /tmp").decision, Decision::Allow);
        assert_eq!(decide_script(policy, "ls $DIR").decision, Decision::Deny);
    }

    #[test]
    fn rules_on_wrappers_see_the_wrapper() {
        let policy = "[[rule]]\nid = \"sudo\"\ncommand = \"sudo\"\ndecision = \"ask\"\n";
        assert_eq!(decide_script(policy, "sudo ls").decision, Decision::Ask);
        assert_eq!(decide_script(policy, "ls").decision, Decision::Allow);
    }

    #[test]
    fn regex_rules_match_the_normalised_line() {
        let policy =
            "[[rule]]\nid = \"drop\"\nregex = \"(?i)drop\\\\s+table\"\ndecision = \"deny\"\n";
        assert_eq!(
            decide_script(policy, "psql -c 'DROP   TABLE users'").decision,
            Decision::Deny
        );
        assert_eq!(
            decide_script(policy, "psql -c 'select 1'").decision,
            Decision::Allow
        );
    }

    #[test]
    fn argv_is_matched_without_a_shell() {
        let policy = parse_str("t.toml", POLICY).unwrap();
        let env = |_: &str| None;
        let resolve = |p: &str| Some(format!("/usr/bin/{p}"));
        let facts = facts_with(&env, &resolve);
        let argv: Vec<String> = ["kubectl", "delete", "ns; echo", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let v = Decider::new(&policy).decide(&analyze_argv(&argv, &Wrappers::builtin()), &facts);
        assert_eq!(v.decision, Decision::Ask);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const WORDS: &[&str] = &[
            "kubectl",
            "delete",
            "get",
            "rm",
            "-rf",
            "/",
            "/etc",
            "git",
            "push",
            "--force",
            "ls",
            "-n",
            "x",
            "sudo",
            "$X",
            "~",
            "find",
            "-delete",
            "apply",
            "--dry-run=client",
        ];

        fn word() -> impl Strategy<Value = String> {
            prop::sample::select(WORDS).prop_map(str::to_string)
        }

        fn rule() -> impl Strategy<Value = String> {
            (
                prop::collection::vec(word(), 1..3),
                prop::sample::select(&["allow", "ask", "deny"][..]),
                prop::option::of(word()),
                prop::option::of(word()),
            )
                .prop_map(|(cmd, decision, flag, unless)| {
                    let cmd: Vec<String> = cmd.into_iter().map(|w| w.replace('$', "")).collect();
                    let mut r =
                        format!("command = {:?}\ndecision = \"{decision}\"\n", cmd.join(" "));
                    if let Some(f) = flag.filter(|f| f.starts_with('-')) {
                        r.push_str(&format!("flags = [{f:?}]\n"));
                    }
                    if let Some(u) = unless {
                        r.push_str(&format!("unless = [{:?}]\n", u.replace('$', "")));
                    }
                    r
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            /// Adding a rule never makes a decision that rules made less strict. (Where no rule
            /// matched, the default applies, and a new matching rule replaces it: that is how an
            /// allowlist policy with `decision = "deny"` as its default admits commands.)
            #[test]
            fn adding_a_rule_never_loosens(
                rules in prop::collection::vec(rule(), 0..5),
                extra in rule(),
                cmd in prop::collection::vec(word(), 1..6),
                default in prop::sample::select(&["allow", "ask", "deny"][..]),
            ) {
                let mut base = format!("[defaults]\ndecision = \"{default}\"\n");
                for (i, r) in rules.iter().enumerate() {
                    base.push_str(&format!("[[rule]]\nid = \"r{i}\"\n{r}"));
                }
                let with = format!("{base}[[rule]]\nid = \"extra\"\n{extra}");
                let script = cmd.join(" ");
                let before = decide_script(&base, &script);
                let after = decide_script(&with, &script).decision;
                let default = Decision::parse(default).unwrap();
                let extra_decision = ["allow", "ask", "deny"]
                    .iter()
                    .find(|d| extra.contains(&format!("decision = \"{d}\"")))
                    .and_then(|d| Decision::parse(d))
                    .unwrap();
                if !before.hits.is_empty() || extra_decision >= default {
                    prop_assert!(after >= before.decision, "{script}: {:?} -> {after:?} with {extra}", before.decision);
                }
                // A deny reached through a deny rule is never undone by anything added.
                if before.hits.iter().any(|h| h.decision == Decision::Deny) {
                    prop_assert_eq!(after, Decision::Deny);
                }
            }
        }
    }
}
