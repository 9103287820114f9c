//! Which known agent, if any, this gate process descends from: found in the process tree, so
//! that removing the agent's environment markers (`env -u CLAUDECODE gate -- …`, `env -i`)
//! does not make its request look like a person's.
//!
//! It runs on every `gate -- …`, the allow path included, so it reads little: one
//! `/proc/PID/stat` per ancestor (parent and start time), and `cmdline` only for interpreters
//! (a Node or Python agent is known by its script). It stops at the first agent, at pid 1, or
//! after [`MAX_DEPTH`] ancestors.
//!
//! What it cannot see: a process that left the agent's tree (a daemon, `setsid -f`, a tmux or
//! screen server, `systemd-run`, `ssh localhost`) and a pid namespace that hides the ancestors.

use std::io::Read;

use serde::{Deserialize, Serialize};

/// Deeper trees are not walked further (real ones are a dozen levels at most).
const MAX_DEPTH: usize = 64;

/// Known agents by the name of their program: the executable, or the script an interpreter
/// runs, without its extension. The first is the name gate records (the same names as the
/// environment markers in `context`).
const PROGRAMS: &[(&str, &str)] = &[
    ("claude", "claude-code"),
    ("codex", "codex"),
    // The platform binaries Codex's npm package ships, as the kernel truncates their names
    // (15 bytes).
    ("codex-x86_64-un", "codex"),
    ("codex-aarch64-u", "codex"),
    ("gemini", "gemini-cli"),
    ("aider", "aider"),
    ("cursor-agent", "cursor"),
    ("opencode", "opencode"),
    ("goose", "goose"),
    ("amp", "amp"),
    ("qwen", "qwen-code"),
    ("crush", "crush"),
    ("copilot", "copilot"),
    ("droid", "droid"),
    ("auggie", "auggie"),
    ("openhands", "openhands"),
];

/// Agents that run under an interpreter, by the package their script is part of.
const PACKAGES: &[(&str, &str)] = &[
    ("/@anthropic-ai/claude-code/", "claude-code"),
    ("/@openai/codex/", "codex"),
    ("/@google/gemini-cli/", "gemini-cli"),
    ("/@qwen-code/qwen-code/", "qwen-code"),
    ("/opencode-ai/", "opencode"),
    ("/@sourcegraph/amp/", "amp"),
    ("/@github/copilot/", "copilot"),
    ("/@augmentcode/auggie/", "auggie"),
    ("/site-packages/aider/", "aider"),
];

/// A process, named so that a reused pid does not match: its pid and its start time in clock
/// ticks after boot (`/proc/PID/stat` field 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: u32,
    pub start_time: u64,
}

/// The agent process a request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProcess {
    /// The agent, as gate names it (`claude-code`, `codex`, …).
    pub name: String,
    pub pid: u32,
    /// Clock ticks after boot (`/proc/PID/stat` field 22): with the pid, it names one process.
    pub start_time: u64,
    /// What gave it away: its program name, or the script its interpreter runs.
    pub program: String,
}

impl AgentProcess {
    pub fn id(&self) -> ProcessId {
        ProcessId {
            pid: self.pid,
            start_time: self.start_time,
        }
    }

    /// `claude-code (process 4242, claude)`, for messages.
    pub fn describe(&self) -> String {
        format!("{} (process {}, {})", self.name, self.pid, self.program)
    }
}

/// One ancestor as `/proc/PID/stat` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    pub pid: u32,
    pub ppid: u32,
    pub start_time: u64,
    /// The kernel's name for it (`comm`, at most 15 bytes).
    pub comm: String,
}

impl Ancestor {
    pub fn id(&self) -> ProcessId {
        ProcessId {
            pid: self.pid,
            start_time: self.start_time,
        }
    }
}

/// Parse `/proc/PID/stat`: `pid (comm) state ppid … starttime(22) …`. The name may hold spaces
/// and parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(pid: u32, text: &[u8]) -> Option<Ancestor> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let comm = String::from_utf8_lossy(text.get(open + 1..close)?).into_owned();
    let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let _state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    // Field 5 is next; field 22 is 17 further on.
    let start_time = fields.nth(17)?.parse().ok()?;
    Some(Ancestor {
        pid,
        ppid,
        start_time,
        comm,
    })
}

/// Read at most `buf.len()` bytes of `/proc/PID/NAME`.
fn read_proc<'b>(pid: u32, name: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut f = std::fs::File::open(format!("/proc/{pid}/{name}")).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    Some(&buf[..len])
}

