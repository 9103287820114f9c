//! `gate rules list` and `gate rules show`: every rule in force, where it comes from, and the
//! pack rules and protections switched off.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::pipeline::prepare;
use crate::policy::{self, Decision, Matcher, Policy, Risk, Rule, packs};
use crate::ui::printable;

/// Where a rule comes from.
enum Source<'a> {
    /// A policy file, at the rule's `[[rule]]` line.
    File(&'a str, usize),
    /// A built-in pack.
    Pack(&'a str),
    /// One of gate's own protections.
    Builtin,
}

impl Source<'_> {
    fn text(&self) -> String {
        match self {
            Source::File(file, line) => format!("{file}:{line}"),
            Source::Pack(name) => format!("pack {name}"),
            Source::Builtin => "built-in protection".into(),
        }
    }

    fn json(&self) -> crate::json::Source {
        use crate::json::Source as S;
        match self {
            Source::File(file, line) => S::File {
                file: file.to_string(),
                line: *line,
            },
            Source::Pack(name) => S::Pack {
                pack: name.to_string(),
            },
            Source::Builtin => S::Builtin {
                builtin: "gate".into(),
            },
        }
    }
}

/// One rule as the list shows it.
struct Entry<'a> {
    id: &'a str,
    decision: Decision,
    risk: Risk,
    source: Source<'a>,
    /// Where it is switched off, when it is.
    disabled_by: Option<String>,
    /// The rule itself (none for a protection, which is code).
    rule: Option<&'a Rule>,
    /// What a protection covers.
    about: Option<&'static str>,
}

impl Entry<'_> {
    fn json(&self) -> crate::json::RulesListEntry {
        crate::json::RulesListEntry {
            id: self.id.to_string(),
            decision: self.decision,
            risk: self.risk,
            source: self.source.json(),
            disabled: self.disabled_by.is_some(),
            disabled_by: self.disabled_by.clone(),
        }
    }
}

fn entry<'a>(policy: &Policy, rule: &'a Rule) -> Entry<'a> {
    let source = match rule.origin.file.strip_prefix("pack:") {
        Some(pack) => Source::Pack(pack),
        None => Source::File(&rule.origin.file, rule.origin.line),
    };
    Entry {
        id: &rule.id,
        decision: rule.decision,
        risk: rule.risk,
        source,
        disabled_by: policy
            .disabled_by(&rule.id)
            .map(|d| format!("{} ([packs] disable)", d.by)),
        rule: Some(rule),
        about: None,
    }
}

/// Every rule: the policy files' in their order, then each pack's (those switched off in
/// their place), then gate's own protections.
fn entries<'a>(policy: &'a Policy, off: &'a [Rule]) -> Vec<Entry<'a>> {
    let pack_position: HashMap<&str, usize> = policy
        .packs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut rules: Vec<(usize, usize, &Rule)> = policy
        .rules
        .iter()
        .chain(off)
        .enumerate()
        .map(|(i, r)| match r.origin.file.strip_prefix("pack:") {
            Some(pack) => (
                1 + pack_position.get(pack).copied().unwrap_or(usize::MAX - 1),
                r.origin.line,
                r,
            ),
            None => (0, i, r),
        })
        .collect();
    rules.sort_by_key(|(group, at, _)| (*group, *at));
    let mut out: Vec<Entry<'a>> = rules
        .into_iter()
        .map(|(_, _, r)| entry(policy, r))
        .collect();
    for (id, decision, about) in crate::protect::SUMMARY {
        out.push(Entry {
            id,
            decision: *decision,
            risk: if *decision == Decision::Deny {
                Risk::Critical
            } else {
                Risk::High
            },
            source: Source::Builtin,
            disabled_by: policy
                .protect_except
                .iter()
                .any(|e| e == id)
                .then(|| format!("{} ([protect] except)", policy::system_policy())),
            rule: None,
            about: Some(about),
        });
    }
    out
}

