//! Loading: the layers gate reads (system, then user or `--policy`, else the built-in default),
//! each walked into what it says (`walk`, `rules`), and merged into one validated [`Policy`] with
//! every problem and its position.
//!
//! - `trust`: the system policy counts only when root owns it and nobody else can write it or
//!   its directory (checked on the descriptors it is then read from);
//! - `walk`: the TOML walker (types, unknown keys, `[defaults]`, `[[wrapper]]`, channels, …);
//! - `rules`: `[[rule]]` tables.

mod rules;
mod trust;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use trust::read_system_policy;
use walk::Cx;

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
    policy.load_every_pack()?;
    Ok(policy)
}

/// Parse policy text as the only layer, with every pack it enables loaded.
pub fn parse_str(name: &str, text: &str) -> Result<Policy, Problems> {
    let mut policy = build(&[Layer {
        name: name.into(),
        text: text.into(),
        system: false,
    }])?;
    policy.load_every_pack()?;
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

/// What one layer says, before layers are merged.
#[derive(Default)]
struct Raw {
    decision: Option<Decision>,
    opaque: Option<Decision>,
    timeout: Option<Duration>,
    channels: Option<(Vec<String>, Origin)>,
    require_reason: Option<bool>,
    packs: Vec<(String, Origin)>,
    /// Whether the layer says which packs it wants (`packs = []` included).
    packs_given: bool,
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
    // A policy that names no packs anywhere gets every pack, as the built-in default does:
    // a user policy written for Slack must not switch gate's protections off (`packs = []`
    // does, on purpose).
    if !raws.iter().any(|r| r.packs_given) {
        policy.packs = packs::NAMES.iter().map(|p| p.to_string()).collect();
    }
    let d = &mut policy.defaults;
    d.decision = decision.unwrap_or(d.decision);
    d.opaque = opaque.unwrap_or(d.opaque);
    d.timeout = timeout.unwrap_or(d.timeout);
    d.channels = channels.unwrap_or_else(|| d.channels.clone());
    d.require_reason = reason.unwrap_or(false);
    policy.sync = sync.unwrap_or_default();

    // Packs are not parsed here: `Policy::pack_rules` parses the rules a command needs, found
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
