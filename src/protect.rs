//! gate's own defences: built-in rules that no user policy can leave out.
//!
//! The agent gate guards is an adversary. These rules keep it from switching gate off from
//! inside a command it is allowed to run:
//!
//! - [`STATE`] (deny): writing, truncating, deleting, moving, linking over, changing the mode or
//!   owner of, or opening for writing gate's own state: every policy layer and its directory
//!   (`/etc/gate/`, the user policy, the file `--policy`/`GATE_POLICY` names), the ledger and
//!   each of its siblings (`-wal`, `-shm`, `.key`, `.intake`, `.checkpoints`, …) and their
//!   directory, the shim directory, the gate binary;
//! - [`HOOKS`] (deny): the same for the agents' hook registrations (Claude Code, Codex CLI and
//!   Gemini CLI settings, in the home directory, the working directory, any project, and the
//!   managed locations);
//! - [`KEY`] (deny): any use of the ledger key file but gate's own, reading included: it is
//!   what makes intake lines and votes unforgeable;
//! - [`PERSISTENCE`] (ask): writing shell start-up files, `~/.ssh/authorized_keys` or
//!   `.git/hooks/*`;
//! - [`UNRESOLVED`] (ask): a write whose target gate cannot resolve statically and that could
//!   be one of the above (`> "$F"`, `rm -rf "$D"`, `cp x "$HOME/$P"`);
//! - [`OVERRIDE`] (deny): a nested gate given a policy or ledger of the caller's choosing
//!   (`gate --policy …`, `GATE_POLICY=…`, `GATE_LEDGER=…`, or `HOME`/`XDG_*` set for it);
//! - [`APPROVE`] (deny): `gate approve` / `gate deny` run from a command, in any wrapper;
//! - [`CHANGE`] (ask): other gate commands that change its set-up (`gate shim install|remove`,
//!   `gate init --force`, `gate rules edit`, `gate hooks uninstall`).
//!
//! Paths are resolved as the shell would: `~`, `$HOME`/`${HOME}`, the XDG variables, relative
//! paths against the working directory and every `cd`/`pushd` earlier in the line, `.`/`..`,
//! existing symlinks (the canonical path is compared too) and hard links (device and inode).
//! Reading stays allowed (`cat`, `jq .`, `cp policy.toml /tmp/`, `ls`, `gate log`); a program
//! gate does not know that is given a protected path is asked about, since it may write it.
//!
//! Only the system policy may narrow this set, with `[protect] except = ["rule-id", …]`; `gate
//! rules lint` reports it and every request records it.

use crate::env_vars as ev;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use crate::analyze::{Analysis, SimpleCommand, Word};
use crate::decide::{RuleHit, Verdict};
use crate::policy::{Decision, Risk};

pub const STATE: &str = "gate.protect.state";
pub const HOOKS: &str = "gate.protect.hooks";
pub const KEY: &str = "gate.protect.key";
pub const PERSISTENCE: &str = "gate.protect.persistence";
pub const UNRESOLVED: &str = "gate.protect.unresolved";
pub const OVERRIDE: &str = "gate.self.override";
pub const APPROVE: &str = "gate.self.approve";
pub const CHANGE: &str = "gate.self.change";

/// Every built-in protection rule, as `[protect] except` may name them.
pub const RULES: &[&str] = &[
    STATE,
    HOOKS,
    KEY,
    PERSISTENCE,
    UNRESOLVED,
    OVERRIDE,
    APPROVE,
    CHANGE,
];

/// What each protection does, as `gate rules list` and `gate rules show` tell it: the
/// decision it gives and what it covers.
pub const SUMMARY: &[(&str, Decision, &str)] = &[
    (
        STATE,
        Decision::Deny,
        "writing, moving or deleting gate's own files: every policy layer and its directory, the ledger and its siblings, the shims, the gate binary",
    ),
    (
        HOOKS,
        Decision::Deny,
        "writing the agents' hook registrations (Claude Code, Codex CLI, Gemini CLI settings)",
    ),
    (
        KEY,
        Decision::Deny,
        "any use of the ledger key file but gate's own, reading included",
    ),
    (
        PERSISTENCE,
        Decision::Ask,
        "writing shell start-up files, ~/.ssh/authorized_keys or .git/hooks/*",
    ),
    (
        UNRESOLVED,
        Decision::Ask,
        "a write whose target gate cannot resolve and that could be one of gate's files",
    ),
    (
        OVERRIDE,
        Decision::Deny,
        "a nested gate given a policy or ledger of the caller's choosing",
    ),
    (
        APPROVE,
        Decision::Deny,
        "`gate approve` / `gate deny` run from a command gate guards",
    ),
    (
        CHANGE,
        Decision::Ask,
        "gate commands that change its set-up (shim install|remove, init --force, rules edit, hooks uninstall)",
    ),
];

/// Variables that point gate at another policy or ledger: never set by a command.
const GATE_VARS: &[&str] = &[ev::GATE_POLICY, ev::GATE_LEDGER, ev::GATE_SHIM_DIR];
/// Variables that move gate's files when set for a gate command.
const HOME_VARS: &[&str] = &[ev::HOME, ev::XDG_CONFIG_HOME, ev::XDG_DATA_HOME];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    State,
    Hooks,
    Key,
    Persistence,
}

impl Class {
    fn rule(self) -> &'static str {
        match self {
            Class::State => STATE,
            Class::Hooks => HOOKS,
            Class::Key => KEY,
            Class::Persistence => PERSISTENCE,
        }
    }

    fn decision(self) -> Decision {
        match self {
            Class::Persistence => Decision::Ask,
            _ => Decision::Deny,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The path itself.
    Exact,
    /// The directory and everything in it.
    Within,
    /// Every file in the same directory whose name starts with this one (`ledger.db*`).
    Prefix,
    /// The path itself, not what holds it.
    File,
    /// A directory: deleting, moving or replacing it (or what holds it), not what is in it;
    /// creating it is fine.
    Dir,
}

#[derive(Debug)]
struct Entry {
    path: PathBuf,
    shape: Shape,
    class: Class,
    what: &'static str,
}

/// Paths whose last components mark them wherever they are: (components, class, what).
const PATTERNS: &[(&[&str], Class, &str)] = &[
    (
        &[".claude", "settings.json"],
        Class::Hooks,
        "Claude Code's settings (hook registration)",
    ),
    (
        &[".claude", "settings.local.json"],
        Class::Hooks,
        "Claude Code's settings (hook registration)",
    ),
    (
        &[".gemini", "settings.json"],
        Class::Hooks,
        "Gemini CLI's settings (hook registration)",
    ),
    (
        &[".codex", "config.toml"],
        Class::Hooks,
        "Codex CLI's configuration (hook registration)",
    ),
];

/// One finding of the built-in rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub decision: Decision,
    pub message: String,
    /// Index into the analysis' commands (may equal their number for a bare redirection).
    pub command: usize,
}

