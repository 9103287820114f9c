//! `gate hooks install|uninstall claude-code|codex|gemini [--project DIR] [--dry-run]`: write
//! (or remove) gate's hook registration in an agent's settings, for every event gate needs,
//! without touching anything else there; and what `gate doctor` says about it.
//!
//! - Claude Code: `~/.claude/settings.json` (`DIR/.claude/settings.json`): `hooks.PreToolUse`
//!   (Bash and the file tools), `hooks.PostToolUse` and `hooks.PostToolUseFailure` (Bash).
//! - Codex CLI: `$CODEX_HOME/config.toml`, default `~/.codex/config.toml`
//!   (`DIR/.codex/config.toml`): `[[hooks.PreToolUse]]` (Bash, apply_patch) and
//!   `[[hooks.PostToolUse]]` (Bash). Codex runs a hook only once the user trusted it (`/hooks`
//!   in Codex, which writes `[hooks.state."PATH:pre_tool_use:G:H"] trusted_hash`), and skips an
//!   untrusted one silently. Installing records that trust for gate's handlers the way `/hooks`
//!   does (see `trust_codex`; the recipe is Codex's and is checked against the pinned Codex by
//!   `scripts/agents-e2e.sh`), and says how to grant it by hand if a Codex release changes it.
//! - Gemini CLI: `~/.gemini/settings.json` (`DIR/.gemini/settings.json`): `hooksConfig.enabled`,
//!   `hooks.BeforeTool` (shell and file tools) and `hooks.AfterTool` (shell).
//!
//! gate's entries are the handlers whose command runs a program named `gate` with
//! `hook AGENT`: installing removes those (whatever path they name) and adds the new ones, so it
//! is idempotent and moves an entry to the gate that runs it. Settings are edited in place, key
//! order and every other value kept byte for byte (JSON: values read raw; TOML: `toml_edit`); a
//! copy of the old file is left beside it (`FILE.gate-backup`); a symlinked file is edited where
//! it points. A file that is not valid JSON/TOML is never written: the error says where.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::exit::Exit;

/// The agents gate can set hooks up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    #[value(name = "claude-code")]
    ClaudeCode,
    Codex,
    Gemini,
}

impl Agent {
    pub const ALL: [Agent; 3] = [Agent::ClaudeCode, Agent::Codex, Agent::Gemini];

    /// The name in `gate hook NAME`.
    pub fn hook_name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
        }
    }

    /// The agent's program on PATH.
    fn program(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "Claude Code",
            Agent::Codex => "Codex CLI",
            Agent::Gemini => "Gemini CLI",
        }
    }

    /// The agent's own directory in HOME (or `DIR` for a project).
    fn dir(self, project: Option<&Path>) -> Option<PathBuf> {
        let name = match self {
            Agent::ClaudeCode => ".claude",
            Agent::Codex => ".codex",
            Agent::Gemini => ".gemini",
        };
        if let Some(p) = project {
            return Some(p.join(name));
        }
        if self == Agent::Codex
            && let Some(home) = std::env::var_os("CODEX_HOME").filter(|h| !h.is_empty())
        {
            return Some(PathBuf::from(home));
        }
        crate::env_vars::home_dir().map(|h| h.join(name))
    }

    /// The settings file gate's entries go in.
    pub fn settings(self, project: Option<&Path>) -> Option<PathBuf> {
        let file = match self {
            Agent::ClaudeCode | Agent::Gemini => "settings.json",
            Agent::Codex => "config.toml",
        };
        self.dir(project).map(|d| d.join(file))
    }

    /// Each event gate needs: (event, tool matcher, timeout, whether its timeout is in ms).
    fn events(self) -> &'static [(&'static str, &'static str, u64)] {
        match self {
            Agent::ClaudeCode => &[
                ("PreToolUse", "Bash|Write|Edit|MultiEdit|NotebookEdit", 600),
                ("PostToolUse", "Bash", 60),
                ("PostToolUseFailure", "Bash", 60),
            ],
            Agent::Codex => &[
                ("PreToolUse", "Bash|apply_patch", 600),
                ("PostToolUse", "Bash", 60),
            ],
            // Milliseconds.
            Agent::Gemini => &[
                (
                    "BeforeTool",
                    "run_shell_command|write_file|replace",
                    600_000,
                ),
                ("AfterTool", "run_shell_command", 60_000),
            ],
        }
    }
}

