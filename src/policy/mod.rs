//! The policy: its model, loading and layering (SPEC §3, §4), validation with positions.

pub mod lazy_regex;
mod load;
pub mod packs;
pub mod pattern;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::analyze::WrapperSpec;
pub use load::{
    Layer, LoadOptions, load, load_file, load_fleet_text, parse_duration, parse_str, signed,
};
use pattern::Alternatives;

/// The built-in default policy, used when no policy file exists anywhere; `gate init` writes it out.
pub const DEFAULT_POLICY: &str = include_str!("default.toml");
/// Where the system policy lives (SPEC §3).
pub const SYSTEM_POLICY: &str = "/etc/gate/policy.toml";

/// The system policy's path: [`SYSTEM_POLICY`], or the protected install's (its `conf_dir`).
pub fn system_policy() -> String {
    match crate::protected::get() {
        Some(i) => i.system_policy().display().to_string(),
        None => SYSTEM_POLICY.to_string(),
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Ask,
    Deny,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(Decision::Allow),
            "ask" => Some(Decision::Ask),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Risk::Low),
            "medium" => Some(Risk::Medium),
            "high" => Some(Risk::High),
            "critical" => Some(Risk::Critical),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// The approval channels gate knows.
pub const CHANNELS: &[&str] = &["terminal", "local", "slack", "webhook"];

#[derive(Debug, Clone)]
pub struct Defaults {
    pub decision: Decision,
    pub opaque: Decision,
    pub timeout: Duration,
    pub channels: Vec<String>,
    pub require_reason: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            decision: Decision::Allow,
            opaque: Decision::Ask,
            timeout: Duration::from_secs(600),
            channels: vec!["terminal".into()],
            require_reason: false,
        }
    }
}

/// Where a rule or a problem comes from: a file (or a built-in pack) and a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in a policy, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    pub message: String,
}

/// Every problem found in the policy layers; never empty when returned as an error.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", p.origin, p.message)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub enum Matcher {
    Command(CommandPattern),
    Regex(lazy_regex::LazyRegex),
    /// `command` and `regex` together: both must match.
    Both(CommandPattern, lazy_regex::LazyRegex),
}

/// `command = "kubectl delete"`: the program, then words that must match non-option
/// arguments in order.
#[derive(Debug, Clone)]
pub struct CommandPattern {
    pub program: Alternatives,
    pub words: Vec<Alternatives>,
}

#[derive(Debug, Clone, Default)]
pub struct When {
    pub env: Vec<(String, Alternatives)>,
    pub cwd: Option<Alternatives>,
    pub user: Option<Alternatives>,
    pub agent: Option<Alternatives>,
    pub ci: Option<bool>,
}

impl When {
    pub fn is_empty(&self) -> bool {
        self.env.is_empty()
            && self.cwd.is_none()
            && self.user.is_none()
            && self.agent.is_none()
            && self.ci.is_none()
    }
}

#[derive(Debug, Clone, Default)]
pub struct RuleTests {
    pub hit: Vec<(String, Origin)>,
    pub miss: Vec<(String, Origin)>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub origin: Origin,
    pub matcher: Matcher,
    pub flags: Vec<Alternatives>,
    pub unless: Vec<Alternatives>,
    /// Options of the program that take a value (`-e PATTERN`, `--exclude PATTERN`): their
    /// values are not options, and a short bundle ends at one (`-fdxe x`).
    pub value_options: Vec<String>,
    pub when: When,
    pub decision: Decision,
    pub message: Option<String>,
    pub risk: Risk,
    pub approvers: Vec<String>,
    pub quorum: u32,
    pub timeout: Option<Duration>,
    pub channels: Option<Vec<String>>,
    pub reuse: Option<Duration>,
    pub tests: RuleTests,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackMode {
    Poll,
    Socket,
}

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub channel: String,
    pub api_base: String,
    pub token_env: String,
    pub mode: SlackMode,
    pub app_token_env: String,
    pub poll_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub secret_env: String,
    pub poll_interval: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    #[default]
    Normal,
    Full,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub defaults: Defaults,
    pub packs: Vec<String>,
    pub approvers: BTreeMap<String, Vec<String>>,
    pub identity: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    /// `[[wrapper]]` tables, added to the analyser's built-in wrapper table.
    pub wrappers: Vec<WrapperSpec>,
    pub slack: Option<SlackConfig>,
    pub webhook: Option<WebhookConfig>,
    pub redact: Vec<String>,
    pub sync: SyncMode,
    /// The files that made this policy, highest precedence first; `(built-in default)` when none.
    pub sources: Vec<String>,
    /// Rules of enabled packs that are not parsed yet (see [`Policy::pack_rules`]).
    pub pending_packs: Vec<packs::PendingPack>,
    /// Built-in protection rules the system policy turned off (`[protect] except`).
    pub protect_except: Vec<String>,
    /// `[fleet] url` of the system policy: the shared ledger's PostgreSQL URI (no secret in it).
    pub fleet: Option<String>,
    /// `[fleet] policy_key` of the system policy: the Ed25519 key fleet policies must be signed
    /// with (`ed25519:BASE64`).
    pub fleet_key: Option<String>,
    /// The version of the signed fleet policy in force (the top layer); `None` without one.
    /// Recorded with every request.
    pub policy_version: Option<i64>,
    /// Every `[packs] disable` entry of every layer, and whether it switched its rule off.
    pub disables: Vec<Disable>,
    /// The SHA-256 (hex) of each layer's bytes as loaded, in the order of `sources`.
    pub layer_digests: Vec<String>,
    /// The policy in force, as one SHA-256 (hex): of the layers' digests, each followed by a
    /// newline, highest precedence first (what `sha256sum FILES | cut -d' ' -f1 | sha256sum`
    /// gives). Recorded with every request.
    pub digest: String,
}