/// What the protections need to know about this process.
pub struct Inputs<'a> {
    /// The working directory commands run in (the hook's `cwd`).
    pub cwd: &'a str,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The policy files in force (highest precedence first).
    pub policy_files: Vec<PathBuf>,
    /// The ledger path in force.
    pub ledger: Option<PathBuf>,
    /// Rules the system policy turned off (`[protect] except`).
    pub except: &'a [String],
}

/// The protected paths of this process, resolved once.
pub struct Scope<'a> {
    home: Option<String>,
    cwd: PathBuf,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The ledger key, protected against reading too.
    key: Option<PathBuf>,
    policy_files: Vec<PathBuf>,
    ledger: Option<PathBuf>,
    entries: OnceLock<Vec<Entry>>,
    except: &'a [String],
    /// Canonical path and (device, inode) of each entry that exists, read when first needed.
    canonical: OnceLock<Vec<Resolved>>,
}

/// An entry's canonical path, and its (device, inode) when it is a file that exists.
type Resolved = (PathBuf, Option<(u64, u64)>);

fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

impl<'a> Scope<'a> {
    pub fn new(inputs: Inputs<'a>) -> Self {
        let home = var(inputs.env, "HOME");
        let cwd = PathBuf::from(inputs.cwd);
        let key = inputs.ledger.as_ref().map(|l| {
            let mut key = absolute(&cwd, l).into_os_string();
            key.push(".key");
            PathBuf::from(key)
        });
        Scope {
            home,
            cwd,
            env: inputs.env,
            key,
            policy_files: inputs.policy_files,
            ledger: inputs.ledger,
            entries: OnceLock::new(),
            except: inputs.except,
            canonical: OnceLock::new(),
        }
    }

    /// The protected paths, worked out the first time a command could touch one (most
    /// commands never do: `git status` costs nothing here).
    fn entries(&self) -> &[Entry] {
        self.entries.get_or_init(|| self.build_entries())
    }

    fn build_entries(&self) -> Vec<Entry> {
        let env = self.env;
        let home = &self.home;
        let cwd = &self.cwd;
        let in_home = |rel: &str| home.as_ref().map(|h| Path::new(h).join(rel));
        let xdg = |name: &str, fallback: &str| match var(env, name) {
            Some(v) if v.starts_with('/') => Some(PathBuf::from(v)),
            _ => in_home(fallback),
        };
        let mut entries = Vec::new();
        let mut add = |path: Option<PathBuf>, shape, class, what| {
            if let Some(path) = path {
                entries.push(Entry {
                    path: normalize(&path),
                    shape,
                    class,
                    what,
                });
            }
        };
        use Class::*;
        use Shape::*;
        add(
            Some("/etc/gate".into()),
            Within,
            State,
            "gate's system policy",
        );
        add(
            Some(crate::policy::SYSTEM_POLICY.into()),
            Exact,
            State,
            "gate's system policy",
        );
        add(
            xdg(ev::XDG_CONFIG_HOME, ".config").map(|d| d.join("gate").join("policy.toml")),
            Exact,
            State,
            "gate's user policy",
        );
        add(
            xdg(ev::XDG_CONFIG_HOME, ".config").map(|d| d.join("gate")),
            Within,
            State,
            "gate's user policy",
        );
        for file in &self.policy_files {
            let file = absolute(cwd, file);
            add(
                file.parent().map(Path::to_path_buf),
                Dir,
                State,
                "the directory of a gate policy",
            );
            add(Some(file), Exact, State, "a gate policy in force");
        }
        if let Some(p) = var(env, ev::GATE_POLICY) {
            add(
                Some(absolute(cwd, Path::new(&p))),
                Exact,
                State,
                "a gate policy in force",
            );
        }
        add(
            xdg(ev::XDG_DATA_HOME, ".local/share").map(|d| d.join("gate")),
            Within,
            State,
            "gate's data directory (ledger, shims)",
        );
        if let Some(ledger) = &self.ledger {
            let ledger = absolute(cwd, ledger);
            add(self.key.clone(), File, Key, "the ledger key");
            add(
                ledger.parent().map(Path::to_path_buf),
                Dir,
                State,
                "the ledger's directory",
            );
            add(Some(ledger), Prefix, State, "gate's ledger");
        }
        if let Some(d) = var(env, ev::GATE_SHIM_DIR) {
            add(
                Some(absolute(cwd, Path::new(&d))),
                Within,
                State,
                "gate's shim directory",
            );
        }
        if let Some(exe) = current_exe() {
            add(Some(exe), File, State, "the gate binary");
        }
        let codex = var(env, "CODEX_HOME")
            .map(PathBuf::from)
            .or_else(|| in_home(".codex"));
        add(
            codex.map(|c| c.join("config.toml")),
            Exact,
            Hooks,
            "Codex CLI's configuration (hook registration)",
        );
        for (path, what) in [
            (
                "/etc/claude-code/managed-settings.json",
                "Claude Code's managed settings",
            ),
            (
                "/Library/Application Support/ClaudeCode/managed-settings.json",
                "Claude Code's managed settings",
            ),
            (
                "/etc/gemini-cli/settings.json",
                "Gemini CLI's system settings",
            ),
        ] {
            add(Some(path.into()), Exact, Hooks, what);
        }
        for rel in [
            ".bashrc",
            ".bash_profile",
            ".bash_login",
            ".bash_logout",
            ".profile",
            ".zshrc",
            ".zshenv",
            ".zprofile",
            ".zlogin",
            ".ssh/authorized_keys",
            ".ssh/authorized_keys2",
            ".ssh/rc",
        ] {
            add(
                in_home(rel),
                Exact,
                Persistence,
                "a start-up or login file (persistence)",
            );
        }
        add(
            xdg(ev::XDG_CONFIG_HOME, ".config").map(|d| d.join("fish")),
            Within,
            Persistence,
            "fish's configuration (persistence)",
        );
        entries
    }