fn stat_of(pid: u32) -> Option<Ancestor> {
    // A stat line is a few hundred bytes; its name is at most 15.
    let mut buf = [0u8; 1024];
    parse_stat(pid, read_proc(pid, "stat", &mut buf)?)
}

/// This process's ancestors, parent first, up to and including pid 1 (a container's init may
/// be the agent itself).
pub fn ancestors() -> impl Iterator<Item = Ancestor> {
    let mut next = nix::unistd::getppid().as_raw() as u32;
    let mut child_start: Option<u64> = None;
    let mut depth = 0;
    std::iter::from_fn(move || {
        if next == 0 || depth >= MAX_DEPTH {
            return None;
        }
        depth += 1;
        let a = stat_of(next)?;
        // A parent starts before its child: one that started later is another process that
        // took a dead parent's pid, and the tree above it is not ours.
        if child_start.is_some_and(|c| a.start_time > c) {
            return None;
        }
        child_start = Some(a.start_time);
        next = if a.pid == 1 { 0 } else { a.ppid };
        Some(a)
    })
}

/// The nearest known agent among this process's ancestors.
pub fn find_agent() -> Option<AgentProcess> {
    ancestors().find_map(|a| {
        let (name, program) = recognise(&a, &|pid| {
            let mut buf = [0u8; 4096];
            read_proc(pid, "cmdline", &mut buf).map(<[u8]>::to_vec)
        })?;
        Some(AgentProcess {
            name: name.to_string(),
            pid: a.pid,
            start_time: a.start_time,
            program,
        })
    })
}

/// Whether the process `id` is among this process's ancestors (same pid and start time).
pub fn descends_from(id: ProcessId) -> bool {
    ancestors().any(|a| a.id() == id)
}

fn program_agent(name: &str) -> Option<&'static str> {
    PROGRAMS.iter().find(|(p, _)| *p == name).map(|(_, a)| *a)
}

fn is_interpreter(comm: &str) -> bool {
    matches!(comm, "node" | "nodejs" | "bun" | "deno")
        || comm.starts_with("python")
        || comm.starts_with("pypy")
}

/// The base name of a path without a script extension: `/x/bin/codex.js` → `codex`.
fn stem(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    [".js", ".mjs", ".cjs", ".py"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))
        .unwrap_or(base)
}

/// Which agent `a` is, and what showed it: by its name, or for an interpreter by the script it
/// runs (`cmdline` is read only then), or for a native Claude Code started by its versioned
/// path by its executable.
pub fn recognise(
    a: &Ancestor,
    cmdline: &dyn Fn(u32) -> Option<Vec<u8>>,
) -> Option<(&'static str, String)> {
    if let Some(agent) = program_agent(&a.comm) {
        return Some((agent, a.comm.clone()));
    }
    if is_interpreter(&a.comm) {
        let raw = cmdline(a.pid)?;
        let args: Vec<&str> = raw
            .split(|&b| b == 0)
            .filter_map(|s| std::str::from_utf8(s).ok())
            .collect();
        return script_agent(&args).map(|(agent, s)| (agent, s.to_string()));
    }
    // Claude Code's native installer names the binary after its version
    // (`~/.local/share/claude/versions/2.0.30`); started by that path, that is its name.
    if a.comm.starts_with(|c: char| c.is_ascii_digit()) {
        let exe = std::fs::read_link(format!("/proc/{}/exe", a.pid)).ok()?;
        let exe = exe.to_string_lossy();
        if exe.contains("/claude/versions/") {
            return Some(("claude-code", exe.into_owned()));
        }
    }
    None
}

