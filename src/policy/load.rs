//! Loading: TOML text -> validated [`Policy`], collecting every problem with its position.
//!
//! The document is walked by hand over `toml`'s spanned tree rather than deserialised with serde,
//! so that one pass reports every unknown key, bad value and bad pattern at once instead of
//! stopping at the first.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::pattern::Alternatives;
use super::*;

/// One policy source.
#[derive(Debug, Clone)]
pub struct Layer {
    /// What error messages call it: a path, or `pack:NAME` / `(built-in default)`.
    pub name: String,
    pub text: String,
    /// The system policy: the only layer that may narrow gate's own protections.
    pub system: bool,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--policy` / `GATE_POLICY`: replaces the user policy.
    pub override_path: Option<PathBuf>,
    /// Defaults to [`SYSTEM_POLICY`]; tests point it elsewhere.
    pub system_path: Option<PathBuf>,
    /// Defaults to [`user_policy_path`].
    pub user_path: Option<PathBuf>,
}

/// Load the layers gate would use (system, then user or override, else the built-in default).
/// Returns the policy and warnings (e.g. an ignored system policy).
pub fn load(opts: &LoadOptions) -> Result<(Policy, Vec<String>), Problems> {
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    let system = opts
        .system_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(SYSTEM_POLICY));
    match read_system_policy(&system) {
        Ok(Some(layer)) => layers.push(layer),
        Ok(None) => {}
        Err(warning) => warnings.push(warning),
    }
    let user = match &opts.override_path {
        Some(path) => Some(read_layer(path, true)?),
        None => match opts.user_path.clone().or_else(user_policy_path) {
            Some(path) => read_optional(&path)?,
            None => None,
        },
    };
    let has_files = !layers.is_empty() || user.is_some();
    if let Some(user) = user {
        layers.push(user);
    }
    if !has_files {
        layers.push(Layer {
            name: "(built-in default)".into(),
            text: DEFAULT_POLICY.into(),
            system: false,
        });
    }
    build(&layers).map(|p| (p, warnings))
}

/// Load one file as the only layer (`gate rules lint FILE`).
pub fn load_file(path: &Path) -> Result<Policy, Problems> {
    let mut layer = read_layer(path, true)?;
    layer.system = path == Path::new(crate::policy::SYSTEM_POLICY);
    let mut policy = build(&[layer])?;
    policy.load_packs(None)?;
    Ok(policy)
}

/// Parse policy text as the only layer.
/// Parse policy text as the only layer, with every pack it enables loaded.
pub fn parse_str(name: &str, text: &str) -> Result<Policy, Problems> {
    let mut policy = build(&[Layer {
        name: name.into(),
        text: text.into(),
        system: false,
    }])?;
    policy.load_packs(None)?;
    Ok(policy)
}

/// Parse one built-in pack's rules.
pub(crate) fn parse_pack(name: &str) -> Result<Vec<Rule>, Problems> {
    parse_pack_text(name, packs::source(name).unwrap_or_default())
}

/// Parse some of a built-in pack's rules (indexed at build time, in file order). The text
/// handed to the parser keeps every line where it is in the pack (the rules left out become
/// empty lines), so rule origins and any problem point at the pack's real lines.
pub(crate) fn parse_pack_rules(
    name: &str,
    rules: &[&packs::RuleEntry],
) -> Result<Vec<Rule>, Problems> {
    let text = packs::source(name).unwrap_or_default();
    let mut subset =
        String::with_capacity(rules.iter().map(|r| r.end - r.start).sum::<usize>() + 512);
    let mut line = 1;
    for rule in rules {
        for _ in line..rule.line {
            subset.push('\n');
        }
        let table = &text[rule.start..rule.end];
        subset.push_str(table);
        line = rule.line + table.matches('\n').count();
    }
    parse_pack_text(name, &subset)
}

fn parse_pack_text(name: &str, text: &str) -> Result<Vec<Rule>, Problems> {
    let file = format!("pack:{name}");
    let mut problems = Vec::new();
    let mut cx = Cx::new(&file, text, &mut problems);
    let raw = cx.document();
    if problems.is_empty() {
        Ok(raw.rules)
    } else {
        Err(Problems(problems))
    }
}

fn file_problem(path: &Path, message: String) -> Problems {
    Problems(vec![Problem {
        origin: Origin {
            file: path.display().to_string(),
            line: 1,
            column: 1,
        },
        message,
    }])
}

fn read_layer(path: &Path, required: bool) -> Result<Layer, Problems> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Layer {
                name: path.display().to_string(),
                text,
                system: false,
            }),
            Err(_) => Err(file_problem(path, "the policy is not valid UTF-8".into())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && required => Err(file_problem(
            path,
            "policy file not found (check --policy / GATE_POLICY, or run `gate init`)".into(),
        )),
        Err(e) => Err(file_problem(path, format!("cannot read the policy: {e}"))),
    }
}

fn read_optional(path: &Path) -> Result<Option<Layer>, Problems> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => read_layer(path, true).map(Some),
    }
}

/// The system policy counts only when root owns it and nobody else can write it (as sudo does
/// for sudoers); otherwise anyone could loosen it.
fn read_system_policy(path: &Path) -> Result<Option<Layer>, String> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "ignoring the system policy {}: cannot read it: {e}",
                path.display()
            ));
        }
    };
    if meta.uid() != 0 {
        return Err(format!(
            "ignoring the system policy {}: it is not owned by root (chown root {})",
            path.display(),
            path.display()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "ignoring the system policy {}: it is writable by group or others (chmod go-w {})",
            path.display(),
            path.display()
        ));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(Layer {
            name: path.display().to_string(),
            text,
            system: true,
        })),
        Err(e) => Err(format!(
            "ignoring the system policy {}: cannot read it: {e}",
            path.display()
        )),
    }
}

/// What one layer says, before layers are merged.
#[derive(Default)]
struct Raw {
    decision: Option<Decision>,
    opaque: Option<Decision>,
    timeout: Option<Duration>,
    channels: Option<(Vec<String>, Origin)>,
    require_reason: Option<bool>,
    packs: Vec<(String, Origin)>,
    approvers: BTreeMap<String, (Vec<String>, Origin)>,
    identity: BTreeMap<String, String>,
    rules: Vec<Rule>,
    rule_approver_refs: Vec<(String, Origin)>,
    wrappers: Vec<WrapperSpec>,
    slack: Option<SlackConfig>,
    webhook: Option<WebhookConfig>,
    redact: Vec<String>,
    sync: Option<SyncMode>,
    protect_except: Vec<String>,
}

/// Merge layers (highest precedence first) and the packs they enable into one policy.
pub(crate) fn build(layers: &[Layer]) -> Result<Policy, Problems> {
    let mut problems = Vec::new();
    let mut raws = Vec::new();
    for layer in layers {
        let mut cx = Cx::new(&layer.name, &layer.text, &mut problems);
        cx.system = layer.system;
        raws.push(cx.document());
    }
    let mut policy = Policy {
        defaults: Defaults::default(),
        packs: Vec::new(),
        approvers: BTreeMap::new(),
        identity: BTreeMap::new(),
        rules: Vec::new(),
        wrappers: Vec::new(),
        slack: None,
        webhook: None,
        redact: Vec::new(),
        sync: SyncMode::default(),
        sources: layers.iter().map(|l| l.name.clone()).collect(),
        pending_packs: Vec::new(),
        protect_except: Vec::new(),
    };
    // Later layers are lower precedence: fill only what a higher layer left unset.
    let mut channel_origin = None;
    let (mut decision, mut opaque, mut timeout, mut channels, mut reason, mut sync) =
        (None, None, None, None, None, None);
    let mut approver_refs = Vec::new();
    for raw in &mut raws {
        decision = decision.or(raw.decision);
        opaque = opaque.or(raw.opaque);
        timeout = timeout.or(raw.timeout);
        if channels.is_none()
            && let Some((c, o)) = raw.channels.take()
        {
            channels = Some(c);
            channel_origin = Some(o);
        }
        reason = reason.or(raw.require_reason);
        sync = sync.or(raw.sync);
        for (name, origin) in raw.packs.drain(..) {
            if !policy.packs.contains(&name) {
                if name == "all" {
                    for pack in packs::NAMES {
                        if !policy.packs.iter().any(|p| p == pack) {
                            policy.packs.push(pack.to_string());
                        }
                    }
                } else if packs::source(&name).is_some() {
                    policy.packs.push(name);
                } else {
                    problems.push(Problem {
                        origin,
                        message: format!(
                            "unknown pack `{name}` (known: all, {})",
                            packs::NAMES.join(", ")
                        ),
                    });
                }
            }
        }
        for (name, (members, _)) in std::mem::take(&mut raw.approvers) {
            policy.approvers.entry(name).or_insert(members);
        }
        for (k, v) in std::mem::take(&mut raw.identity) {
            policy.identity.entry(k).or_insert(v);
        }
        policy.rules.append(&mut raw.rules);
        approver_refs.append(&mut raw.rule_approver_refs);
        policy.wrappers.append(&mut raw.wrappers);
        if policy.slack.is_none() {
            policy.slack = raw.slack.take();
        }
        if policy.webhook.is_none() {
            policy.webhook = raw.webhook.take();
        }
        policy.redact.append(&mut raw.redact);
        policy.protect_except.append(&mut raw.protect_except);
    }
    let d = &mut policy.defaults;
    d.decision = decision.unwrap_or(d.decision);
    d.opaque = opaque.unwrap_or(d.opaque);
    d.timeout = timeout.unwrap_or(d.timeout);
    d.channels = channels.unwrap_or_else(|| d.channels.clone());
    d.require_reason = reason.unwrap_or(false);
    policy.sync = sync.unwrap_or_default();

    // Packs are not parsed here: `Policy::load_packs` parses the rules a command needs, found
    // in the build-time index. Their rule ids still take part in the duplicate check.
    policy.pending_packs = policy
        .packs
        .iter()
        .map(|p| packs::PendingPack::new(p))
        .collect();

    // Cross-layer checks.
    // Where each id was first seen; a pack id's line is only worked out for a message.
    enum Seen<'p> {
        Layer(Origin),
        Pack(&'p str, usize),
    }
    let origin_of = |seen: &Seen<'_>| match seen {
        Seen::Layer(o) => o.clone(),
        Seen::Pack(name, line) => Origin {
            file: format!("pack:{name}"),
            line: *line,
            column: 1,
        },
    };
    let mut seen: std::collections::HashMap<&str, Seen<'_>> = std::collections::HashMap::new();
    let layer_ids = policy
        .rules
        .iter()
        .map(|r| (r.id.as_str(), Seen::Layer(r.origin.clone())));
    let pack_ids = policy.pending_packs.iter().flat_map(|p| {
        p.rules
            .iter()
            .map(move |r| (r.id, Seen::Pack(p.name, r.line)))
    });
    for (id, here) in layer_ids.chain(pack_ids) {
        if let Some(first) = seen.get(id) {
            problems.push(Problem {
                origin: origin_of(&here),
                message: format!(
                    "duplicate rule id `{id}` (first defined at {})",
                    origin_of(first)
                ),
            });
        } else {
            seen.insert(id, here);
        }
    }
    for (name, origin) in approver_refs {
        if !name.contains(':') && !policy.approvers.contains_key(&name) {
            let known: Vec<_> = policy.approvers.keys().cloned().collect();
            problems.push(Problem {
                origin,
                message: format!(
                    "unknown approver group `{name}` (define it under [approvers]{}; name a person as user:NAME, slack:UXXXX or email:ADDRESS)",
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!(", known: {}", known.join(", "))
                    }
                ),
            });
        }
    }
    let mut check_channels = |list: &[String], origin: &Origin| {
        for ch in list {
            let missing = match ch.as_str() {
                "slack" => policy.slack.is_none(),
                "webhook" => policy.webhook.is_none(),
                _ => false,
            };
            if missing {
                problems.push(Problem {
                    origin: origin.clone(),
                    message: format!("channel `{ch}` is used but [{ch}] is not configured"),
                });
            }
        }
    };
    if let Some(origin) = &channel_origin {
        check_channels(&policy.defaults.channels, origin);
    }
    for rule in &policy.rules {
        if let Some(list) = &rule.channels {
            check_channels(list, &rule.origin);
        }
    }

    if problems.is_empty() {
        Ok(policy)
    } else {
        problems.sort_by(|a, b| {
            (&a.origin.file, a.origin.line, a.origin.column).cmp(&(
                &b.origin.file,
                b.origin.line,
                b.origin.column,
            ))
        });
        problems.dedup();
        Err(Problems(problems))
    }
}

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<Cow<'i, str>>;

struct Cx<'a> {
    file: &'a str,
    /// Parsing the system policy.
    system: bool,
    src: &'a str,
    /// Byte offsets of line starts, for turning spans into line:column.
    lines: Vec<usize>,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Cx<'a> {
    fn new(file: &'a str, src: &'a str, problems: &'a mut Vec<Problem>) -> Self {
        let mut lines = vec![0];
        lines.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Cx {
            file,
            system: false,
            src,
            lines,
            problems,
        }
    }

    fn origin(&self, span: &Range<usize>) -> Origin {
        let offset = span.start.min(self.src.len());
        let line = self.lines.partition_point(|&start| start <= offset);
        let line_start = self.lines[line - 1];
        let column = self.src[line_start..offset].chars().count() + 1;
        Origin {
            file: self.file.to_string(),
            line,
            column,
        }
    }

    fn err(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let origin = self.origin(span);
        self.problems.push(Problem {
            origin,
            message: message.into(),
        });
    }

    fn document(&mut self) -> Raw {
        let mut raw = Raw::default();
        let (root, errors) = DeTable::parse_recoverable(self.src);
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().replace('\n', " ");
            self.err(&span, format!("invalid TOML: {msg}"));
        }
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "defaults" => {
                    if let Some(table) = self.table(key, value) {
                        self.defaults(table, &mut raw);
                    }
                }
                "packs" => raw.packs.extend(self.packs(value)),
                "approvers" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            if let Some(list) = self.str_list(k, v) {
                                let origin = self.origin(&k.span());
                                raw.approvers.insert(
                                    k.get_ref().to_string(),
                                    (list.into_iter().map(|(s, _)| s).collect(), origin),
                                );
                            }
                        }
                    }
                }
                "identity" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            if let Some(s) = self.string(k, v) {
                                raw.identity.insert(k.get_ref().to_string(), s);
                            }
                        }
                    }
                }
                "rule" => {
                    if let Some(items) = self.array(key, value) {
                        for item in items {
                            if let Some(table) = self.table(key, item) {
                                self.rule(table, item.span(), &mut raw);
                            }
                        }
                    }
                }
                "wrapper" => {
                    if let Some(items) = self.array(key, value) {
                        for item in items {
                            if let Some(table) = self.table(key, item) {
                                if let Some(w) = self.wrapper(table, item.span()) {
                                    raw.wrappers.push(w);
                                }
                            }
                        }
                    }
                }
                "slack" => {
                    if let Some(table) = self.table(key, value) {
                        raw.slack = self.slack(table, value.span());
                    }
                }
                "webhook" => {
                    if let Some(table) = self.table(key, value) {
                        raw.webhook = self.webhook(table, value.span());
                    }
                }
                "redact" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            match k.get_ref().as_ref() {
                                "patterns" => {
                                    for (p, span) in self.str_list(k, v).unwrap_or_default() {
                                        match Regex::new(&p) {
                                            Ok(_) => raw.redact.push(p),
                                            Err(e) => self.err(
                                                &span,
                                                format!("bad regex: {}", one_line(&e.to_string())),
                                            ),
                                        }
                                    }
                                }
                                _ => self.unknown(k, &["patterns"]),
                            }
                        }
                    }
                }
                "protect" => {
                    let Some(table) = self.table(key, value) else {
                        continue;
                    };
                    if !self.system {
                        self.err(
                            &key.span(),
                            format!(
                                "only the system policy ({}) may narrow gate's own protections; a user policy cannot leave them out",
                                crate::policy::SYSTEM_POLICY
                            ),
                        );
                        continue;
                    }
                    for (k, v) in table.iter() {
                        match k.get_ref().as_ref() {
                            "except" => {
                                for (id, span) in self.str_list(k, v).unwrap_or_default() {
                                    if crate::protect::RULES.contains(&id.as_str()) {
                                        raw.protect_except.push(id);
                                    } else {
                                        self.err(
                                            &span,
                                            format!(
                                                "unknown protection `{id}` (expected one of: {})",
                                                crate::protect::RULES.join(", ")
                                            ),
                                        );
                                    }
                                }
                            }
                            _ => self.unknown(k, &["except"]),
                        }
                    }
                }
                "ledger" => {
                    if let Some(table) = self.table(key, value) {
                        for (k, v) in table.iter() {
                            match k.get_ref().as_ref() {
                                "sync" => match self.string(k, v).as_deref() {
                                    Some("normal") => raw.sync = Some(SyncMode::Normal),
                                    Some("full") => raw.sync = Some(SyncMode::Full),
                                    Some(other) => self.err(
                                        &v.span(),
                                        format!(
                                            "unknown sync mode `{other}` (expected normal or full)"
                                        ),
                                    ),
                                    None => {}
                                },
                                _ => self.unknown(k, &["sync"]),
                            }
                        }
                    }
                }
                _ => self.unknown(
                    key,
                    &[
                        "defaults",
                        "packs",
                        "approvers",
                        "identity",
                        "rule",
                        "wrapper",
                        "slack",
                        "webhook",
                        "redact",
                        "ledger",
                        "protect",
                    ],
                ),
            }
        }
        raw
    }

    fn unknown(&mut self, key: &Key<'_>, known: &[&str]) {
        self.err(
            &key.span(),
            format!(
                "unknown key `{}` (expected one of: {})",
                key.get_ref(),
                known.join(", ")
            ),
        );
    }

    fn table<'v, 'i>(&mut self, key: &Key<'_>, value: &'v Value<'i>) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a table, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn array<'v, 'i>(&mut self, key: &Key<'_>, value: &'v Value<'i>) -> Option<&'v [Value<'i>]> {
        match value.get_ref() {
            DeValue::Array(a) => Some(a),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be an array, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn string(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a string, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be true or false, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn integer(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(i) => {
                match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        self.err(
                            &value.span(),
                            format!("`{}` is out of range", key.get_ref()),
                        );
                        None
                    }
                }
            }
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be an integer, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    fn str_list(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
    ) -> Option<Vec<(String, Range<usize>)>> {
        match value.get_ref() {
            DeValue::String(s) => Some(vec![(s.to_string(), value.span())]),
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push((s.to_string(), item.span())),
                        other => self.err(
                            &item.span(),
                            format!(
                                "`{}` must hold strings, not {}",
                                key.get_ref(),
                                other.type_str()
                            ),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.err(
                    &value.span(),
                    format!(
                        "`{}` must be a list of strings, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn decision(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Decision> {
        let s = self.string(key, value)?;
        let d = Decision::parse(&s);
        if d.is_none() {
            self.err(
                &value.span(),
                format!("unknown decision `{s}` (expected allow, ask or deny)"),
            );
        }
        d
    }

    fn duration(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Duration> {
        let s = self.string(key, value)?;
        match parse_duration(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    &value.span(),
                    format!(
                        "bad duration `{s}` for `{}`: {e} (e.g. 90s, 15m, 1h)",
                        key.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn channels(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Vec<String>> {
        let list = self.str_list(key, value)?;
        let mut out = Vec::new();
        for (name, span) in list {
            if CHANNELS.contains(&name.as_str()) {
                out.push(name);
            } else {
                self.err(
                    &span,
                    format!(
                        "unknown channel `{name}` (expected one of: {})",
                        CHANNELS.join(", ")
                    ),
                );
            }
        }
        Some(out)
    }

    fn alternatives(&mut self, span: &Range<usize>, source: &str) -> Option<Alternatives> {
        match Alternatives::new(source) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err(span, format!("bad pattern: {e}"));
                None
            }
        }
    }

    fn packs(&mut self, value: &Value<'_>) -> Vec<(String, Origin)> {
        let key = Spanned::new(value.span(), Cow::Borrowed("packs"));
        self.str_list(&key, value)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, span)| (name, self.origin(&span)))
            .collect()
    }

    fn defaults(&mut self, table: &DeTable<'_>, raw: &mut Raw) {
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "decision" => raw.decision = self.decision(k, v),
                "opaque" => raw.opaque = self.decision(k, v),
                "timeout" => raw.timeout = self.duration(k, v),
                "channels" => {
                    let origin = self.origin(&v.span());
                    raw.channels = self.channels(k, v).map(|c| (c, origin));
                }
                "require_reason" => raw.require_reason = self.boolean(k, v),
                "packs" => raw.packs.extend(self.packs(v)),
                _ => self.unknown(
                    k,
                    &[
                        "decision",
                        "opaque",
                        "timeout",
                        "channels",
                        "require_reason",
                        "packs",
                    ],
                ),
            }
        }
    }

    fn rule(&mut self, table: &DeTable<'_>, span: Range<usize>, raw: &mut Raw) {
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

    fn wrapper(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<WrapperSpec> {
        let mut program = None;
        let mut value_options = Vec::new();
        let mut skip_positionals = 0usize;
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "program" => program = self.string(k, v),
                "value_options" => {
                    value_options = self
                        .str_list(k, v)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "skip_positionals" => {
                    if let Some(n) = self.integer(k, v) {
                        if (0..=16).contains(&n) {
                            skip_positionals = n as usize;
                        } else {
                            self.err(&v.span(), "skip_positionals must be between 0 and 16");
                        }
                    }
                }
                _ => self.unknown(k, &["program", "value_options", "skip_positionals"]),
            }
        }
        match program {
            Some(p) if !p.is_empty() && !p.contains('/') => Some(WrapperSpec {
                program: p,
                value_options,
                skip_positionals,
            }),
            Some(p) => {
                self.err(
                    &span,
                    format!("wrapper program `{p}` must be a base name (no `/`)"),
                );
                None
            }
            None => {
                self.err(&span, "wrapper needs `program`");
                None
            }
        }
    }

    fn slack(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<SlackConfig> {
        let mut channel = None;
        let mut cfg = SlackConfig {
            channel: String::new(),
            api_base: "https://slack.com/api".into(),
            token_env: "GATE_SLACK_TOKEN".into(),
            mode: SlackMode::Poll,
            app_token_env: "GATE_SLACK_APP_TOKEN".into(),
            poll_interval: Duration::from_secs(3),
        };
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "channel" => channel = self.string(k, v),
                "api_base" => {
                    if let Some(s) = self.string(k, v) {
                        if s.starts_with("https://") || s.starts_with("http://") {
                            cfg.api_base = s.trim_end_matches('/').to_string();
                        } else {
                            self.err(&v.span(), format!("api_base `{s}` must be an http(s) URL"));
                        }
                    }
                }
                "token_env" => cfg.token_env = self.string(k, v).unwrap_or(cfg.token_env),
                "app_token_env" => {
                    cfg.app_token_env = self.string(k, v).unwrap_or(cfg.app_token_env)
                }
                "mode" => match self.string(k, v).as_deref() {
                    Some("poll") => cfg.mode = SlackMode::Poll,
                    Some("socket") => cfg.mode = SlackMode::Socket,
                    Some(other) => self.err(
                        &v.span(),
                        format!("unknown slack mode `{other}` (expected poll or socket)"),
                    ),
                    None => {}
                },
                "poll_interval" => {
                    cfg.poll_interval = self.duration(k, v).unwrap_or(cfg.poll_interval)
                }
                _ => self.unknown(
                    k,
                    &[
                        "channel",
                        "api_base",
                        "token_env",
                        "mode",
                        "app_token_env",
                        "poll_interval",
                    ],
                ),
            }
        }
        match channel {
            Some(c) if !c.is_empty() => {
                cfg.channel = c;
                Some(cfg)
            }
            _ => {
                self.err(
                    &span,
                    "[slack] needs `channel` (a channel id like C0123456789, or #name)",
                );
                None
            }
        }
    }

    fn webhook(&mut self, table: &DeTable<'_>, span: Range<usize>) -> Option<WebhookConfig> {
        let mut url = None;
        let mut cfg = WebhookConfig {
            url: String::new(),
            secret_env: "GATE_WEBHOOK_SECRET".into(),
            poll_interval: Duration::from_secs(2),
        };
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "url" => {
                    if let Some(s) = self.string(k, v) {
                        if s.starts_with("https://") || s.starts_with("http://") {
                            url = Some(s);
                        } else {
                            self.err(
                                &v.span(),
                                format!("webhook url `{s}` must be an http(s) URL"),
                            );
                        }
                    }
                }
                "secret_env" => cfg.secret_env = self.string(k, v).unwrap_or(cfg.secret_env),
                "poll_interval" => {
                    cfg.poll_interval = self.duration(k, v).unwrap_or(cfg.poll_interval)
                }
                _ => self.unknown(k, &["url", "secret_env", "poll_interval"]),
            }
        }
        match url {
            Some(u) => {
                cfg.url = u;
                Some(cfg)
            }
            None => {
                self.err(&span, "[webhook] needs `url`");
                None
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `90s`, `15m`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn problems(text: &str) -> Vec<String> {
        match parse_str("p.toml", text) {
            Ok(_) => Vec::new(),
            Err(p) => {
                p.0.iter()
                    .map(|p| format!("{}: {}", p.origin, p.message))
                    .collect()
            }
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = "[defaults]\ndecision = \"maybe\"\nbogus = 1\n\n[[rule]]\nid = \"a\"\ncommand = \"rm [x\"\ndecision = \"deny\"\n\n[[rule]]\nid = \"b\"\nregex = \"(\"\ndecision = \"ask\"\napprovers = [\"nobody\"]\n";
        let p = problems(text);
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:2:12: unknown decision `maybe`")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:3:1: unknown key `bogus`")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.starts_with("p.toml:7:11: bad pattern")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.starts_with("p.toml:12:9: bad regex")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("p.toml:14:14: unknown approver group `nobody`")),
            "{p:?}"
        );
    }

    #[test]
    fn system_policy_must_be_root_owned_and_not_writable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, "[defaults]\ndecision = \"deny\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let got = read_system_policy(&path);
        assert!(
            got.is_err(),
            "a world-writable system policy must be ignored"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let got = read_system_policy(&path);
        if nix::unistd::getuid().is_root() {
            assert!(got.unwrap().is_some());
        } else {
            assert!(got.unwrap_err().contains("not owned by root"));
        }
    }

    /// Only the system policy may narrow gate's own protections, and only by known rule ids.
    #[test]
    fn only_the_system_policy_may_narrow_the_protections() {
        let text = "[protect]\nexcept = [\"gate.protect.persistence\"]\n";
        let system = Layer {
            name: "system.toml".into(),
            text: text.into(),
            system: true,
        };
        let p = build(&[system]).unwrap();
        assert_eq!(p.protect_except, ["gate.protect.persistence"]);
        let user = Layer {
            name: "user.toml".into(),
            text: text.into(),
            system: false,
        };
        let err = build(&[user]).unwrap_err().to_string();
        assert!(err.contains("user.toml:1:2"), "{err}");
        assert!(err.contains("only the system policy"), "{err}");
        let unknown = Layer {
            name: "system.toml".into(),
            text: "[protect]\nexcept = [\"gate.protect.everything\"]\n".into(),
            system: true,
        };
        let err = build(&[unknown]).unwrap_err().to_string();
        assert!(
            err.contains("unknown protection `gate.protect.everything`"),
            "{err}"
        );
    }

    #[test]
    fn system_defaults_win_and_rules_add_up() {
        let system = Layer {
            name: "system.toml".into(),
            text: "[defaults]\ndecision = \"ask\"\n[[rule]]\nid = \"s\"\ncommand = \"reboot\"\ndecision = \"deny\"\n".into(),
            system: false,
        };
        let user = Layer {
            name: "user.toml".into(),
            text: "[defaults]\ndecision = \"allow\"\ntimeout = \"5m\"\n[[rule]]\nid = \"u\"\ncommand = \"kubectl delete\"\ndecision = \"ask\"\n".into(),
            system: false,
        };
        let p = build(&[system, user]).unwrap();
        assert_eq!(p.defaults.decision, Decision::Ask);
        assert_eq!(p.defaults.timeout, Duration::from_secs(300));
        assert_eq!(
            p.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["s", "u"]
        );
    }

    #[test]
    fn duplicate_ids_across_layers_are_refused() {
        let a = Layer {
            name: "a.toml".into(),
            text: "[[rule]]\nid = \"x\"\ncommand = \"ls\"\ndecision = \"ask\"\n".into(),
            system: false,
        };
        let b = Layer {
            name: "b.toml".into(),
            text: "[[rule]]\nid = \"x\"\ncommand = \"ls\"\ndecision = \"ask\"\n".into(),
            system: false,
        };
        let err = build(&[a, b]).unwrap_err();
        assert!(
            err.to_string()
                .contains("b.toml:1:1: duplicate rule id `x` (first defined at a.toml:1:1)"),
            "{err}"
        );
    }

    #[test]
    fn a_rule_id_taken_from_a_pack_is_refused_without_parsing_the_pack() {
        let text = "[defaults]\npacks = [\"filesystem\"]\n[[rule]]\nid = \"fs.rm-root\"\ncommand = \"rm\"\ndecision = \"ask\"\n";
        let err = build(&[Layer {
            name: "u.toml".into(),
            text: text.into(),
            system: false,
        }])
        .unwrap_err()
        .to_string();
        let line = packs::source("filesystem")
            .unwrap()
            .lines()
            .position(|l| l == "id = \"fs.rm-root\"")
            .unwrap();
        // The rule's `[[rule]]` line, the line before its id, as for rules in policy files.
        assert!(
            err.contains("duplicate rule id `fs.rm-root` (first defined at u.toml:3:1)"),
            "{err}"
        );
        assert!(
            err.starts_with(&format!("pack:filesystem:{line}:1:")),
            "{err}"
        );
    }

    #[test]
    fn the_default_policy_parses() {
        let p = parse_str("default", DEFAULT_POLICY).unwrap();
        assert_eq!(p.packs.len(), packs::NAMES.len());
    }
}