    fn canonical(&self) -> &[Resolved] {
        self.canonical.get_or_init(|| {
            self.entries()
                .iter()
                .map(|e| {
                    let id = std::fs::metadata(&e.path)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| (m.dev(), m.ino()));
                    (canonical(&e.path), id)
                })
                .collect()
        })
    }

    /// What a path (absolute, normalized) is, if protected. `destructive`: the operation also
    /// takes everything below the path along (`rm -r`, `mv`, `chmod -R`), so an ancestor of a
    /// protected path counts. `mkdir`: the operation only creates a directory.
    fn classify(
        &self,
        path: &Path,
        destructive: bool,
        mkdir: bool,
    ) -> Option<(Class, &'static str)> {
        let hit = |entry_path: &Path, shape: Shape| -> bool {
            let inside = path.starts_with(entry_path);
            match shape {
                Shape::Exact => path == entry_path || (destructive && entry_path.starts_with(path)),
                Shape::Dir => {
                    !mkdir && (path == entry_path || (destructive && entry_path.starts_with(path)))
                }
                // The binary's directories are build trees too (`rm -rf target`): only the file.
                Shape::File => path == entry_path,
                Shape::Within => {
                    if mkdir {
                        inside && path != entry_path
                    } else {
                        inside || (destructive && entry_path.starts_with(path))
                    }
                }
                Shape::Prefix => {
                    let same_dir = path.parent() == entry_path.parent();
                    let name = entry_path.file_name().map(|n| n.as_encoded_bytes());
                    let this = path.file_name().map(|n| n.as_encoded_bytes());
                    (same_dir && matches!((name, this), (Some(n), Some(t)) if t.starts_with(n)))
                        || (destructive && entry_path.starts_with(path))
                }
            }
        };
        let mut found: Option<(Class, &'static str)> = None;
        for e in self.entries() {
            if hit(&e.path, e.shape) {
                found = strictest(found, (e.class, e.what));
            }
        }
        for (components, class, what) in PATTERNS {
            if ends_with(path, components) || (destructive && contains_dir(path, components)) {
                found = strictest(found, (*class, *what));
            }
        }
        if git_hook(path) {
            found = strictest(found, (Class::Persistence, "a git hook (persistence)"));
        }
        found
    }

    /// As [`Scope::classify`], also through symlinks and hard links of what exists.
    fn classify_deep(
        &self,
        path: &Path,
        destructive: bool,
        mkdir: bool,
    ) -> Option<(Class, &'static str)> {
        let mut found = self.classify(path, destructive, mkdir);
        let real = canonical(path);
        if real != path {
            found = found.or_else(|| self.classify(&real, destructive, mkdir));
            for (e, (c, _)) in self.entries().iter().zip(self.canonical()) {
                // An entry reached through a symlink of its own (`~/.config` linked elsewhere).
                let within = matches!(e.shape, Shape::Within) && real.starts_with(c);
                let same = &real == c && !(mkdir && e.shape == Shape::Dir);
                if c != &e.path && (within || same) {
                    found = strictest(found, (e.class, e.what));
                }
            }
        }
        if let Ok(m) = std::fs::metadata(path)
            && m.is_file()
            && m.nlink() > 1
        {
            let id = (m.dev(), m.ino());
            for (e, (_, eid)) in self.entries().iter().zip(self.canonical()) {
                if *eid == Some(id) {
                    found = strictest(found, (e.class, e.what));
                }
            }
        }
        found
    }

    /// The directories relative paths may be resolved against: the working directory and
    /// every directory a `cd`/`pushd` in the line goes to (`None` when one is dynamic).
    fn bases(&self, analysis: &Analysis) -> Option<Vec<PathBuf>> {
        let mut bases = vec![self.cwd.clone()];
        for cmd in &analysis.commands {
            let program = crate::decide::basename(&cmd.words[0].text);
            if !matches!(program, "cd" | "pushd") {
                continue;
            }
            let Some(target) = cmd.words[1..].iter().find(|w| !w.text.starts_with('-')) else {
                if let Some(h) = &self.home {
                    bases.push(PathBuf::from(h));
                }
                continue;
            };
            match self.expand(target) {
                Some(t) => {
                    let more: Vec<PathBuf> = bases.iter().map(|b| normalize(&b.join(&t))).collect();
                    bases.extend(more);
                }
                None => return None,
            }
        }
        bases.dedup();
        Some(bases)
    }

    /// A word's text with `~` and the variables gate knows expanded; `None` if anything else
    /// in it is dynamic.
    fn expand(&self, w: &Word) -> Option<String> {
        let mut text = w.text.clone();
        if text == "~" || text.starts_with("~/") {
            text = format!("{}{}", self.home.as_deref()?, &text[1..]);
        }
        if !w.dynamic {
            return Some(text);
        }
        for name in [
            "HOME",
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "PWD",
            "CODEX_HOME",
            "USER",
        ] {
            for form in [format!("${{{name}}}"), format!("${name}")] {
                if text.contains(&form) {
                    let value = if name == "PWD" {
                        self.cwd.display().to_string()
                    } else {
                        var(self.env, name)?
                    };
                    text = text.replace(&form, &value);
                }
            }
        }
        (!text.contains(['$', '`'])).then_some(text)
    }

    /// Could a write to this dynamic word reach a protected path? Compared by the static text
    /// before and after what gate cannot resolve.
    fn could_be_protected(&self, w: &Word, bases: &[PathBuf]) -> Option<&'static str> {
        let text = w.text.replace("${HOME}", "$HOME");
        let text = match (text.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(h)) => format!("{h}/{rest}"),
            _ => text,
        };
        let cut = text.find(['$', '`']).unwrap_or(text.len());
        let prefix = &text[..cut];
        let suffix = static_suffix(&text);
        if prefix.is_empty() && suffix.is_empty() {
            return Some("a path gate cannot resolve");
        }
        let prefixes: Vec<String> = if prefix.starts_with('/') || prefix.is_empty() {
            vec![prefix.to_string()]
        } else {
            bases
                .iter()
                .map(|b| format!("{}/{prefix}", b.display()))
                .collect()
        };
        for e in self.entries() {
            let p = e.path.display().to_string();
            for pre in &prefixes {
                let fits = match e.shape {
                    Shape::Within => {
                        pre.len() > 1
                            && (p.starts_with(pre.as_str()) || pre.starts_with(&format!("{p}/")))
                    }
                    Shape::Exact | Shape::File | Shape::Dir => {
                        p.starts_with(pre.as_str()) && (suffix.is_empty() || p.ends_with(suffix))
                    }
                    Shape::Prefix => {
                        // `ledger.db` covers `ledger.db.intake` in the same directory.
                        let (sdir, sname) = suffix.rsplit_once('/').unwrap_or(("", suffix));
                        let (edir, ename) = p.rsplit_once('/').unwrap_or(("", &p));
                        p.starts_with(pre.as_str())
                            && (suffix.is_empty()
                                || (sname.starts_with(ename) && edir.ends_with(sdir)))
                    }
                };
                if fits && (!pre.is_empty() || !suffix.is_empty()) {
                    return Some(e.what);
                }
            }
        }
        for (components, _, what) in PATTERNS {
            if !suffix.is_empty()
                && format!("/{}", components.join("/")).ends_with(suffix)
                && suffix.len() > 1
            {
                return Some(what);
            }
        }
        None
    }

    /// Check one path a command writes.
    fn target(&self, w: &Word, bases: Option<&[PathBuf]>, how: How) -> Option<Finding> {
        let Some(text) = self.expand(w) else {
            let bases = bases.unwrap_or(&[]);
            let what = self.could_be_protected(w, bases)?;
            return Some(Finding {
                rule: UNRESOLVED,
                decision: Decision::Ask,
                message: format!(
                    "`{}` cannot be resolved before it runs and could be {what}: gate asks before writing there",
                    w.text
                ),
                command: 0,
            });
        };
        if text.is_empty() || is_device(&text) {
            return None;
        }
        let candidates: Vec<PathBuf> = if text.starts_with('/') {
            vec![normalize(Path::new(&text))]
        } else {
            match bases {
                Some(b) => b.iter().map(|b| normalize(&b.join(&text))).collect(),
                None => {
                    // After a `cd` gate cannot follow: only the name itself can tell. A path
                    // that names a hook registration is one wherever it is.
                    let anywhere = Path::new("/").join(&text);
                    if let Some((class, what)) =
                        self.classify(&normalize(&anywhere), how.destructive, how.mkdir)
                    {
                        return Some(self.finding(class, what, &text, how.verb));
                    }
                    let w = Word::dynamic(format!("$PWD_UNKNOWN/{text}"));
                    let what = self.could_be_protected(&w, &[])?;
                    return Some(Finding {
                        rule: UNRESOLVED,
                        decision: Decision::Ask,
                        message: format!(
                            "`{text}` is relative to a directory gate cannot resolve and could be {what}"
                        ),
                        command: 0,
                    });
                }
            }
        };
        let mut best: Option<(Class, &'static str)> = None;
        for c in &candidates {
            if let Some(found) = self.classify_deep(c, how.destructive, how.mkdir) {
                best = strictest(best, found);
            }
        }
        let (class, what) = best?;
        Some(self.finding(class, what, &text, how.verb))
    }

    fn finding(&self, class: Class, what: &str, path: &str, verb: &str) -> Finding {
        let message = match class {
            Class::Persistence => format!(
                "{verb} `{path}` ({what}) makes something run later, outside this command: a person must approve it"
            ),
            Class::Key => format!(
                "`{path}` is the ledger key ({what}); only gate itself uses it. Nothing else may read or change it"
            ),
            Class::State | Class::Hooks => format!(
                "{verb} `{path}` ({what}) is not allowed from a command gate guards: gate's own state and the agents' hook registrations can only be changed by a person, outside the agent"
            ),
        };
        Finding {
            rule: class.rule(),
            decision: class.decision(),
            message,
            command: 0,
        }
    }

    /// A protected path (or the ledger key) named anywhere in a word (inline code).
    fn mentioned(&self, text: &str) -> Option<(Class, &'static str)> {
        let mut found = None;
        for e in self.entries() {
            let abs = e.path.display().to_string();
            let rel = self
                .home
                .as_ref()
                .and_then(|h| abs.strip_prefix(&format!("{h}/")).map(str::to_string));
            let mut needles = vec![abs.clone()];
            needles.extend(rel);
            if e.shape == Shape::Prefix
                && let Some(name) = e.path.file_name().and_then(|n| n.to_str())
            {
                needles.push(name.to_string());
            }
            if e.class == Class::Persistence {
                continue;
            }
            if needles
                .iter()
                .any(|n| n.len() > 4 && text.contains(n.as_str()))
            {
                found = strictest(found, (e.class, e.what));
            }
        }
        for (components, class, what) in PATTERNS {
            if text.contains(&components.join("/")) {
                found = strictest(found, (*class, *what));
            }
        }
        found
    }

    /// Every finding for an analysed invocation.
    pub fn check(&self, analysis: &Analysis) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        let bases = self.bases(analysis);
        let bases = bases.as_deref();
        for r in &analysis.redirects {
            let how = How {
                verb: "writing to",
                destructive: false,
                mkdir: false,
            };
            if r.op == "<" {
                // Reading by redirection: only the key is protected against that.
                if let Some(text) = self.names_key(&r.target, bases) {
                    let mut f = self.finding(Class::Key, "the ledger key", &text, "reading");
                    f.command = r.command;
                    out.push(f);
                }
                continue;
            }
            if let Some(mut f) = self.target(&r.target, bases, how) {
                f.command = r.command;
                out.push(f);
            }
        }
        let has_gate = analysis
            .commands
            .iter()
            .any(|c| crate::decide::basename(&c.words[0].text) == "gate");
        for name in &analysis.assigned {
            let gate_var = GATE_VARS.contains(&name.as_str());
            if gate_var || (has_gate && HOME_VARS.contains(&name.as_str())) {
                out.push(Finding {
                    rule: OVERRIDE,
                    decision: Decision::Deny,
                    message: format!(
                        "setting {name} would point gate at a policy or ledger of the command's choosing; a command gate guards may not do that"
                    ),
                    command: 0,
                });
            }
        }
        for (i, cmd) in analysis.commands.iter().enumerate() {
            for mut f in self.command(cmd, bases) {
                f.command = i;
                out.push(f);
            }
        }
        out.retain(|f| !self.except.iter().any(|e| e == f.rule));
        out.dedup();
        out
    }

    /// A file written by an agent's file tool (Write, Edit, …).
    pub fn check_file_write(&self, path: &str) -> Option<Finding> {
        let how = How {
            verb: "writing to",
            destructive: false,
            mkdir: false,
        };
        let w = Word::lit(path);
        let f = self.target(&w, Some(std::slice::from_ref(&self.cwd)), how)?;
        (!self.except.iter().any(|e| e == f.rule)).then_some(f)
    }

    fn command(&self, cmd: &SimpleCommand, bases: Option<&[PathBuf]>) -> Vec<Finding> {
        let program = crate::decide::basename(&cmd.words[0].text);
        let args = &cmd.words[1..];
        let mut out = Vec::new();
        if program == "gate" {
            out.extend(gate_command(args));
        }
        // The key: no program but gate may touch it.
        if program != "gate" {
            for w in args {
                if let Some(text) = self.names_key(w, bases) {
                    out.push(self.finding(Class::Key, "the ledger key", &text, "using"));
                }
            }
        }
        if is_interpreter(program) || program.starts_with("perl") {
            for w in code_words(program, args) {
                if let Some((class, what)) = self.mentioned(&w.text) {
                    let mut f = self.finding(class, what, what, "code that names");
                    f.message = format!(
                        "inline code names {what}; code run from a command gate guards may not touch gate's state or the agents' hook registrations"
                    );
                    out.push(f);
                }
            }
        }
        match writes(program, args) {
            Writes::Paths(paths, how) => {
                for w in paths {
                    out.extend(self.target(w, bases, how));
                }
            }
            Writes::Owned(paths, how) => {
                for w in &paths {
                    out.extend(self.target(w, bases, how));
                }
            }
            Writes::Reads => {}
            Writes::Unknown => {
                // A program gate does not know, given a protected path: it may write it.
                for w in positional(args) {
                    let Some(text) = self.expand(w) else { continue };
                    let text = text.split_once('=').map_or(text.as_str(), |(_, v)| v);
                    if !text.contains('/') && !text.starts_with('.') {
                        continue;
                    }
                    let Some(paths) = self.resolve(text, bases) else {
                        continue;
                    };
                    let found = paths
                        .iter()
                        .filter_map(|p| self.classify(p, false, false))
                        .fold(None, strictest);
                    if let Some((class, what)) = found {
                        let mut f = self.finding(class, what, text, "giving");
                        f.decision = f.decision.min(Decision::Ask);
                        f.message = format!(
                            "`{program}` is given `{text}` ({what}) and gate does not know whether it only reads it: a person must approve it"
                        );
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    fn resolve(&self, text: &str, bases: Option<&[PathBuf]>) -> Option<Vec<PathBuf>> {
        if text.starts_with('/') {
            return Some(vec![normalize(Path::new(text))]);
        }
        Some(bases?.iter().map(|b| normalize(&b.join(text))).collect())
    }

    /// The word's path, expanded, if it names the ledger key.
    fn names_key(&self, w: &Word, bases: Option<&[PathBuf]>) -> Option<String> {
        let text = self.expand(w)?;
        let paths = self.resolve(&text, bases)?;
        paths.iter().any(|p| self.is_key(p)).then_some(text)
    }

    /// Whether `p` is the ledger key. Compared by name first, so the arguments of an ordinary
    /// command cost no system call; a path of that name is then compared through symlinks.
    fn is_key(&self, p: &Path) -> bool {
        self.key.as_ref().is_some_and(|key| {
            key.file_name() == p.file_name() && (key == p || canonical(p) == canonical(key))
        })
    }
}

/// The static text after the last expansion of a word (`$D/policy.toml` → `/policy.toml`).
fn static_suffix(text: &str) -> &str {
    let Some(last) = text.rfind(['$', '`']) else {
        return "";
    };
    let rest = &text[last + 1..];
    if text[last..].starts_with('`') {
        return rest;
    }
    let end = if let Some(inner) = rest.strip_prefix('{') {
        inner.find('}').map_or(rest.len(), |i| i + 2)
    } else if rest.starts_with('(') {
        rest.rfind(')').map_or(rest.len(), |i| i + 1)
    } else {
        let name = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name == 0 { rest.len().min(1) } else { name }
    };
    &rest[end..]
}

fn strictest(
    a: Option<(Class, &'static str)>,
    b: (Class, &'static str),
) -> Option<(Class, &'static str)> {
    let rank = |c: Class| match c {
        Class::Key => 3,
        Class::State => 2,
        Class::Hooks => 2,
        Class::Persistence => 1,
    };
    match a {
        Some(a) if rank(a.0) >= rank(b.0) => Some(a),
        _ => Some(b),
    }
}

/// How a command touches the paths it writes.
#[derive(Debug, Clone, Copy)]
struct How {
    verb: &'static str,
    destructive: bool,
    mkdir: bool,
}

enum Writes<'w> {
    Paths(Vec<&'w Word>, How),
    /// Paths written through an option (`dd of=FILE`).
    Owned(Vec<Word>, How),
    Reads,
    Unknown,
}

/// Programs that only read the files they are given (or take no files).
const READERS: &[&str] = &[
    "cat",
    "tac",
    "less",
    "more",
    "most",
    "head",
    "tail",
    "jq",
    "yq",
    "gron",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "ls",
    "ll",
    "dir",
    "stat",
    "wc",
    "diff",
    "colordiff",
    "cmp",
    "comm",
    "file",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "md5sum",
    "b2sum",
    "cksum",
    "sum",
    "test",
    "[",
    "[[",
    "realpath",
    "readlink",
    "bat",
    "batcat",
    "od",
    "xxd",
    "hexdump",
    "strings",
    "uniq",
    "cut",
    "tr",
    "column",
    "du",
    "df",
    "tree",
    "eza",
    "exa",
    "lsd",
    "basename",
    "dirname",
    "echo",
    "printf",
    "view",
    "nl",
    "fold",
    "fmt",
    "pr",
    "expand",
    "unexpand",
    "paste",
    "join",
    "look",
    "zcat",
    "zless",
    "bzcat",
    "xzcat",
    "base64",
    "base32",
    "source",
    ".",
    "cd",
    "pushd",
    "popd",
    "pwd",
    "true",
    "false",
    ":",
    "type",
    "which",
    "whereis",
    "command",
    "hash",
    "export",
    "declare",
    "typeset",
    "local",
    "readonly",
    "unset",
    "set",
    "shopt",
    "alias",
    "getfacl",
    "lsattr",
    "namei",
    "lsof",
    "fuser",
    "id",
    "whoami",
    "date",
    "sleep",
    "env",
    "printenv",
    "mkdir",
    "git",
    "diff3",
    "sdiff",
    "vimdiff",
    "tput",
    "clear",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "sort",
    "sed",
    "perl",
    "find",
    "xargs",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "gunzip",
    "openssl",
    "gpg",
    "ssh-keygen",
    "kill",
    "ps",
];

/// Where the non-option arguments of a command start and what they are.
fn positional(args: &[Word]) -> impl Iterator<Item = &Word> {
    let mut after_dashdash = false;
    args.iter().filter(move |w| {
        if after_dashdash {
            return true;
        }
        if w.text == "--" {
            after_dashdash = true;
            return false;
        }
        !w.text.starts_with('-') || w.text == "-"
    })
}

fn has_flag(args: &[Word], short: char, long: &[&str]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        if let Some(l) = t.strip_prefix("--") {
            let name = l.split_once('=').map_or(l, |(n, _)| n);
            return long.contains(&name);
        }
        t.len() > 1 && t.starts_with('-') && t[1..].contains(short)
    })
}

/// The value of `-t DIR`, `--target-directory=DIR`.
fn target_dir(args: &[Word]) -> Option<&Word> {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        if t == "-t" || t == "--target-directory" {
            return it.next();
        }
        if t.starts_with("--target-directory=")
            || (t.starts_with("-t") && t.len() > 2 && !t.starts_with("--"))
        {
            return Some(w);
        }
    }
    None
}

/// The paths a command writes (or deletes, moves, links over, changes the mode of), as far as
/// gate knows the program: `None` for a program gate does not know (it may write any path it
/// is given).
pub fn written_paths(cmd: &SimpleCommand) -> Option<Vec<Word>> {
    let program = crate::decide::basename(&cmd.words[0].text);
    match writes(program, &cmd.words[1..]) {
        Writes::Paths(paths, _) => Some(paths.into_iter().cloned().collect()),
        Writes::Owned(paths, _) => Some(paths),
        Writes::Reads => Some(Vec::new()),
        Writes::Unknown => None,
    }
}

/// Which arguments a program writes (or deletes, moves, links over, changes the mode of).
fn writes<'w>(program: &str, args: &'w [Word]) -> Writes<'w> {
    let plain = How {
        verb: "writing to",
        destructive: false,
        mkdir: false,
    };
    let wipe = |verb| How {
        verb,
        destructive: true,
        mkdir: false,
    };
    let all = |how| Writes::Paths(positional(args).collect(), how);
    let skip_first = |how| Writes::Paths(positional(args).skip(1).collect(), how);
    match program {
        "rm" | "unlink" | "shred" | "rmdir" | "srm" | "wipe" | "trash" | "trash-put" | "gio" => {
            all(wipe("deleting"))
        }
        "mv" => {
            let mut paths: Vec<&Word> = positional(args).collect();
            paths.extend(target_dir(args));
            Writes::Paths(paths, wipe("moving"))
        }
        "ln" | "link" | "symlink" => {
            let mut paths: Vec<&Word> = positional(args).collect();
            paths.extend(target_dir(args));
            Writes::Paths(paths, wipe("linking"))
        }
        "cp" | "install" | "rsync" | "scp" | "ditto" => {
            let pos: Vec<&Word> = positional(args).collect();
            let mut paths: Vec<&Word> = Vec::new();
            if let Some(t) = target_dir(args) {
                paths.push(t);
            } else if let Some(last) = pos.last() {
                paths.push(last);
            }
            if program == "install" && has_flag(args, 'd', &["directory"]) {
                paths = pos.clone();
            }
            if program == "rsync" && has_flag(args, '\0', &["remove-source-files"]) {
                paths = pos.clone();
            }
            // A copy into a directory writes DIR/NAME for each source; nothing else in DIR.
            let into_dir = match target_dir(args) {
                Some(t) => Some((t, &pos[..])),
                None => pos.split_last().map(|(d, s)| (*d, s)),
            };
            let mut owned: Vec<Word> = paths.into_iter().cloned().collect();
            if let Some((dir, sources)) = into_dir {
                let dir_text = dir
                    .text
                    .strip_prefix("--target-directory=")
                    .unwrap_or(&dir.text);
                for src in sources {
                    let name = src
                        .text
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("");
                    if !name.is_empty() {
                        owned.push(Word {
                            text: format!("{}/{name}", dir_text.trim_end_matches('/')),
                            dynamic: dir.dynamic || src.dynamic,
                        });
                    }
                }
            }
            Writes::Owned(owned, plain)
        }
        "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" | "chcon" => {
            let reference = args.iter().any(|w| w.text.starts_with("--reference"));
            let how = wipe("changing the mode or owner of");
            if reference || program == "setfacl" {
                all(how)
            } else {
                skip_first(how)
            }
        }
        "truncate" | "touch" | "tee" | "sponge" | "mkfifo" | "mknod" | "fallocate" => {
            let mut paths: Vec<&Word> = Vec::new();
            let mut it = args.iter().peekable();
            while let Some(w) = it.next() {
                let t = w.text.as_str();
                if matches!(
                    t,
                    "-s" | "-r" | "--reference" | "--size" | "-d" | "-t" | "-l" | "-o" | "-m"
                ) && program != "tee"
                {
                    it.next();
                } else if !t.starts_with('-') || t == "-" {
                    paths.push(w);
                }
            }
            Writes::Paths(paths, plain)
        }
        "dd" => Writes::Owned(
            args.iter()
                .filter_map(|w| {
                    w.text.strip_prefix("of=").map(|t| Word {
                        text: t.to_string(),
                        dynamic: w.dynamic,
                    })
                })
                .collect(),
            plain,
        ),
        "sed" | "perl" | "ruby" if has_in_place(args) => {
            // The script is the first positional unless given with -e/-f.
            let scripted = args.iter().any(|w| {
                matches!(w.text.as_str(), "-e" | "-f" | "--expression" | "--file")
                    || w.text.starts_with("--expression=")
            });
            if scripted || program != "sed" {
                all(plain)
            } else {
                skip_first(plain)
            }
        }
        "awk" | "gawk"
            if args
                .windows(2)
                .any(|w| w[0].text == "-i" && w[1].text == "inplace") =>
        {
            skip_first(plain)
        }
        "sort" if has_flag(args, 'o', &["output"]) => Writes::Paths(
            args.windows(2)
                .filter(|w| w[0].text == "-o" || w[0].text == "--output")
                .map(|w| &w[1])
                .collect(),
            plain,
        ),
        "find"
            if args.iter().any(|w| {
                matches!(w.text.as_str(), "-delete" | "-fprint" | "-fprintf" | "-fls")
            }) =>
        {
            let roots: Vec<&Word> = args
                .iter()
                .take_while(|w| !w.text.starts_with('-') && w.text != "(" && w.text != "!")
                .collect();
            Writes::Paths(roots, plain)
        }
        "sqlite3" | "sqlite" | "litecli" | "sqlitebrowser" | "sqldiff" => {
            if args
                .iter()
                .any(|w| matches!(w.text.as_str(), "-readonly" | "--readonly" | "-safe"))
            {
                Writes::Reads
            } else {
                Writes::Paths(
                    positional(args).take(1).collect(),
                    How {
                        verb: "opening for writing",
                        ..plain
                    },
                )
            }
        }
        "vi" | "vim" | "nvim" | "gvim" | "nano" | "pico" | "emacs" | "emacsclient" | "ed"
        | "ex" | "joe" | "jed" | "micro" | "mcedit" | "hx" | "helix" | "kak" | "kate" | "gedit"
        | "code" | "codium" | "subl" | "zed" | "xed" | "mousepad" | "leafpad" | "nedit" | "vis"
        | "ne" | "mg" | "jove" | "le" | "tilde" => {
            if matches!(program, "vi" | "vim" | "nvim") && has_flag(args, 'R', &[]) {
                Writes::Reads
            } else {
                all(How {
                    verb: "editing",
                    ..plain
                })
            }
        }
        // Creating gate's directories is fine; a directory in place of a protected file is not.
        "mkdir" => Writes::Paths(
            positional(args).collect(),
            How {
                verb: "creating a directory at",
                destructive: false,
                mkdir: true,
            },
        ),
        // gate's own subcommands are judged by `gate_command`.
        "gate" => Writes::Reads,
        "git" => {
            let sub = positional(args).next().map(|w| w.text.as_str());
            if matches!(
                sub,
                Some(
                    "rm" | "mv"
                        | "checkout"
                        | "restore"
                        | "clean"
                        | "reset"
                        | "stash"
                        | "apply"
                        | "am"
                        | "switch"
                )
            ) {
                skip_first(How {
                    verb: "changing",
                    ..plain
                })
            } else {
                Writes::Reads
            }
        }
        "tar" => {
            // Extracting into a directory (-C) writes it; creating an archive writes -f FILE.
            let mut paths = Vec::new();
            let mut it = args.iter();
            while let Some(w) = it.next() {
                if matches!(w.text.as_str(), "-C" | "--directory") {
                    paths.extend(it.next());
                }
            }
            if args.iter().any(|w| w.text.contains("remove-files")) {
                paths.extend(positional(args));
            }
            Writes::Paths(paths, plain)
        }
        // `npm pkg set scripts.x=…`, `npm set-script`: the package's scripts change.
        "npm" | "pnpm" | "yarn" | "bun"
            if matches!(
                positional(args).next().map(|w| w.text.as_str()),
                Some("pkg" | "set-script")
            ) =>
        {
            Writes::Owned(vec![Word::lit("package.json")], plain)
        }
        "unzip" => Writes::Paths(
            args.windows(2)
                .filter(|w| w[0].text == "-d")
                .map(|w| &w[1])
                .collect(),
            plain,
        ),
        p if READERS.contains(&p) => Writes::Reads,
        _ => Writes::Unknown,
    }
}

fn has_in_place(args: &[Word]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        t.starts_with("--in-place")
            || (t.starts_with('-')
                && !t.starts_with("--")
                && t[1..].starts_with(|c: char| c.is_ascii_alphabetic())
                && {
                    let body = &t[1..];
                    // `-i`, `-i.bak`, `-ni`, `-pi`, `-pi.bak`, `-Ei`
                    body.split('.').next().unwrap_or("").contains('i')
                })
    })
}