fn load(policy: Option<PathBuf>) -> Result<(Policy, Vec<Rule>)> {
    let policy = prepare::load_policy_whole(policy)?;
    let off = policy.disabled_rules().map_err(Error::Policy)?;
    Ok((policy, off))
}

pub fn list(as_json: bool, policy: Option<PathBuf>) -> Result<Exit> {
    let (policy, off) = load(policy)?;
    let entries = entries(&policy, &off);
    if as_json {
        for e in &entries {
            crate::json::print(&e.json());
        }
        return Ok(Exit::Success);
    }
    let width = entries.iter().map(|e| e.id.len()).max().unwrap_or(0);
    for e in &entries {
        let disabled = e
            .disabled_by
            .as_deref()
            .map(|by| format!("  disabled by {by}"))
            .unwrap_or_default();
        println!(
            "{:<width$}  {:<5}  {:<8}  {}{disabled}",
            printable(e.id),
            e.decision.as_str(),
            e.risk.as_str(),
            printable(&e.source.text()),
        );
    }
    Ok(Exit::Success)
}

pub fn show(id: &str, as_json: bool, policy: Option<PathBuf>) -> Result<Exit> {
    let (policy, off) = load(policy)?;
    let entries = entries(&policy, &off);
    // A rule of a pack no layer enables is known, just not in force.
    let idle: Vec<Rule>;
    let owned;
    let (entry, in_force) = match entries.iter().find(|e| e.id == id) {
        Some(e) => (e, true),
        None => {
            let Some(pack) = packs::pack_of(id) else {
                let mut known: Vec<&str> = entries.iter().map(|e| e.id).collect();
                for id in packs::rule_ids() {
                    known.push(id);
                }
                let hint = match crate::nearest(id, known) {
                    Some(near) => format!(": did you mean `{near}`?"),
                    None => String::new(),
                };
                return Err(Error::Usage(format!(
                    "no rule `{}` in the policy in force{hint} (`gate rules list` shows every rule)",
                    printable(id)
                )));
            };
            let index: Vec<&packs::RuleEntry> =
                packs::rules(pack).iter().filter(|e| e.id == id).collect();
            idle = policy::load_pack_rules(pack, &index).map_err(Error::Policy)?;
            owned = entry(&policy, &idle[0]);
            (&owned, false)
        }
    };
    let not_in_force = (!in_force).then(|| {
        let pack = packs::pack_of(id).unwrap_or("?");
        format!("not in force: pack {pack} is not enabled (`packs` in the policy)")
    });
    if as_json {
        crate::json::print(&details_json(&policy, entry, not_in_force.as_deref()));
    } else {
        print_details(&policy, entry, not_in_force.as_deref());
    }
    Ok(Exit::Success)
}

fn duration(d: Option<Duration>) -> Option<String> {
    d.map(|d| humantime::format_duration(d).to_string())
}