/// The agent an interpreter's argv runs: its first argument that is not an option (the
/// script), a `-m` module, or an `argv[0]` an agent renamed itself to (Node's
/// `process.title`).
fn script_agent<'a>(args: &[&'a str]) -> Option<(&'static str, &'a str)> {
    let first = *args.first()?;
    if let Some(agent) = program_agent(stem(first)) {
        return Some((agent, first));
    }
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        if *arg == "-m" {
            let module = rest.next()?;
            return program_agent(module).map(|agent| (agent, *module));
        }
        if arg.starts_with('-') {
            continue;
        }
        if let Some(agent) = program_agent(stem(arg)) {
            return Some((agent, arg));
        }
        return PACKAGES
            .iter()
            .find(|(p, _)| arg.contains(p))
            .map(|(_, agent)| (*agent, *arg));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(comm: &str) -> Ancestor {
        Ancestor {
            pid: 42,
            ppid: 1,
            start_time: 7,
            comm: comm.into(),
        }
    }

    fn agent_of(comm: &str, argv: &[&str]) -> Option<&'static str> {
        let raw: Vec<u8> = argv.join("\0").into_bytes();
        recognise(&proc(comm), &|_| Some(raw.clone())).map(|(a, _)| a)
    }

    #[test]
    fn stat_lines_are_parsed_from_the_last_parenthesis() {
        let line = b"4242 (we (ird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
        let a = parse_stat(4242, line).unwrap();
        assert_eq!(a.comm, "we (ird) name");
        assert_eq!(a.ppid, 17);
        assert_eq!(a.start_time, 987654);
        assert_eq!(parse_stat(1, b"garbage"), None);
        assert_eq!(parse_stat(1, b"1 (init) S"), None);
    }

    #[test]
    fn agents_are_known_by_program_or_script() {
        let table: &[(&str, &[&str], Option<&str>)] = &[
            ("claude", &["claude"], Some("claude-code")),
            (
                "node",
                &[
                    "node",
                    "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
                    "--resume",
                ],
                Some("claude-code"),
            ),
            (
                "node",
                &["node", "/usr/local/bin/claude"],
                Some("claude-code"),
            ),
            // process.title = "claude" rewrites argv[0] and leaves comm alone.
            ("node", &["claude", "", ""], Some("claude-code")),
            (
                "node",
                &[
                    "node",
                    "/home/u/.npm-global/lib/node_modules/@openai/codex/bin/codex.js",
                ],
                Some("codex"),
            ),
            ("codex", &["codex", "exec"], Some("codex")),
            ("codex-x86_64-un", &["codex"], Some("codex")),
            (
                "node",
                &[
                    "/usr/bin/node",
                    "--max-old-space-size=8192",
                    "/usr/lib/node_modules/@google/gemini-cli/dist/index.js",
                ],
                Some("gemini-cli"),
            ),
            (
                "node",
                &["node", "/usr/local/bin/gemini"],
                Some("gemini-cli"),
            ),
            (
                "aider",
                &["/usr/bin/python3", "/home/u/.local/bin/aider"],
                Some("aider"),
            ),
            (
                "python3.12",
                &["python3.12", "-m", "aider", "--yes"],
                Some("aider"),
            ),
            (
                "python3",
                &["python3", "/home/u/.local/bin/aider"],
                Some("aider"),
            ),
            ("cursor-agent", &["cursor-agent"], Some("cursor")),
            (
                "bun",
                &["bun", "/x/node_modules/opencode-ai/bin/opencode"],
                Some("opencode"),
            ),
            ("goose", &["goose", "session"], Some("goose")),
            // Not agents: the shell, npm running a script, Python running something else.
            ("bash", &["bash", "-c", "claude"], None),
            (
                "node",
                &["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "test"],
                None,
            ),
            ("python3", &["python3", "-m", "pytest"], None),
            ("node", &["node", "-e", "require('child_process')"], None),
            ("claudette", &["claudette"], None),
        ];
        for (comm, argv, want) in table {
            assert_eq!(agent_of(comm, argv), *want, "{comm} {argv:?}");
        }
    }

    #[test]
    fn the_walk_starts_at_the_parent_and_ends_at_init() {
        let chain: Vec<Ancestor> = ancestors().collect();
        let first = chain.first().expect("a parent");
        assert_eq!(first.pid, nix::unistd::getppid().as_raw() as u32);
        for pair in chain.windows(2) {
            assert_eq!(pair[0].ppid, pair[1].pid);
            assert!(pair[1].start_time <= pair[0].start_time);
        }
        let last = chain.last().unwrap();
        assert!(last.pid == 1 || last.ppid == 0, "{chain:?}");
    }

    #[test]
    fn a_process_matches_by_pid_and_start_time_so_a_reused_pid_does_not() {
        let parent = ancestors().next().unwrap();
        assert!(descends_from(parent.id()));
        assert!(!descends_from(ProcessId {
            pid: parent.pid,
            start_time: parent.start_time + 1,
        }));
        assert!(!descends_from(ProcessId {
            pid: std::process::id(),
            start_time: parent.start_time,
        }));
    }
}