fn is_interpreter(program: &str) -> bool {
    let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        base,
        "python"
            | "pypy"
            | "node"
            | "nodejs"
            | "deno"
            | "bun"
            | "ruby"
            | "php"
            | "lua"
            | "luajit"
            | "osascript"
            | "Rscript"
            | "julia"
            | "pwsh"
            | "powershell"
            | "tclsh"
            | "wish"
            | "expect"
            | "irb"
            | "jshell"
            | "groovy"
            | "scala"
            | "kotlin"
            | "elixir"
            | "erl"
    )
}

/// The words of a command that are code to run (`python -c CODE`, `perl -ne CODE`,
/// `node -e CODE`, `php -r CODE`).
fn code_words<'w>(program: &str, args: &'w [Word]) -> Vec<&'w Word> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        let takes_code = matches!(
            t,
            "-c" | "-e"
                | "-E"
                | "-p"
                | "-r"
                | "--eval"
                | "--print"
                | "-Command"
                | "-command"
                | "-x"
        ) || (t.starts_with('-')
            && !t.starts_with("--")
            && t.len() > 2
            && t.ends_with(['e', 'E'])
            && program.starts_with("perl"));
        if takes_code {
            out.extend(it.next());
        } else if t.starts_with("--eval=") {
            out.push(w);
        }
    }
    out
}