/// The command an agent runs: this gate, by its absolute path.
fn hook_command(agent: Agent) -> Result<String> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::Io(format!("cannot tell where this gate is: {e}")))?;
    let path = exe.to_string_lossy();
    let quoted = if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        path.into_owned()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    };
    Ok(format!("{quoted} hook {}", agent.hook_name()))
}

/// Whether a hook command is gate's for `agent`: a program named `gate` (any path, quoted or
/// not) followed by `hook AGENT`.
fn is_gate_command(command: &str, agent: Agent) -> bool {
    let (program, rest) = split_program(command);
    let mut words = rest.split_whitespace();
    crate::analyze::basename(&program) == "gate"
        && words.next() == Some("hook")
        && words.next() == Some(agent.hook_name())
}

/// A hook command's program (unquoted) and the rest of it.
fn split_program(command: &str) -> (String, &str) {
    let command = command.trim_start();
    for q in ['\'', '"'] {
        if let Some(inner) = command.strip_prefix(q)
            && let Some(end) = inner.find(q)
        {
            return (inner[..end].to_string(), &inner[end + 1..]);
        }
    }
    match command.split_once(char::is_whitespace) {
        Some((p, rest)) => (p.to_string(), rest),
        None => (command.to_string(), ""),
    }
}

/// What installing or removing did to a file.
struct Edit {
    /// The settings file as the agent names it (Codex keys its trust by this path).
    configured: PathBuf,
    /// The file written: the same, or where a symlink there points.
    path: PathBuf,
    before: Option<String>,
    after: String,
}

pub fn install(agent: Agent, project: Option<PathBuf>, dry_run: bool) -> Result<Exit> {
    let edit = plan(agent, project.as_deref(), true)?;
    finish(agent, edit, dry_run, true)
}

pub fn uninstall(agent: Agent, project: Option<PathBuf>, dry_run: bool) -> Result<Exit> {
    let edit = plan(agent, project.as_deref(), false)?;
    finish(agent, edit, dry_run, false)
}

fn plan(agent: Agent, project: Option<&Path>, install: bool) -> Result<Edit> {
    let path = agent.settings(project).ok_or_else(|| {
        Error::Config(format!(
            "cannot find {}'s settings: set HOME (or use --project DIR)",
            agent.title()
        ))
    })?;
    let configured = path.clone();
    // A symlinked settings file (a dotfile manager's) is edited where it points.
    let path = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => path.canonicalize().map_err(|e| {
            Error::Io(format!(
                "{}: a symlink gate cannot follow: {e}",
                path.display()
            ))
        })?,
        _ => path,
    };
    let before = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
    };
    let command = hook_command(agent)?;
    let text = before.as_deref().unwrap_or("");
    let after = match agent {
        Agent::ClaudeCode | Agent::Gemini => edit_json(agent, text, &command, install),
        Agent::Codex => edit_toml(agent, text, &command, install)
            .and_then(|t| trust_codex(&configured, &t, install)),
    }
    .map_err(|why| {
        Error::Config(format!(
            "{}: {why}; it was left as it is (fix it, or move it away, then run this again)",
            path.display()
        ))
    })?;
    Ok(Edit {
        configured,
        path,
        before,
        after,
    })
}

