//! Loading: the layers gate reads (system, then user or `--policy`, else the built-in default),
//! each walked into what it says (`walk`, `rules`), and merged into one validated [`Policy`] with
//! every problem and its position.
//!
//! - `trust`: the system policy counts only when root owns it and nobody else can write it or
//!   its directory (checked on the descriptors it is then read from);
//! - `walk`: the TOML walker (types, unknown keys, `[defaults]`, `[[wrapper]]`, channels, …);
//! - `rules`: `[[rule]]` tables.

mod rules;
pub mod signed;
mod trust;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

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
    /// A fleet policy's version: the signed system layer a host fetched (`gate policy fetch`),
    /// which may not say which fleet or key the host uses.
    pub fleet_version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--policy` / `GATE_POLICY`: replaces the user policy.
    pub override_path: Option<PathBuf>,
    /// Defaults to [`crate::policy::system_policy`]; tests point it elsewhere.
    pub system_path: Option<PathBuf>,
    /// Defaults to [`user_policy_path`].
    pub user_path: Option<PathBuf>,
    /// Leave out the fleet policy a host cached (`gate policy fetch` reads the system policy
    /// for its key and URI: a bad cache must not stop the command that replaces it).
    pub without_fleet_policy: bool,
    /// Where the fleet policy is cached; defaults to [`signed::cache_path`]; tests point it
    /// elsewhere.
    pub fleet_cache: Option<PathBuf>,
}

/// Load the layers gate would use (system, then user or override, else the built-in default).
/// Returns the policy and warnings (e.g. an ignored system policy).
pub fn load(opts: &LoadOptions) -> Result<(Policy, Vec<String>), Problems> {
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    let system = opts
        .system_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::policy::system_policy()));
    match read_system_policy(&system) {
        Ok(Some(layer)) => {
            if !opts.without_fleet_policy
                && let Some(key) = signed::pinned_key(&layer.text)
            {
                match fleet_layer(&key, opts.fleet_cache.clone())? {
                    Some(fleet) => layers.push(fleet),
                    None => warnings.push(format!(
                        "{} pins a fleet policy key but no fleet policy was fetched yet: run `gate policy fetch`",
                        layer.name
                    )),
                }
            }
            layers.push(layer)
        }
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
            fleet_version: None,
        });
    }
    build(&layers).map(|p| (p, warnings))
}

/// The fleet policy the host cached, verified against the pinned `key` on every load: the
/// highest layer, above the host's own system policy. A cache that does not verify stops
/// everything (exit 78), saying what is wrong and how to fix it; none yet is `None`.
fn fleet_layer(key: &str, cache: Option<PathBuf>) -> Result<Option<Layer>, Problems> {
    // A malformed key is reported by the walker, at its position in the system policy.
    let Ok(key) = signed::PublicKey::parse(key) else {
        return Ok(None);
    };
    let Some(path) = cache.or_else(signed::cache_path) else {
        return Ok(None);
    };
    match signed::read_cache(&path, &key) {
        Ok(Some(s)) => Ok(Some(Layer {
            name: format!("fleet policy v{}", s.version),
            text: s.body,
            system: true,
            fleet_version: Some(s.version),
        })),
        Ok(None) => Ok(None),
        Err(why) => Err(file_problem(
            &path,
            format!(
                "the cached fleet policy cannot be trusted: {why}; nothing runs until it is replaced: run `gate policy fetch` (it fetches the newest signed version)"
            ),
        )),
    }
}

/// Load one file as the only layer (`gate rules lint FILE`).
pub fn load_file(path: &Path) -> Result<Policy, Problems> {
    let mut layer = read_layer(path, true)?;
    layer.system = path == Path::new(&crate::policy::system_policy());
    let mut policy = build(&[layer])?;
    policy.load_every_pack()?;
    Ok(policy)
}

/// A fleet policy's text as the only layer, loaded as a host loads it (the signed system
/// layer: `[fleet]` refused), with every pack it enables: `gate policy push` lints with it and
/// `gate policy fetch` checks with it that what it caches will load.
pub fn load_fleet_text(name: &str, version: i64, text: &str) -> Result<Policy, Problems> {
    let mut policy = build(&[Layer {
        name: name.into(),
        text: text.into(),
        system: true,
        fleet_version: Some(version),
    }])?;
    policy.load_every_pack()?;
    Ok(policy)
}

/// Parse policy text as the only layer, with every pack it enables loaded.
pub fn parse_str(name: &str, text: &str) -> Result<Policy, Problems> {
    let mut policy = build(&[Layer {
        name: name.into(),
        text: text.into(),
        system: false,
        fleet_version: None,
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
                fleet_version: None,
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
    /// `[packs] disable`: pack rule ids.
    disable: Vec<(String, Origin)>,
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
    fleet: Option<String>,
    fleet_key: Option<String>,
}

/// Merge layers (highest precedence first) and the packs they enable into one policy.
pub(crate) fn build(layers: &[Layer]) -> Result<Policy, Problems> {
    let mut problems = Vec::new();
    let mut raws = Vec::new();
    for layer in layers {
        let mut cx = Cx::new(&layer.name, &layer.text, &mut problems);
        cx.system = layer.system;
        cx.fleet_layer = layer.fleet_version.is_some();
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
        fleet: None,
        fleet_key: None,
        policy_version: layers.iter().find_map(|l| l.fleet_version),
        disables: Vec::new(),
        layer_digests: Vec::new(),
        digest: String::new(),
    };
    // The bytes are in memory already: hashing them here costs microseconds, and what is
    // recorded is exactly what was decided with.
    policy.layer_digests = layers
        .iter()
        .map(|l| hex::encode(Sha256::digest(l.text.as_bytes())))
        .collect();
    let mut all = Sha256::new();
    for d in &policy.layer_digests {
        all.update(d.as_bytes());
        all.update(b"\n");
    }
    policy.digest = hex::encode(all.finalize());
    // The packs each layer enables, for `[packs] disable` (see `DisableState`).
    let mut layer_packs: Vec<Vec<&'static str>> = Vec::new();
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
        let mut enabled: Vec<&'static str> = Vec::new();
        for (name, origin) in raw.packs.drain(..) {
            if name == "all" {
                enabled.extend(packs::NAMES);
            } else if let Some(known) = packs::NAMES.iter().find(|n| **n == name) {
                enabled.push(known);
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
        for pack in &enabled {
            if !policy.packs.iter().any(|p| p == pack) {
                policy.packs.push(pack.to_string());
            }
        }
        layer_packs.push(enabled);
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
        if policy.fleet.is_none() {
            policy.fleet = raw.fleet.take();
        }
        if policy.fleet_key.is_none() {
            policy.fleet_key = raw.fleet_key.take();
        }
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

    policy.disables = disables(&raws, &layer_packs, layers, &policy.rules, &mut problems);
    let disabled = policy.disabled();

    // Packs are not parsed here: `Policy::pack_rules` parses the rules a command needs, found
    // in the build-time index. Their rule ids (those switched off too) still take part in the
    // duplicate check.
    policy.pending_packs = policy
        .packs
        .iter()
        .map(|p| packs::PendingPack::new(p, &disabled))
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
        packs::rules(p.name)
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

/// Every layer's `[packs] disable` entries, each with what it does: a rule is off only when
/// every layer that enables its pack switches it off (rules add up over the layers, so a user
/// policy cannot switch off what the system policy enables). An id that is no pack rule is a
/// problem, with the nearest one when there is one.
fn disables(
    raws: &[Raw],
    layer_packs: &[Vec<&'static str>],
    layers: &[Layer],
    rules: &[Rule],
    problems: &mut Vec<Problem>,
) -> Vec<Disable> {
    let says_off =
        |layer: usize, id: &str| raws[layer].disable.iter().any(|(other, _)| other == id);
    let mut out = Vec::new();
    for raw in raws {
        for (id, origin) in &raw.disable {
            let Some(pack) = packs::pack_of(id) else {
                problems.push(Problem {
                    origin: origin.clone(),
                    message: not_a_pack_rule(id, rules),
                });
                continue;
            };
            let enabling: Vec<usize> = (0..raws.len())
                .filter(|&j| layer_packs.get(j).is_some_and(|p| p.contains(&pack)))
                .collect();
            let state = if enabling.is_empty() {
                DisableState::PackOff
            } else if let Some(&keeper) = enabling.iter().find(|&&j| !says_off(j, id)) {
                DisableState::KeptBy(layers[keeper].name.clone())
            } else {
                DisableState::Off
            };
            out.push(Disable {
                id: id.clone(),
                pack,
                by: origin.clone(),
                state,
            });
        }
    }
    out
}

fn not_a_pack_rule(id: &str, rules: &[Rule]) -> String {
    if crate::protect::RULES.contains(&id) {
        return format!(
            "`{id}` is one of gate's own protections, not a pack rule: only the system policy may narrow those, with [protect] except"
        );
    }
    if let Some(rule) = rules.iter().find(|r| r.id == id) {
        return format!(
            "`{id}` is a rule of {}, not a pack rule: change or remove that rule instead of disabling it",
            rule.origin
        );
    }
    let hint = match crate::nearest(id, packs::rule_ids()) {
        Some(near) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    format!(
        "unknown pack rule `{id}` in [packs] disable ({hint}`gate rules list` shows every rule id)"
    )
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
            fleet_version: None,
        };
        let p = build(&[system]).unwrap();
        assert_eq!(p.protect_except, ["gate.protect.persistence"]);
        let user = Layer {
            name: "user.toml".into(),
            text: text.into(),
            system: false,
            fleet_version: None,
        };
        let err = build(&[user]).unwrap_err().to_string();
        assert!(err.contains("user.toml:1:2"), "{err}");
        assert!(err.contains("only the system policy"), "{err}");
        let unknown = Layer {
            name: "system.toml".into(),
            text: "[protect]\nexcept = [\"gate.protect.everything\"]\n".into(),
            system: true,
            fleet_version: None,
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
            fleet_version: None,
        };
        let user = Layer {
            name: "user.toml".into(),
            text: "[defaults]\ndecision = \"allow\"\ntimeout = \"5m\"\n[[rule]]\nid = \"u\"\ncommand = \"kubectl delete\"\ndecision = \"ask\"\n".into(),
            system: false,
            fleet_version: None,
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
            fleet_version: None,
        };
        let b = Layer {
            name: "b.toml".into(),
            text: "[[rule]]\nid = \"x\"\ncommand = \"ls\"\ndecision = \"ask\"\n".into(),
            system: false,
            fleet_version: None,
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
            fleet_version: None,
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

    fn layer(name: &str, text: &str, system: bool) -> Layer {
        Layer {
            name: name.into(),
            text: text.into(),
            system,
            fleet_version: None,
        }
    }

    /// The rules a `git push --force` would be decided with.
    fn force_push_rules(p: &Policy) -> Vec<String> {
        let wrappers = crate::analyze::Wrappers::builtin();
        let analysis = crate::analyze::analyze_script("git push --force origin main", &wrappers);
        let invocations = crate::pipeline::prepare::invocations(&analysis);
        p.pack_rules(&invocations)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    const SYSTEM_PACKS: &[&str] = &[
        "packs = [\"all\"]\n",
        "packs = [\"git\"]\n",
        "[defaults]\npacks = [\"git\"]\n",
        "[packs]\nenable = [\"git\"]\n",
        "[packs]\ndisable = [\"git.reset-hard\"]\n",
    ];

    /// An agent that can write the user policy tries every spelling of "switch git.force-push
    /// off": while the system policy enables the git pack, the rule stays on, and the
    /// user's entry says who keeps it on.
    #[test]
    fn a_user_policy_cannot_switch_off_a_rule_the_system_policy_enables() {
        let attacks = [
            "[packs]\ndisable = [\"git.force-push\"]\n",
            "packs = { disable = [\"git.force-push\"] }\n",
            "[defaults]\npacks = { enable = [\"git\"], disable = [\"git.force-push\"] }\n",
            "[packs]\nenable = []\ndisable = [\"git.force-push\"]\n",
            "[packs]\nenable = [\"all\"]\ndisable = \"git.force-push\"\n",
            "packs = []\n[defaults]\npacks = { disable = [\"git.force-push\"] }\n",
        ];
        for system in SYSTEM_PACKS {
            for attack in attacks {
                let p = build(&[
                    layer("/etc/gate/policy.toml", system, true),
                    layer("user.toml", attack, false),
                ])
                .unwrap_or_else(|e| panic!("{system:?} + {attack:?}: {e}"));
                let why = format!("system {system:?}, user {attack:?}");
                assert!(
                    force_push_rules(&p).iter().any(|r| r == "git.force-push"),
                    "{why}: git.force-push was switched off"
                );
                assert!(
                    !p.disabled().contains(&"git.force-push"),
                    "{why}: {:?}",
                    p.disables
                );
                let entry = p
                    .disables
                    .iter()
                    .find(|d| d.id == "git.force-push")
                    .unwrap();
                assert_eq!(entry.by.file, "user.toml", "{why}");
                assert_eq!(
                    entry.state,
                    DisableState::KeptBy("/etc/gate/policy.toml".into()),
                    "{why}"
                );
                assert!(p.disabled_by("git.force-push").is_none(), "{why}");
            }
        }
    }

    /// The rule table cannot be used to drop a pack rule either: its id stays taken (a user
    /// rule of that id is a duplicate), and a user rule that allows force pushes does not
    /// loosen the pack's ask.
    #[test]
    fn a_user_rule_cannot_take_a_disabled_pack_rules_id() {
        let user = "[packs]\ndisable = [\"git.force-push\"]\n[[rule]]\nid = \"git.force-push\"\ncommand = \"git push\"\ndecision = \"allow\"\n";
        let err = build(&[layer("user.toml", user, false)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("duplicate rule id `git.force-push`"), "{err}");
    }

    #[test]
    fn a_layer_switches_off_what_it_alone_enables() {
        let user = "[packs]\ndisable = [\"git.force-push\"]\n";
        // Alone; beside a system policy that enables no packs; beside one that names none.
        for layers in [
            vec![layer("user.toml", user, false)],
            vec![
                layer("/etc/gate/policy.toml", "packs = []\n", true),
                layer("user.toml", user, false),
            ],
            vec![
                layer(
                    "/etc/gate/policy.toml",
                    "[defaults]\ndecision = \"allow\"\n",
                    true,
                ),
                layer("user.toml", user, false),
            ],
        ] {
            let p = build(&layers).unwrap();
            assert_eq!(p.disabled(), ["git.force-push"]);
            let rules = force_push_rules(&p);
            assert!(!rules.iter().any(|r| r == "git.force-push"), "{rules:?}");
            // Only that rule: the rest of the pack stays on.
            assert!(
                rules.iter().any(|r| r == "git.force-push-refspec"),
                "{rules:?}"
            );
            let d = p.disabled_by("git.force-push").unwrap();
            assert_eq!((d.pack, d.by.line, d.by.column), ("git", 2, 12));
            // Loaded whole, the pack has every rule but that one.
            let mut whole = p.clone();
            whole.load_every_pack().unwrap();
            assert!(whole.rule("git.force-push").is_none());
            assert!(whole.rule("git.reset-hard").is_some());
            let off = p.disabled_rules().unwrap();
            assert_eq!(off.len(), 1);
            assert_eq!(off[0].id, "git.force-push");
        }
        // The system policy switches off what it alone enables too; both may say it.
        let system = "[packs]\ndisable = [\"git.force-push\"]\n";
        let p = build(&[
            layer("/etc/gate/policy.toml", system, true),
            layer("user.toml", user, false),
        ])
        .unwrap();
        assert_eq!(p.disabled(), ["git.force-push"]);
        // What the system policy switches off, a user policy that enables the pack keeps on:
        // rules add up.
        let p = build(&[
            layer("/etc/gate/policy.toml", system, true),
            layer("user.toml", "packs = [\"git\"]\n", false),
        ])
        .unwrap();
        assert!(p.disabled().is_empty());
        assert_eq!(
            p.disables[0].state,
            DisableState::KeptBy("user.toml".into())
        );
        // A rule of a pack nobody enables: nothing to switch off, said so.
        let p = build(&[layer(
            "user.toml",
            "[packs]\nenable = [\"filesystem\"]\ndisable = [\"git.force-push\"]\n",
            false,
        )])
        .unwrap();
        assert_eq!(p.disables[0].state, DisableState::PackOff);
        assert!(p.disabled().is_empty());
    }

    #[test]
    fn an_unknown_rule_id_in_disable_is_a_problem_with_a_suggestion() {
        let err = |text: &str| {
            build(&[layer("user.toml", text, false)])
                .unwrap_err()
                .to_string()
        };
        let e = err("[packs]\ndisable = [\"git.force-pus\"]\n");
        assert!(
            e.contains("user.toml:2:12: unknown pack rule `git.force-pus` in [packs] disable (did you mean `git.force-push`?"),
            "{e}"
        );
        let e = err("[packs]\ndisable = [\"nothing-like-it\"]\n");
        assert!(e.contains("unknown pack rule `nothing-like-it`"), "{e}");
        assert!(!e.contains("did you mean"), "{e}");
        let e = err("[packs]\ndisable = [\"gate.protect.state\"]\n");
        assert!(e.contains("[protect] except"), "{e}");
        let e = err(
            "[packs]\ndisable = [\"mine\"]\n[[rule]]\nid = \"mine\"\ncommand = \"ls\"\ndecision = \"ask\"\n",
        );
        assert!(
            e.contains("user.toml:2:12") && e.contains("a rule of user.toml:3:1"),
            "{e}"
        );
        let e = err("[packs]\nenable = [\"gti\"]\nbogus = 1\n");
        assert!(e.contains("unknown pack `gti`"), "{e}");
        assert!(
            e.contains("unknown key `bogus` (expected one of: enable, disable)"),
            "{e}"
        );
        let e = err("packs = 3\n");
        assert!(
            e.contains("`packs` must be a list of pack names or a table"),
            "{e}"
        );
    }

    /// Through real files, as `gate` loads them: the system policy (when this test can make
    /// one gate trusts: as root) keeps the rule on.
    #[test]
    fn loaded_from_files_the_system_policy_keeps_its_rules() {
        let dir = tempfile::tempdir().unwrap();
        let system = dir.path().join("system.toml");
        let user = dir.path().join("user.toml");
        std::fs::write(&system, "packs = [\"all\"]\n").unwrap();
        std::fs::write(&user, "[packs]\ndisable = [\"git.force-push\"]\n").unwrap();
        let opts = LoadOptions {
            override_path: None,
            system_path: Some(system.clone()),
            user_path: Some(user.clone()),
            ..Default::default()
        };
        let (p, warnings) = load(&opts).unwrap();
        if nix::unistd::getuid().is_root() {
            assert!(warnings.is_empty(), "{warnings:?}");
            assert!(p.disabled().is_empty());
            assert!(force_push_rules(&p).iter().any(|r| r == "git.force-push"));
        } else {
            // Not trusted, so not a layer: the user policy alone, which may switch it off.
            assert!(warnings[0].contains("not owned by root"), "{warnings:?}");
            assert_eq!(p.disabled(), ["git.force-push"]);
        }
        std::fs::remove_file(&system).unwrap();
        let (p, _) = load(&opts).unwrap();
        assert_eq!(p.disabled(), ["git.force-push"]);
    }

    #[test]
    fn the_digest_is_of_the_layers_bytes() {
        let a = layer("a.toml", "packs = []\n", true);
        let b = layer("b.toml", "[defaults]\ndecision = \"ask\"\n", false);
        let p = build(&[a.clone(), b.clone()]).unwrap();
        let hex = |t: &str| hex::encode(Sha256::digest(t.as_bytes()));
        assert_eq!(p.layer_digests, [hex(&a.text), hex(&b.text)]);
        assert_eq!(
            p.digest,
            hex(&format!("{}\n{}\n", hex(&a.text), hex(&b.text)))
        );
        let changed = layer("b.toml", "[defaults]\ndecision = \"deny\"\n", false);
        assert_ne!(build(&[a.clone(), changed]).unwrap().digest, p.digest);
        assert_ne!(build(&[b, a]).unwrap().digest, p.digest, "the order counts");
    }

    #[test]
    fn the_default_policy_parses() {
        let p = parse_str("default", DEFAULT_POLICY).unwrap();
        assert_eq!(p.packs.len(), packs::NAMES.len());
    }

    /// The fleet policy a host cached is the top layer (its defaults win, everyone's rules add
    /// up), verified on every load; a pushed `[fleet]` table is refused.
    #[test]
    fn a_cached_fleet_policy_is_the_top_layer_and_is_verified_on_load() {
        use signed::{Signed, SigningKey};
        let (key, _) = SigningKey::generate().unwrap();
        let fleet_text = "[defaults]\ndecision = \"ask\"\n\n[[rule]]\nid = \"f\"\ncommand = \"touch\"\ndecision = \"deny\"\n";
        let system_text = format!(
            "[defaults]\ndecision = \"allow\"\n\n[[rule]]\nid = \"s\"\ncommand = \"rm\"\ndecision = \"deny\"\n\n[fleet]\nurl = \"postgres://h@127.0.0.1/gate\"\npolicy_key = \"{}\"\n",
            key.public().text()
        );
        let fleet = Layer {
            name: "fleet policy v4".into(),
            text: fleet_text.into(),
            system: true,
            fleet_version: Some(4),
        };
        let p = build(&[fleet, layer("system.toml", &system_text, true)]).unwrap();
        assert_eq!(p.policy_version, Some(4));
        assert_eq!(p.defaults.decision, Decision::Ask);
        let ids: Vec<&str> = p.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["f", "s"]);
        assert_eq!(p.fleet_key, Some(key.public().text()));
        let e =
            load_fleet_text("push.toml", 1, "[fleet]\nurl = \"postgres://x@h/d\"\n").unwrap_err();
        assert!(
            e.0[0]
                .message
                .contains("a fleet policy cannot say which fleet"),
            "{e:?}"
        );
        // Nor narrow the host's own protections: that stays the host's decision.
        let e = load_fleet_text("push.toml", 1, "[protect]\nexcept = []\n").unwrap_err();
        assert!(
            e.0[0]
                .message
                .contains("a fleet policy cannot leave them out"),
            "{e:?}"
        );

        // Through real files: only as root can a test make a system policy gate trusts.
        if !nix::unistd::getuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let system = dir.path().join("system.toml");
        let cache = dir.path().join("ledger.db.fleet-policy");
        std::fs::write(&system, &system_text).unwrap();
        let signed = Signed {
            version: 4,
            sha256: signed::sha256_hex(fleet_text),
            body: fleet_text.into(),
            signature: key.sign(4, fleet_text),
            pushed_by: "ops".into(),
            pushed_at: "now".into(),
        };
        std::fs::write(&cache, signed.cache_text()).unwrap();
        let opts = LoadOptions {
            system_path: Some(system.clone()),
            user_path: Some(dir.path().join("none.toml")),
            fleet_cache: Some(cache.clone()),
            ..Default::default()
        };
        let (p, warnings) = load(&opts).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p.policy_version, Some(4));
        assert_eq!(p.sources[0], "fleet policy v4");
        std::fs::write(&cache, signed.cache_text().replace("deny", "allow")).unwrap();
        let e = load(&opts).unwrap_err();
        assert!(e.0[0].message.contains("version 4 was altered"), "{e:?}");
        let (p, _) = load(&LoadOptions {
            without_fleet_policy: true,
            ..opts.clone()
        })
        .unwrap();
        assert_eq!(p.policy_version, None);
        std::fs::write(&cache, "").unwrap();
        let (p, warnings) = load(&opts).unwrap();
        assert_eq!(p.policy_version, None);
        assert!(
            warnings[0].contains("run `gate policy fetch`"),
            "{warnings:?}"
        );
    }
}