fn gate_command(args: &[Word]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut sub: Option<&str> = None;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            break;
        }
        if t == "--policy" || t.starts_with("--policy=") {
            out.push(Finding {
                rule: OVERRIDE,
                decision: Decision::Deny,
                message: "`gate --policy` from a command gate guards would choose its own policy: not allowed (the policy in force applies to what it runs)".into(),
                command: 0,
            });
        }
        if matches!(
            t,
            "--reason" | "--as" | "--timeout" | "--channel" | "--policy"
        ) {
            i += 2;
            continue;
        }
        if args[i].dynamic && sub.is_none() {
            // `gate "$(echo approve)" ID`: a subcommand gate cannot resolve could be approve.
            sub = Some("approve");
            break;
        }
        if !t.starts_with('-') && sub.is_none() {
            sub = Some(t);
            if !matches!(t, "run" | "shell") {
                break;
            }
        }
        i += 1;
    }
    let rest: Vec<&str> = args.iter().skip(i + 1).map(|w| w.text.as_str()).collect();
    match sub {
        Some("approve" | "deny") => out.push(Finding {
            rule: APPROVE,
            decision: Decision::Deny,
            message: "a request is approved or denied by a person, never from a command gate guards: ask them to run `gate approve ID` in their own terminal".into(),
            command: 0,
        }),
        Some("shim") if rest.first().is_some_and(|s| matches!(*s, "install" | "remove")) => {
            out.push(change("`gate shim install|remove` changes which commands go through gate"))
        }
        Some("init") if rest.iter().any(|a| *a == "--force" || *a == "-f") => {
            out.push(change("`gate init --force` overwrites the user policy"))
        }
        Some("rules") if rest.first().is_some_and(|s| *s == "edit") => {
            out.push(change("`gate rules edit` rewrites the policy"))
        }
        Some("hooks") if rest.first().is_some_and(|s| *s == "uninstall") => {
            out.push(change("`gate hooks uninstall` removes an agent's hook"))
        }
        _ => {}
    }
    out
}