fn finish(agent: Agent, edit: Edit, dry_run: bool, install: bool) -> Result<Exit> {
    let Edit {
        configured,
        path,
        before,
        after,
    } = edit;
    let unchanged = before.as_deref() == Some(after.as_str()) || (before.is_none() && !install);
    if unchanged {
        println!(
            "{}: {} (nothing to change)",
            path.display(),
            if install {
                format!("gate's hooks for {} are already there", agent.title())
            } else {
                format!("no gate hooks for {}", agent.title())
            }
        );
        if install {
            print_after_install(agent, &configured, &after);
        }
        return Ok(Exit::Success);
    }
    if dry_run {
        println!("--- {} (as it is)", path.display());
        println!("+++ {} (as `gate hooks` would write it)", path.display());
        let diff = similar::TextDiff::from_lines(before.as_deref().unwrap_or(""), &after);
        print!("{}", diff.unified_diff().context_radius(3));
        return Ok(Exit::Success);
    }
    write_settings(&path, before.as_deref(), &after)?;
    if install {
        println!(
            "{}: gate's hooks for {} written{}",
            path.display(),
            agent.title(),
            if before.is_some() {
                format!(" (the old file is in {})", backup_path(&path).display())
            } else {
                String::new()
            }
        );
        print_after_install(agent, &configured, &after);
    } else {
        println!(
            "{}: gate's hooks for {} removed (the old file is in {})",
            path.display(),
            agent.title(),
            backup_path(&path).display()
        );
    }
    Ok(Exit::Success)
}

fn print_after_install(agent: Agent, path: &Path, text: &str) {
    match agent {
        Agent::Codex => {
            let keys = codex_state_keys(path, text);
            println!(
                "Codex runs a hook only once it is trusted, and skips an untrusted one without a word: gate recorded the trust for its hooks as Codex's /hooks does ({}).",
                keys.join(", ")
            );
            println!(
                "  If Codex shows them as modified or untrusted (a Codex release that hashes them differently): start `codex`, open `/hooks` and trust them; in CI `codex exec --dangerously-bypass-hook-trust` runs them regardless."
            );
            println!("  Check with `gate doctor`.");
        }
        Agent::Gemini => println!(
            "Headless `gemini -p` offers its shell tool only with --approval-mode yolo (or a policy allowing it), and only in a trusted folder. Check with `gate doctor`."
        ),
        Agent::ClaudeCode => println!("Check with `gate doctor`."),
    }
}

fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".gate-backup");
    path.with_file_name(name)
}

/// Write `after` over `path` atomically (a temporary file beside it, renamed over it), keeping
/// its mode; the old content is kept in the backup first.
fn write_settings(path: &Path, before: Option<&str>, after: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |what: &str, e: std::io::Error| Error::Io(format!("{what} {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create the directory of", e))?;
    }
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600);
    if let Some(old) = before {
        let backup = backup_path(path);
        std::fs::write(&backup, old).map_err(|e| io("cannot keep a backup of", e))?;
        let _ = std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(mode));
    }
    // Refuse a file its owner made read-only, rather than replace it.
    if before.is_some()
        && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o200 == 0)
    {
        return Err(Error::Io(format!(
            "{} is read-only: gate does not replace it (make it writable, or add the hooks by hand)",
            path.display()
        )));
    }
    let tmp = path.with_file_name(format!(
        ".{}.gate-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(after.as_bytes())?;
            f.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("cannot write", e));
    }
    Ok(())
}

/// A JSON value that keeps its objects' key order (serde_json's own `Value` sorts them).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum OrderedJson {
    Object(IndexMap<String, OrderedJson>),
    Array(Vec<OrderedJson>),
    Other(serde_json::Value),
}

impl OrderedJson {
    fn str(&self) -> Option<&str> {
        match self {
            OrderedJson::Other(v) => v.as_str(),
            _ => None,
        }
    }
}

