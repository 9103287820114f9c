//! The policy's shapes: `gate rules lint --json`, `gate rules list --json`, `gate rules show
//! --json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Problem, Shape};
use crate::policy::{Decision, Risk};

/// A policy checked (`gate rules lint --json`; exit status 78 when `ok` is false). A policy
/// that does not load has its `problems` and nothing else: `files` and `packs` empty,
/// `policy_digest`, `rules` and `tests` null.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RulesLint {
    /// It loads, and every inline test passed.
    pub ok: bool,
    /// Every file read: the policy layers, highest precedence first, then `pack:NAME` for each
    /// built-in pack.
    pub files: Vec<String>,
    /// The SHA-256 of the policy (what each request records).
    pub policy_digest: Option<String>,
    /// How many rules are in force.
    pub rules: Option<usize>,
    /// The packs enabled.
    pub packs: Vec<String>,
    /// What each `[packs] disable` entry does.
    pub disabled: Vec<Disabled>,
    /// The built-in protections the system policy turns off (`[protect] except`).
    pub protect_except: Vec<String>,
    /// Why the policy does not load (file:line:column each).
    pub problems: Vec<Problem>,
    /// The inline tests (`tests.hit`, `tests.miss`); null when the policy does not load.
    pub tests: Option<LintTests>,
}

impl Shape for RulesLint {
    const SCHEMA: &'static str = "gate.rules.lint/1";
}

/// A place in a policy file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// One `[packs] disable` entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Disabled {
    /// The pack rule's id.
    pub id: String,
    pub pack: String,
    /// Where the entry is.
    pub by: Position,
    pub state: DisabledState,
    /// For `kept`: the layer that enables the pack and keeps the rule on; null otherwise.
    pub kept_by: Option<String>,
}

/// What a `[packs] disable` entry does.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DisabledState {
    /// The rule is off.
    Off,
    /// The rule stays on: another layer enables its pack and keeps it.
    Kept,
    /// No layer enables the rule's pack: there was nothing to switch off.
    PackOff,
}

/// The inline tests run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LintTests {
    pub passed: usize,
    pub failed: Vec<FailedTest>,
}

/// An inline test that does not behave as written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FailedTest {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The rule's id.
    pub rule: String,
    pub message: String,
}

/// One rule in force, or switched off (`gate rules list --json`, one a line).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RulesListEntry {
    /// The rule's id.
    pub id: String,
    pub decision: Decision,
    pub risk: Risk,
    pub source: Source,
    /// Switched off (`[packs] disable`, or a protection in `[protect] except`).
    pub disabled: bool,
    /// Where it is switched off; null when it is not.
    pub disabled_by: Option<String>,
}

impl Shape for RulesListEntry {
    const SCHEMA: &'static str = "gate.rules.list/1";
}

/// Where a rule comes from: a policy file (at its `[[rule]]` line), a built-in pack, or gate
/// itself (a protection).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Source {
    File { file: String, line: usize },
    Pack { pack: String },
    Builtin { builtin: String },
}

/// One rule in full (`gate rules show ID --json`): the list's fields, then the rule's own. A
/// protection (`source.builtin`) is code, not patterns: its rule fields are null or empty and
/// `covers` says what it guards.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RulesShow {
    #[serde(flatten)]
    pub entry: RulesListEntry,
    /// False for a rule of a pack no layer enables.
    pub in_force: bool,
    /// What a protection covers; null for a rule.
    pub covers: Option<String>,
    /// The `command` pattern; null when the rule has only a `regex`.
    pub command: Option<String>,
    /// The `regex`; null when the rule has none.
    pub regex: Option<String>,
    pub flags: Vec<String>,
    pub unless: Vec<String>,
    pub value_options: Vec<String>,
    /// The rule's `when`; null for a protection.
    pub when: Option<RuleWhen>,
    pub message: Option<String>,
    /// The groups or identities named as approvers.
    pub approvers: Vec<String>,
    /// Those, resolved to identities.
    pub approver_identities: Vec<String>,
    /// Distinct approvers needed; null for a protection.
    pub quorum: Option<u32>,
    /// How long an approval request waits (`30m`); null: the policy's default.
    pub timeout: Option<String>,
    /// The channels it asks on; null: the policy's default.
    pub channels: Option<Vec<String>>,
    /// How long an approval also covers the identical command; null: not at all.
    pub reuse: Option<String>,
    /// The inline tests; null for a protection.
    pub tests: Option<RuleTests>,
}

impl Shape for RulesShow {
    const SCHEMA: &'static str = "gate.rules.show/1";
}

/// A rule's `when`: every condition given must hold; null where none is given.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleWhen {
    /// Variable name to pattern.
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    pub user: Option<String>,
    pub agent: Option<String>,
    pub ci: Option<bool>,
}

/// A rule's inline tests: shell command lines it must match (`hit`) or not (`miss`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleTests {
    pub hit: Vec<String>,
    pub miss: Vec<String>,
}