fn change(what: &str) -> Finding {
    Finding {
        rule: CHANGE,
        decision: Decision::Ask,
        message: format!("{what}: a person must approve it"),
        command: 0,
    }
}

fn is_device(text: &str) -> bool {
    matches!(
        text,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "-"
    ) || text.starts_with("/dev/fd/")
}

/// `a/b/../c` → `a/c`, `//` and `/./` removed (no filesystem access).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    normalize(&cwd.join(p))
}

/// The canonical path: symlinks of the longest existing prefix resolved, the rest appended.
fn canonical(p: &Path) -> PathBuf {
    let mut existing = p.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return p.to_path_buf(),
        }
    }
}

fn current_exe() -> Option<PathBuf> {
    std::env::current_exe().ok()
}

fn ends_with(path: &Path, components: &[&str]) -> bool {
    let parts: Vec<_> = path.components().rev().take(components.len()).collect();
    parts.len() == components.len()
        && parts
            .iter()
            .rev()
            .zip(components)
            .all(|(c, want)| c.as_os_str() == *want)
}

/// Whether `path` is a directory that holds such a path (`rm -rf proj/.claude`).
fn contains_dir(path: &Path, components: &[&str]) -> bool {
    let last = path
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_owned());
    last.is_some_and(|l| l == *components[0])
}