/// Claude Code's and Gemini's settings.json, with gate's entries removed and, to install,
/// added back. Everything else keeps its place and value; the file is printed pretty, so that a
/// file gate wrote reads like one a person did.
fn edit_json(
    agent: Agent,
    text: &str,
    command: &str,
    install: bool,
) -> std::result::Result<String, String> {
    use OrderedJson::{Array, Object, Other};
    let mut top: IndexMap<String, OrderedJson> = if text.trim().is_empty() {
        IndexMap::new()
    } else {
        serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?
    };
    // Taken out and put back in its place (an IndexMap insert keeps an existing key's slot).
    let mut hooks = match top.get_mut("hooks") {
        Some(Object(h)) => std::mem::take(h),
        Some(_) => return Err("`hooks` is not an object".into()),
        None => IndexMap::new(),
    };
    for (event, matcher, timeout) in agent.events() {
        let mut groups = match hooks.get_mut(*event) {
            Some(Array(g)) => std::mem::take(g),
            Some(_) => return Err(format!("`hooks.{event}` is not an array")),
            None => Vec::new(),
        };
        groups.retain_mut(|group| without_gate_handlers(group, agent));
        if install {
            // Key by key, in the order the agents' documentation shows them.
            let text = |t: &str| Other(serde_json::json!(t));
            let mut handler = IndexMap::new();
            if agent == Agent::Gemini {
                handler.insert("name".to_string(), text("gate"));
            }
            handler.insert("type".into(), text("command"));
            handler.insert("command".into(), text(command));
            handler.insert("timeout".into(), Other(serde_json::json!(timeout)));
            let mut group = IndexMap::new();
            group.insert("matcher".to_string(), text(matcher));
            group.insert("hooks".into(), Array(vec![Object(handler)]));
            groups.push(Object(group));
        }
        if groups.is_empty() {
            hooks.shift_remove(*event);
        } else {
            hooks.insert((*event).to_string(), Array(groups));
        }
    }
    if hooks.is_empty() {
        top.shift_remove("hooks");
    } else {
        top.insert("hooks".into(), Object(hooks));
    }
    if install && agent == Agent::Gemini {
        let config = top
            .entry("hooksConfig".into())
            .or_insert_with(|| Object(IndexMap::new()));
        let Object(config) = config else {
            return Err("`hooksConfig` is not an object".into());
        };
        config.insert("enabled".into(), Other(serde_json::json!(true)));
    }
    let mut out = serde_json::to_string_pretty(&top).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

/// Remove gate's handlers from a matcher group: whether anything is left of it (a group gate's
/// handlers emptied goes; any other shape is kept as it is).
fn without_gate_handlers(group: &mut OrderedJson, agent: Agent) -> bool {
    let OrderedJson::Object(group) = group else {
        return true;
    };
    let Some(OrderedJson::Array(handlers)) = group.get_mut("hooks") else {
        return true;
    };
    let total = handlers.len();
    handlers.retain(|h| {
        let command = match h {
            OrderedJson::Object(h) => h.get("command").and_then(OrderedJson::str),
            _ => None,
        };
        !command.is_some_and(|c| is_gate_command(c, agent))
    });
    handlers.len() == total || !handlers.is_empty()
}

/// Codex's config.toml, with gate's entries removed and, to install, added back; comments and
/// everything else kept.
fn edit_toml(
    agent: Agent,
    text: &str,
    command: &str,
    install: bool,
) -> std::result::Result<String, String> {
    use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML ({e})"))?;
    if !doc.contains_key("hooks") {
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert("hooks", Item::Table(t));
    }
    let hooks = doc["hooks"]
        .as_table_mut()
        .ok_or("`hooks` is not a table")?;
    for (event, matcher, timeout) in agent.events() {
        if let Some(item) = hooks.get_mut(event) {
            let groups = item.as_array_of_tables_mut().ok_or(format!(
                "`hooks.{event}` is not an array of tables ([[hooks.{event}]])"
            ))?;
            let mut i = 0;
            while i < groups.len() {
                let group = groups.get_mut(i).expect("in range");
                let mut emptied = false;
                if let Some(handlers) = group
                    .get_mut("hooks")
                    .and_then(Item::as_array_of_tables_mut)
                {
                    handlers.retain(|h| {
                        !h.get("command")
                            .and_then(Item::as_str)
                            .is_some_and(|c| is_gate_command(c, agent))
                    });
                    emptied = handlers.is_empty();
                }
                if emptied {
                    groups.remove(i);
                } else {
                    i += 1;
                }
            }
            if groups.is_empty() {
                hooks.remove(event);
            }
        }
        if install {
            let mut handler = Table::new();
            handler.insert("type", value("command"));
            handler.insert("command", value(command));
            handler.insert("timeout", value(*timeout as i64));
            let mut handlers = ArrayOfTables::new();
            handlers.push(handler);
            let mut group = Table::new();
            group.insert("matcher", value(*matcher));
            group.insert("hooks", Item::ArrayOfTables(handlers));
            match hooks.get_mut(event).and_then(Item::as_array_of_tables_mut) {
                Some(groups) => groups.push(group),
                None => {
                    let mut groups = ArrayOfTables::new();
                    groups.push(group);
                    hooks.insert(event, Item::ArrayOfTables(groups));
                }
            }
        }
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    Ok(doc.to_string())
}

/// Codex's trust for gate's handlers, as its `/hooks` records it: `[hooks.state."KEY"]
/// trusted_hash = "sha256:…"`, the hash of the entry's normalized identity (event label,
/// matcher, the one handler with its timeout; absent fields left out), as compact JSON with
/// every object's keys sorted. The recipe is Codex's (checked against Codex CLI 0.171.0 by
/// `scripts/agents-e2e.sh`, which runs it without `--dangerously-bypass-hook-trust`); the
/// user asked for these hooks by running `gate hooks install codex`. Stale trust entries of
/// gate's earlier keys are removed first.
fn trust_codex(path: &Path, text: &str, install: bool) -> std::result::Result<String, String> {
    use toml_edit::{DocumentMut, Item, Table, value};
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML ({e})"))?;
    let prefix = format!("{}:", path.display());
    let handlers = codex_handlers(text);
    let wanted: Vec<(String, String)> = handlers
        .iter()
        .filter_map(|(event, g, h)| {
            let group = doc
                .get("hooks")?
                .get(event)?
                .as_array_of_tables()?
                .get(*g)?;
            let matcher = group.get("matcher").and_then(Item::as_str);
            let handler = group.get("hooks")?.as_array_of_tables()?.get(*h)?;
            let command = handler.get("command")?.as_str()?;
            let timeout = handler
                .get("timeout")
                .and_then(Item::as_integer)
                .unwrap_or(600)
                .max(1);
            let key = format!("{prefix}{}:{g}:{h}", snake(event));
            Some((
                key,
                codex_hook_hash(&snake(event), matcher, command, timeout),
            ))
        })
        .collect();
    let Some(hooks) = doc.get_mut("hooks").and_then(Item::as_table_mut) else {
        return Ok(doc.to_string());
    };
    if let Some(state) = hooks.get_mut("state").and_then(Item::as_table_like_mut) {
        // gate's own earlier trust entries (keys of this file that no longer name a gate
        // handler, or that will be written again).
        let stale: Vec<String> = state
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| {
                k.starts_with(&prefix)
                    && (wanted.iter().any(|(w, _)| w == k) || gate_state_key(k, text))
            })
            .collect();
        for k in stale {
            state.remove(&k);
        }
    }
    if install {
        if !hooks.contains_key("state") {
            let mut t = Table::new();
            t.set_implicit(true);
            hooks.insert("state", Item::Table(t));
        }
        let state = hooks["state"]
            .as_table_mut()
            .ok_or("`hooks.state` is not a table")?;
        for (key, hash) in wanted {
            let mut entry = Table::new();
            entry.insert("trusted_hash", value(hash));
            state.insert(&key, Item::Table(entry));
        }
    }
    if hooks
        .get("state")
        .and_then(Item::as_table_like)
        .is_some_and(|t| t.is_empty())
    {
        hooks.remove("state");
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    Ok(doc.to_string())
}

/// Whether a `hooks.state` key of this file names a handler that is no longer there (gate's
/// trust for a position it moved from).
fn gate_state_key(key: &str, text: &str) -> bool {
    let mut parts = key.rsplitn(3, ':');
    let (Some(h), Some(g)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(h), Ok(g)) = (h.parse::<usize>(), g.parse::<usize>()) else {
        return false;
    };
    let Some(rest) = parts.next() else {
        return false;
    };
    let event = rest.rsplit(':').next().unwrap_or("");
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return false;
    };
    let camel: String = event
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let present = doc
        .get("hooks")
        .and_then(|h| h.get(&camel))
        .and_then(|e| e.as_array_of_tables())
        .and_then(|groups| groups.get(g))
        .and_then(|group| group.get("hooks"))
        .and_then(|hs| hs.as_array_of_tables())
        .and_then(|hs| hs.get(h))
        .is_some();
    !present
}

/// The hash Codex trusts a command hook by: SHA-256 over the compact JSON, keys sorted, of
/// `{event_name, matcher, hooks: [{type, command, timeout, async}]}`.
fn codex_hook_hash(
    event_label: &str,
    matcher: Option<&str>,
    command: &str,
    timeout: i64,
) -> String {
    use sha2::{Digest, Sha256};
    let mut identity = serde_json::json!({
        "event_name": event_label,
        "hooks": [{"type": "command", "command": command, "timeout": timeout, "async": false}],
    });
    if let Some(m) = matcher {
        identity["matcher"] = serde_json::json!(m);
    }
    // serde_json's map keeps keys sorted: this is the canonical text.
    let text = serde_json::to_string(&identity).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// The `[hooks.state."…"]` keys Codex trusts gate's handlers under: `PATH:event:group:handler`.
fn codex_state_keys(path: &Path, text: &str) -> Vec<String> {
    codex_handlers(text)
        .into_iter()
        .map(|(event, g, h)| format!("{}:{}:{g}:{h}", path.display(), snake(&event)))
        .collect()
}

fn snake(event: &str) -> String {
    let mut out = String::new();
    for (i, c) in event.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// gate's handlers in a Codex config: (event, group index, handler index).
fn codex_handlers(text: &str) -> Vec<(String, usize, usize)> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Some(hooks) = doc.get("hooks").and_then(|h| h.as_table()) else {
        return out;
    };
    for (event, _, _) in Agent::Codex.events() {
        let Some(groups) = hooks.get(event).and_then(|g| g.as_array_of_tables()) else {
            continue;
        };
        for (g, group) in groups.iter().enumerate() {
            let Some(handlers) = group.get("hooks").and_then(|h| h.as_array_of_tables()) else {
                continue;
            };
            for (h, handler) in handlers.iter().enumerate() {
                if handler
                    .get("command")
                    .and_then(|c| c.as_str())
                    .is_some_and(|c| is_gate_command(c, Agent::Codex))
                {
                    out.push(((*event).to_string(), g, h));
                }
            }
        }
    }
    out
}

/// One line of `gate doctor`'s agents section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCheck {
    pub name: String,
    /// `ok`, `warn` or `fail`.
    pub status: &'static str,
    pub detail: String,
    pub fix: Option<String>,
}

/// For each agent found (its program on PATH or its directory in HOME): whether gate's hook is
/// registered for every event it needs, runs a gate that exists, and (Codex) is trusted.
pub fn doctor_checks() -> Vec<AgentCheck> {
    let mut out = Vec::new();
    for agent in Agent::ALL {
        let on_path = crate::context::resolve_program(agent.program()).is_some();
        let dir = agent.dir(None);
        let has_dir = dir.as_deref().is_some_and(Path::is_dir);
        if !on_path && !has_dir {
            continue;
        }
        out.push(check_agent(agent, on_path));
    }
    out
}

fn check_agent(agent: Agent, on_path: bool) -> AgentCheck {
    let name = agent.title().to_string();
    let install = format!("gate hooks install {}", agent.hook_name());
    let fail = |detail: String, fix: Option<String>| AgentCheck {
        name: name.clone(),
        status: "fail",
        detail,
        fix,
    };
    let Some(path) = agent.settings(None) else {
        return fail("cannot find its settings (HOME is not set)".into(), None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fail(
                format!(
                    "{} has no gate hooks (the file does not exist)",
                    path.display()
                ),
                Some(install),
            );
        }
        Err(e) => return fail(format!("cannot read {}: {e}", path.display()), None),
    };
    let commands = match registered(agent, &text) {
        Ok(c) => c,
        Err(why) => {
            return fail(
                format!("{}: {why}", path.display()),
                Some(format!("fix the file, then run `{install}`")),
            );
        }
    };
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for (event, _, _) in agent.events() {
        match commands.iter().find(|(e, _)| e == event) {
            None => missing.push(*event),
            Some((_, command)) => {
                let (program, _) = split_program(command);
                let exists = if program.contains('/') {
                    Path::new(&program).is_file()
                } else {
                    crate::context::resolve_program(&program).is_some()
                };
                if !exists {
                    stale.push(format!("{event} runs {program}, which does not exist"));
                }
            }
        }
    }
    if !missing.is_empty() {
        return fail(
            format!(
                "{}: no gate hook for {}",
                path.display(),
                missing.join(", ")
            ),
            Some(install),
        );
    }
    if !stale.is_empty() {
        return fail(
            format!("{}: {}", path.display(), stale.join("; ")),
            Some(install),
        );
    }
    let where_ = if on_path {
        format!("`{}` on PATH", agent.program())
    } else {
        format!(
            "not on PATH ({} only)",
            agent
                .dir(None)
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    };
    if agent == Agent::Codex && !codex_trust_holds(&path, &text) {
        return AgentCheck {
            name,
            status: "warn",
            detail: format!(
                "{}: gate's hooks are registered but Codex's trust for them is missing or is for another version of the entry; Codex skips an untrusted hook silently",
                path.display()
            ),
            fix: Some(format!(
                "run `{install}` again, or start `codex`, open `/hooks` and trust gate's hooks; in CI pass `codex exec --dangerously-bypass-hook-trust`"
            )),
        };
    }
    AgentCheck {
        name,
        status: "ok",
        detail: format!(
            "{}: gate's hooks for {} ({where_})",
            path.display(),
            agent
                .events()
                .iter()
                .map(|(e, _, _)| *e)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        fix: None,
    }
}

/// Whether Codex's config trusts each of gate's handlers with the hash of the entry as it is.
fn codex_trust_holds(path: &Path, text: &str) -> bool {
    let Ok(expected) = trust_codex(path, text, true) else {
        return false;
    };
    let (Ok(have), Ok(want)) = (
        text.parse::<toml_edit::DocumentMut>(),
        expected.parse::<toml_edit::DocumentMut>(),
    ) else {
        return false;
    };
    let state = |d: &toml_edit::DocumentMut, k: &str| {
        d.get("hooks")
            .and_then(|h| h.get("state"))
            .and_then(|s| s.get(k))
            .and_then(|e| e.get("trusted_hash"))
            .and_then(|h| h.as_str())
            .map(str::to_string)
    };
    codex_state_keys(path, text)
        .iter()
        .all(|k| state(&have, k).is_some() && state(&have, k) == state(&want, k))
}

/// gate's registered events in a settings file: (event, command).
fn registered(agent: Agent, text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    match agent {
        Agent::ClaudeCode | Agent::Gemini => {
            let v: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
            if agent == Agent::Gemini
                && v.pointer("/hooksConfig/enabled").and_then(|e| e.as_bool()) == Some(false)
            {
                return Err("hooks are turned off (`hooksConfig.enabled` is false)".into());
            }
            for (event, _, _) in agent.events() {
                for group in v
                    .pointer(&format!("/hooks/{event}"))
                    .and_then(|g| g.as_array())
                    .into_iter()
                    .flatten()
                {
                    for h in group
                        .get("hooks")
                        .and_then(|h| h.as_array())
                        .into_iter()
                        .flatten()
                    {
                        if let Some(c) = h.get("command").and_then(|c| c.as_str())
                            && is_gate_command(c, agent)
                        {
                            out.push(((*event).to_string(), c.to_string()));
                        }
                    }
                }
            }
        }
        Agent::Codex => {
            let doc: toml_edit::DocumentMut =
                text.parse().map_err(|e| format!("not valid TOML ({e})"))?;
            for (event, g, h) in codex_handlers(text) {
                let command = doc["hooks"][&event][g]["hooks"][h]["command"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                out.push((event, command));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_commands_are_recognised_by_program_and_agent() {
        assert!(is_gate_command("gate hook codex", Agent::Codex));
        assert!(is_gate_command(
            "/usr/local/bin/gate hook codex",
            Agent::Codex
        ));
        assert!(is_gate_command(
            "'/opt/my tools/gate' hook codex",
            Agent::Codex
        ));
        assert!(!is_gate_command("gate hook claude-code", Agent::Codex));
        assert!(!is_gate_command("/usr/bin/other hook codex", Agent::Codex));
        assert!(!is_gate_command("gatekeeper hook codex", Agent::Codex));
    }

    #[test]
    fn json_settings_keep_everything_else_in_order() {
        let text = r#"{
  "model": "opus",
  "permissions": {"allow": ["Bash(ls:*)"], "deny": []},
  "hooks": {
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "/old/gate hook claude-code"}, {"type": "command", "command": "audit.sh"}]}
    ],
    "Stop": [{"hooks": [{"type": "command", "command": "notify.sh"}]}]
  },
  "zeta": 1
}
"#;
        let out = edit_json(Agent::ClaudeCode, text, "/new/gate hook claude-code", true).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // Others' hooks stay, gate's old one is replaced by the new ones.
        assert!(
            out.contains("audit.sh") && out.contains("notify.sh"),
            "{out}"
        );
        assert!(!out.contains("/old/gate"), "{out}");
        assert_eq!(
            v["hooks"]["PostToolUseFailure"][0]["hooks"][0]["command"],
            "/new/gate hook claude-code"
        );
        // Key order of the file is kept.
        let model = out.find("\"model\"").unwrap();
        let perms = out.find("\"permissions\"").unwrap();
        let zeta = out.find("\"zeta\"").unwrap();
        assert!(model < perms && perms < zeta, "{out}");
        // Idempotent.
        assert_eq!(
            edit_json(Agent::ClaudeCode, &out, "/new/gate hook claude-code", true).unwrap(),
            out
        );
        // Uninstall leaves the rest.
        let back = edit_json(Agent::ClaudeCode, &out, "/new/gate hook claude-code", false).unwrap();
        assert!(!back.contains("gate hook"), "{back}");
        assert!(
            back.contains("audit.sh") && back.contains("notify.sh"),
            "{back}"
        );
    }

    #[test]
    fn toml_settings_keep_comments_and_name_the_trust_keys() {
        let text = "# my codex\nmodel = \"o4\"  # keep\n\n[[hooks.PreToolUse]]\nmatcher = \"Bash\"\n\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"audit.sh\"\n";
        let out = edit_toml(Agent::Codex, text, "/g/gate hook codex", true).unwrap();
        assert!(
            out.starts_with("# my codex\nmodel = \"o4\"  # keep"),
            "{out}"
        );
        assert!(out.contains("audit.sh"), "{out}");
        let keys = codex_state_keys(Path::new("/h/.codex/config.toml"), &out);
        assert_eq!(
            keys,
            [
                "/h/.codex/config.toml:pre_tool_use:1:0",
                "/h/.codex/config.toml:post_tool_use:0:0"
            ]
        );
        assert_eq!(
            edit_toml(Agent::Codex, &out, "/g/gate hook codex", true).unwrap(),
            out
        );
        let back = edit_toml(Agent::Codex, &out, "/g/gate hook codex", false).unwrap();
        assert!(!back.contains("gate hook"), "{back}");
        assert!(back.contains("audit.sh"), "{back}");
    }

    #[test]
    fn broken_settings_are_refused_not_rewritten() {
        assert!(edit_json(Agent::Gemini, "{ not json", "gate hook gemini", true).is_err());
        assert!(edit_json(Agent::Gemini, r#"{"hooks": []}"#, "gate hook gemini", true).is_err());
        assert!(edit_toml(Agent::Codex, "hooks = [", "gate hook codex", true).is_err());
        assert!(edit_toml(Agent::Codex, "hooks = 3", "gate hook codex", true).is_err());
    }
}