/// One `[packs] disable` entry: a pack rule a layer switches off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disable {
    pub id: String,
    pub pack: &'static str,
    /// The entry: its layer and position.
    pub by: Origin,
    pub state: DisableState,
}

/// What a `[packs] disable` entry does. Pack rules add up over the layers as every other rule
/// does: a rule is on when any layer that enables its pack keeps it, so a layer can switch off
/// only what it alone enables (a user policy cannot switch off a rule of a pack the system
/// policy enables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisableState {
    /// The rule is off.
    Off,
    /// The rule stays on: this layer (the first that does) enables its pack and keeps it.
    KeptBy(String),
    /// No layer enables the rule's pack: there was nothing to switch off.
    PackOff,
}

impl Policy {
    /// Parse every rule of the enabled packs into the policy: part of loading it whole (`gate
    /// rules`, `gate rules lint FILE`, [`parse_str`]). A request does not: it takes the rules
    /// its commands need with [`Policy::pack_rules`], and the policy stays as loaded.
    pub(crate) fn load_every_pack(&mut self) -> Result<(), Problems> {
        let mut problems = Vec::new();
        for pack in std::mem::take(&mut self.pending_packs) {
            let parsed = if pack.is_whole() {
                load::parse_pack(pack.name)
            } else {
                load::parse_pack_rules(pack.name, &pack.rules)
            };
            match parsed {
                Ok(mut rules) => self.rules.append(&mut rules),
                Err(p) => problems.extend(p.0),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems(problems))
        }
    }

    /// The rules of enabled packs not parsed yet that speak about any of `commands`, parsed for
    /// this invocation: the policy is left as loaded, and a decision takes them with
    /// [`crate::decide::Decider::with_rules`]. Parsing every pack costs more than the rest of
    /// a run, so a command only pays for the packs that speak about its programs.
    pub fn pack_rules(&self, commands: &[packs::Invocation<'_>]) -> Result<Vec<Rule>, Problems> {
        let mut problems = Vec::new();
        let mut out = Vec::new();
        for pack in &self.pending_packs {
            let needed: Vec<_> = pack
                .rules
                .iter()
                .filter(|r| r.concerns(commands))
                .cloned()
                .collect();
            let parsed = if needed.is_empty() {
                Ok(Vec::new())
            } else if pack.is_whole() && needed.len() == pack.rules.len() {
                load::parse_pack(pack.name)
            } else {
                load::parse_pack_rules(pack.name, &needed)
            };
            match parsed {
                Ok(mut rules) => out.append(&mut rules),
                Err(p) => problems.extend(p.0),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The pack rules switched off (`[packs] disable` entries in effect), each once.
    pub fn disabled(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for d in &self.disables {
            if d.state == DisableState::Off && !out.contains(&d.id.as_str()) {
                out.push(&d.id);
            }
        }
        out
    }

    /// The `[packs] disable` entry that switched `id` off, if one did.
    pub fn disabled_by(&self, id: &str) -> Option<&Disable> {
        self.disables
            .iter()
            .find(|d| d.id == id && d.state == DisableState::Off)
    }

    /// The pack rules switched off, parsed (for `gate rules list` and `show`: they are not in
    /// [`Policy::rules`]).
    pub fn disabled_rules(&self) -> Result<Vec<Rule>, Problems> {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for name in packs::NAMES {
            let entries: Vec<&packs::RuleEntry> = packs::rules(name)
                .iter()
                .filter(|e| self.disabled_by(e.id).is_some())
                .collect();
            if entries.is_empty() {
                continue;
            }
            match load::parse_pack_rules(name, &entries) {
                Ok(mut rules) => out.append(&mut rules),
                Err(p) => problems.extend(p.0),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Problems(problems))
        }
    }

    /// Expand a rule's `approvers` (group names and identities) into identities.
    pub fn approver_identities(&self, rule: &Rule) -> Vec<String> {
        let mut out = Vec::new();
        for name in &rule.approvers {
            match self.approvers.get(name) {
                Some(members) => out.extend(members.iter().cloned()),
                None => out.push(name.clone()),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Some rules of a built-in pack (by their index entries), parsed.
pub fn load_pack_rules(name: &str, rules: &[&packs::RuleEntry]) -> Result<Vec<Rule>, Problems> {
    load::parse_pack_rules(name, rules)
}

/// The user policy path: `$XDG_CONFIG_HOME/gate/policy.toml`.
pub fn user_policy_path() -> Option<PathBuf> {
    crate::env_vars::config_dir().map(|d| d.join("gate").join("policy.toml"))
}