fn git_hook(path: &Path) -> bool {
    let parts: Vec<_> = path.components().map(|c| c.as_os_str()).collect();
    parts
        .windows(3)
        .any(|w| w[0] == ".git" && w[1] == "hooks" && !w[2].is_empty())
}

/// Add the findings to a verdict: they only make it stricter.
pub fn apply(verdict: &mut Verdict, findings: Vec<Finding>) {
    for f in findings {
        let command = f.command.min(verdict.commands.len().saturating_sub(1));
        verdict.decision = verdict.decision.max(f.decision);
        verdict.hits.push(RuleHit {
            rule: f.rule.to_string(),
            decision: f.decision,
            message: Some(f.message),
            risk: if f.decision == Decision::Deny {
                Risk::Critical
            } else {
                Risk::High
            },
            command,
            unresolved: f.rule == UNRESOLVED,
        });
    }
    let deciding = verdict
        .hits
        .iter()
        .filter(|h| h.decision == verdict.decision)
        .map(|h| h.risk)
        .max();
    if let Some(r) = deciding {
        verdict.risk = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Wrappers, analyze_script};

    /// `gate rules list` shows every protection, with the decision it gives.
    #[test]
    fn the_summary_names_every_protection() {
        let named: Vec<&str> = SUMMARY.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(named, RULES);
        for (id, decision, _) in SUMMARY {
            let class = [Class::State, Class::Hooks, Class::Key, Class::Persistence]
                .into_iter()
                .find(|c| c.rule() == *id);
            if let Some(class) = class {
                assert_eq!(class.decision(), *decision, "{id}");
            }
        }
    }

    fn findings(line: &str, except: &[String]) -> Vec<&'static str> {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            _ => None,
        };
        let scope = Scope::new(Inputs {
            cwd: "/srv/app",
            env: &env,
            policy_files: Vec::new(),
            ledger: Some(PathBuf::from("/home/u/.local/share/gate/ledger.db")),
            except,
        });
        let analysis = analyze_script(line, &Wrappers::builtin());
        scope.check(&analysis).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_system_policy_can_turn_one_protection_off() {
        assert_eq!(findings("echo x >> ~/.bashrc", &[]), [PERSISTENCE]);
        assert!(findings("echo x >> ~/.bashrc", &[PERSISTENCE.to_string()]).is_empty());
        // The others stay.
        assert_eq!(
            findings(
                "echo x > ~/.config/gate/policy.toml",
                &[PERSISTENCE.to_string()]
            ),
            [STATE]
        );
    }

    #[test]
    fn the_static_end_of_a_dynamic_word() {
        assert_eq!(static_suffix("$D/policy.toml"), "/policy.toml");
        assert_eq!(static_suffix("${D}/x"), "/x");
        assert_eq!(static_suffix("$(pwd)/y"), "/y");
        assert_eq!(static_suffix("$F"), "");
        assert_eq!(static_suffix("a-$N.log"), ".log");
    }
}