fn print_details(policy: &Policy, e: &Entry<'_>, not_in_force: Option<&str>) {
    let line = |label: &str, value: &str| println!("  {label:<10} {}", printable(value));
    println!("rule {}", printable(e.id));
    match (&e.source, e.rule) {
        (Source::Pack(name), Some(rule)) => {
            line("source", &format!("pack {name}, line {}", rule.origin.line))
        }
        (source, _) => line("source", &source.text()),
    }
    if let Some(why) = not_in_force {
        line("state", why);
    }
    if let Some(by) = &e.disabled_by {
        line("state", &format!("disabled by {by}"));
    }
    line("decision", e.decision.as_str());
    line("risk", e.risk.as_str());
    if let Some(about) = e.about {
        line("covers", about);
        line(
            "note",
            "a protection is code, not a pattern: see `man gate`, README `gate guards itself`",
        );
        return;
    }
    let Some(rule) = e.rule else { return };
    match &rule.matcher {
        Matcher::Command(c) => line("command", &command_text(c)),
        Matcher::Regex(r) => line("regex", r.as_str()),
        Matcher::Both(c, r) => {
            line("command", &command_text(c));
            line("regex", r.as_str());
        }
    }
    for f in &rule.flags {
        line("flags", f.as_str());
    }
    for u in &rule.unless {
        line("unless", u.as_str());
    }
    if !rule.value_options.is_empty() {
        line("value opts", &rule.value_options.join(", "));
    }
    for (name, value) in &rule.when.env {
        line("when", &format!("env {name} = {}", value.as_str()));
    }
    for (what, value) in [
        ("cwd", &rule.when.cwd),
        ("user", &rule.when.user),
        ("agent", &rule.when.agent),
    ] {
        if let Some(v) = value {
            line("when", &format!("{what} = {}", v.as_str()));
        }
    }
    if let Some(ci) = rule.when.ci {
        line("when", &format!("ci = {ci}"));
    }
    if let Some(m) = &rule.message {
        line("message", m);
    }
    if !rule.approvers.is_empty() {
        line(
            "approvers",
            &format!(
                "{} ({})",
                rule.approvers.join(", "),
                policy.approver_identities(rule).join(", ")
            ),
        );
    }
    if rule.quorum > 1 || !rule.approvers.is_empty() {
        line("quorum", &rule.quorum.to_string());
    }
    if let Some(t) = duration(rule.timeout) {
        line("timeout", &t);
    }
    if let Some(c) = &rule.channels {
        line("channels", &c.join(", "));
    }
    if let Some(r) = duration(rule.reuse) {
        line("reuse", &r);
    }
    for (hit, _) in &rule.tests.hit {
        line("test hit", hit);
    }
    for (miss, _) in &rule.tests.miss {
        line("test miss", miss);
    }
}

fn command_text(c: &policy::CommandPattern) -> String {
    std::iter::once(c.program.as_str())
        .chain(c.words.iter().map(|w| w.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn details_json(
    policy: &Policy,
    e: &Entry<'_>,
    not_in_force: Option<&str>,
) -> crate::json::RulesShow {
    let mut out = crate::json::RulesShow {
        entry: e.json(),
        in_force: not_in_force.is_none(),
        covers: e.about.map(str::to_string),
        command: None,
        regex: None,
        flags: Vec::new(),
        unless: Vec::new(),
        value_options: Vec::new(),
        when: None,
        message: None,
        approvers: Vec::new(),
        approver_identities: Vec::new(),
        quorum: None,
        timeout: None,
        channels: None,
        reuse: None,
        tests: None,
    };
    let Some(rule) = e.rule else { return out };
    let (command, regex) = match &rule.matcher {
        Matcher::Command(c) => (Some(command_text(c)), None),
        Matcher::Regex(r) => (None, Some(r.as_str().to_string())),
        Matcher::Both(c, r) => (Some(command_text(c)), Some(r.as_str().to_string())),
    };
    let strs = |list: &[policy::pattern::Alternatives]| {
        list.iter()
            .map(|a| a.as_str().to_string())
            .collect::<Vec<_>>()
    };
    let w = &rule.when;
    let tests = |cases: &[(String, policy::Origin)]| {
        cases.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>()
    };
    let pattern =
        |a: &Option<policy::pattern::Alternatives>| a.as_ref().map(|a| a.as_str().to_string());
    out.command = command;
    out.regex = regex;
    out.flags = strs(&rule.flags);
    out.unless = strs(&rule.unless);
    out.value_options = rule.value_options.clone();
    out.when = Some(crate::json::RuleWhen {
        env: w
            .env
            .iter()
            .map(|(k, a)| (k.clone(), a.as_str().to_string()))
            .collect(),
        cwd: pattern(&w.cwd),
        user: pattern(&w.user),
        agent: pattern(&w.agent),
        ci: w.ci,
    });
    out.message = rule.message.clone();
    out.approvers = rule.approvers.clone();
    out.approver_identities = policy.approver_identities(rule);
    out.quorum = Some(rule.quorum);
    out.timeout = duration(rule.timeout);
    out.channels = rule.channels.clone();
    out.reuse = duration(rule.reuse);
    out.tests = Some(crate::json::RuleTests {
        hit: tests(&rule.tests.hit),
        miss: tests(&rule.tests.miss),
    });
    out
}
