//! Differential test of the shell analyser against the real shells.
//!
//! Command lines are generated from a small vocabulary (seeded xorshift PRNG, so a run is
//! reproducible) out of the syntax gate claims to understand: lists, pipelines, subshells,
//! groups, `if`/`for`/`while`/`until`/`case`, functions defined and called, `$( )`, backticks,
//! here-strings, here-documents, quotes and escapes, `time`, `!`, redirections between words,
//! assignments in front, `export`, and the wrappers `env`, `nice`, `timeout`, `xargs`, `command`,
//! `exec`, `bash -c`, `sh -c`. Each line runs under `bash -c` and under `dash -c` with an empty
//! environment but `PATH`, in its own temporary directory, where every program name is a stub
//! that records its argv (one file per exec) and does nothing else; the wrappers and shells are
//! the real programs (symlinks), so they exec the stubs behind them.
//!
//! Every argv a shell really executed must appear among `analyze_script`'s commands (words
//! compared after quote removal; a word gate marks dynamic stands for any number of words), or
//! gate must call the line opaque. A miss is printed with the line, the shell, what ran and what
//! gate saw. Known, accepted gaps are listed in [`KNOWN_GAPS`], each with its reason.
//!
//! `GATE_DIFF_COUNT` (default 300) and `GATE_DIFF_SEED` (default fixed) choose the lines;
//! `GATE_DIFF_JOBS` the number of lines run at once (default 2); `GATE_DIFF_VERBOSE=1` prints
//! every line with what ran.

use std::fs;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gate::analyze::{Analysis, Word, Wrappers, analyze_script};

// ---------------------------------------------------------------------------------------------
// The generator.

/// xorshift64*: tiny, deterministic, good enough to pick grammar productions.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }

    /// True `pct` times in a hundred.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Stub programs: each records its argv. `kdel` exits 1, the others 0.
const STUBS: &[&str] = &["a", "b", "c", "rmx", "kdel"];
/// Real programs linked into the stub directory: the wrappers exec the stubs behind them.
const REAL: &[(&str, &str)] = &[
    ("env", "/usr/bin/env"),
    ("nice", "/usr/bin/nice"),
    ("timeout", "/usr/bin/timeout"),
    ("xargs", "/usr/bin/xargs"),
    ("time", "/usr/bin/time"),
    ("cat", "/usr/bin/cat"),
    ("bash", "/usr/bin/bash"),
    ("sh", "/usr/bin/dash"),
];
/// Functions may be named like a stub: `rmx` then runs the function. Function bodies never
/// call a function nor `rmx`, so no line recurses.
const FUNCS: &[&str] = &["f", "g", "rmx"];

struct Gen<'r> {
    rng: &'r mut Rng,
    /// Functions defined so far in this shell (callable).
    funcs: Vec<&'static str>,
    /// Inside a function body: no calls, no `rmx`.
    in_body: bool,
    /// Inside backticks: keep to plain words.
    in_backticks: bool,
}

/// Append `;` unless the text already ends a line (a here-document's terminator).
fn term(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}; ")
    }
}

fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Gen<'_> {
    fn name(&mut self) -> String {
        let mut names: Vec<&str> = STUBS.to_vec();
        if self.in_body {
            names.retain(|n| *n != "rmx");
        } else if !self.funcs.is_empty() && self.rng.chance(30) {
            return self.funcs[self.rng.below(self.funcs.len())].to_string();
        }
        let n = self.rng.pick(&names);
        if self.in_backticks {
            return n.to_string();
        }
        match self.rng.below(12) {
            0 => format!("'{n}'"),
            1 => format!("\"{n}\""),
            2 => format!("\\{n}"),
            3 => format!("{n}''"),
            4 => format!("$'{n}'"),
            5 if n.len() > 1 => format!("{}\"{}\"", &n[..1], &n[1..]),
            _ => n.to_string(),
        }
    }

    /// A short script for a substitution, kept to simple commands most of the time.
    fn sub_script(&mut self, depth: usize) -> String {
        if depth >= 3 || self.in_backticks || self.rng.chance(60) {
            let saved = self.in_backticks;
            let s = self.simple(depth + 1, false);
            self.in_backticks = saved;
            s
        } else {
            self.list(depth + 1)
        }
    }

    fn word(&mut self, depth: usize) -> String {
        const PLAIN: &[&str] = &[
            "x",
            "-f",
            "--all",
            "1",
            "p.q",
            "/dev/null",
            "=x",
            "k=v",
            "-",
            "--",
            "%s",
        ];
        const QUOTED: &[&str] = &[
            "'p q'",
            "\"p q\"",
            "\"x$v\"",
            "'$(a)'",
            "\"\\\"q\\\"\"",
            "$'t\\tu'",
            "$'\\x61'",
            "a\\ b",
            "\\$x",
            "\"\"",
            "''",
            "\"'\"",
            "'\"'",
            "x'y'\"z\"",
        ];
        const DYNAMIC: &[&str] = &[
            "$v", "\"$v\"", "${v:-d}", "$((1+2))", "{x,y}", "\"$@\"", "$1", "${#v}", "$?",
        ];
        if self.in_backticks {
            return self.rng.pick(PLAIN).to_string();
        }
        match self.rng.below(20) {
            0..=7 => self.rng.pick(PLAIN).to_string(),
            8..=12 => self.rng.pick(QUOTED).to_string(),
            13..=14 => self.rng.pick(DYNAMIC).to_string(),
            15 if depth < 3 => format!("$({})", self.sub_script(depth)),
            16 if depth < 3 => format!("\"$({})\"", self.sub_script(depth)),
            17 if depth < 3 => {
                let saved = self.in_backticks;
                self.in_backticks = true;
                let s = self.simple(depth + 1, false);
                self.in_backticks = saved;
                format!("`{s}`")
            }
            18 if depth < 3 => format!("${{v:-$({})}}", self.sub_script(depth)),
            _ => format!("{}{}", self.rng.pick(PLAIN), self.rng.pick(QUOTED)),
        }
    }

    fn redirect(&mut self, depth: usize) -> String {
        const R: &[&str] = &[
            ">/dev/null",
            "2>/dev/null",
            "2>&1",
            ">>/dev/null",
            "</dev/null",
            "&>/dev/null",
            ">&2",
            "1>/dev/null",
            ">| /dev/null",
        ];
        if depth < 3 && !self.in_backticks && self.rng.chance(15) {
            return format!("2>\"/dev/null$({})\"", self.sub_script(depth));
        }
        self.rng.pick(R).to_string()
    }

    /// A here-document (or here-string) fed to the command; a here-document ends the line.
    fn heredoc(&mut self, depth: usize) -> String {
        match self.rng.below(5) {
            0 => format!(" <<< {}", self.word(depth)),
            1 if depth < 3 => format!(" <<< \"$({})\"", self.sub_script(depth)),
            2 => {
                let body = self.heredoc_body(depth);
                format!(" <<'EOF'\n{body}\nEOF\n")
            }
            3 => {
                let body = self.heredoc_body(depth);
                format!(" <<-E\n\t{body}\n\tE\n")
            }
            _ => {
                let body = self.heredoc_body(depth);
                format!(" <<EOF\n{body}\nEOF\n")
            }
        }
    }

    fn heredoc_body(&mut self, depth: usize) -> String {
        let mut parts = vec!["text".to_string()];
        for _ in 0..self.rng.below(3) {
            if depth < 3 && self.rng.chance(60) {
                let saved = self.in_backticks;
                self.in_backticks = true;
                let s = self.simple(depth + 1, false);
                self.in_backticks = saved;
                parts.push(if self.rng.chance(50) {
                    format!("$({s})")
                } else {
                    format!("`{s}`")
                });
            } else {
                parts.push(
                    self.rng
                        .pick(&["$v", "'q'", "\"d\"", "\\$(a)", "x"])
                        .to_string(),
                );
            }
        }
        parts.join(" ")
    }

    /// A simple command, possibly behind wrappers and assignments. `last` allows a
    /// here-document (only the last command of a pipeline gets one).
    fn simple(&mut self, depth: usize, last: bool) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.in_backticks && self.rng.chance(15) {
            let value = match self.rng.below(4) {
                0 => "1".to_string(),
                1 => "'p q'".to_string(),
                2 if depth < 3 => format!("$({})", self.sub_script(depth)),
                _ => "\"$v\"".to_string(),
            };
            parts.push(format!("X={value}"));
        }
        if !self.in_backticks && depth < 3 && self.rng.chance(10) {
            // A nested shell: its functions are its own.
            let shell = self.rng.pick(&["bash", "sh"]);
            let saved = std::mem::take(&mut self.funcs);
            let inner = self.list(depth + 1);
            self.funcs = saved;
            parts.push(format!("{shell} -c {}", single_quote(&inner)));
            if self.rng.chance(30) {
                parts.push("arg0 p".to_string());
            }
            return parts.join(" ");
        }
        for _ in 0..self.rng.below(3) {
            if self.rng.chance(50) {
                break;
            }
            let w = self.rng.pick(&[
                "env",
                "env X=2",
                "nice",
                "nice -n 5",
                "timeout 5",
                "xargs",
                "command",
                "time",
                "env -- nice",
            ]);
            parts.push(w.to_string());
        }
        parts.push(self.name());
        for _ in 0..self.rng.below(4) {
            if !self.in_backticks && self.rng.chance(12) {
                parts.push(self.redirect(depth));
            }
            parts.push(self.word(depth));
        }
        if !self.in_backticks && self.rng.chance(10) {
            parts.push(self.redirect(depth));
        }
        let mut s = parts.join(" ");
        if last && !self.in_backticks && self.rng.chance(12) {
            s.push_str(&self.heredoc(depth));
        }
        s
    }

    fn pipeline(&mut self, depth: usize) -> String {
        let n = if self.rng.chance(25) {
            2 + self.rng.below(2)
        } else {
            1
        };
        let mut s = String::new();
        if self.rng.chance(8) {
            s.push_str("! ");
        } else if self.rng.chance(6) {
            s.push_str("time ");
        }
        for i in 0..n {
            let last = i + 1 == n;
            let cmd = if i == 0 && n > 1 && self.rng.chance(30) {
                self.rng
                    .pick(&["echo p q", "printf '%s\\n' x y", "echo"])
                    .to_string()
            } else {
                self.command(depth, last)
            };
            s.push_str(&cmd);
            if !last {
                // A here-document already ended the line: the pipe cannot follow it.
                if s.ends_with('\n') {
                    return s;
                }
                s.push_str(self.rng.pick(&[" | ", " |\n", " | "]));
            }
        }
        s
    }

    fn command(&mut self, depth: usize, last: bool) -> String {
        if depth >= 3 || self.in_backticks {
            return self.simple(depth, last);
        }
        match self.rng.below(24) {
            0 => format!("( {} )", self.list(depth + 1)),
            1 => format!("{{ {}}}", term(&self.list(depth + 1))),
            2 => {
                let cond = self.list(depth + 1);
                let then = self.list(depth + 1);
                let mut s = format!("if {}then {}", term(&cond), term(&then));
                if self.rng.chance(40) {
                    let other = self.list(depth + 1);
                    s.push_str(&format!("else {}", term(&other)));
                }
                s.push_str("fi");
                s
            }
            3 => {
                let items = if self.rng.chance(30) {
                    format!("$({})", self.sub_script(depth))
                } else {
                    "1 'p q'".to_string()
                };
                let body = self.list(depth + 1);
                format!("for i in {items}; do {}done", term(&body))
            }
            4 => {
                let cond = if self.rng.chance(50) {
                    "false".to_string()
                } else {
                    self.pipeline(depth + 1)
                };
                let body = self.list(depth + 1);
                // `break` ends the first round: the loop is bounded whatever the condition. It
                // follows a newline: bash 5.2 can lose a `;` (see KNOWN_GAPS), not a newline.
                let body = body.strip_suffix('\n').unwrap_or(&body);
                format!("while {}do {body}\nbreak; done", term(&cond))
            }
            5 => {
                let body = self.list(depth + 1);
                format!("until true; do {}done", term(&body))
            }
            6 => {
                let word = self.rng.pick(&["x", "$v", "'p q'", "y"]);
                let first = self.list(depth + 1);
                let second = self.list(depth + 1);
                format!(
                    "case {word} in x|y) {};; *) {};; esac",
                    first.trim_end(),
                    second.trim_end()
                )
            }
            7 if !self.in_body => self.function(depth),
            8 => format!("export v={}", self.word(depth)),
            9 => format!("v={}", self.word(depth)),
            _ => self.simple(depth, last),
        }
    }

    /// A function definition; sometimes called right away.
    fn function(&mut self, depth: usize) -> String {
        let name = FUNCS[self.rng.below(FUNCS.len())];
        self.in_body = true;
        let body = self.list(depth + 1);
        self.in_body = false;
        let def = match self.rng.below(4) {
            0 => format!("function {name} {{ {}}}", term(&body)),
            1 => format!("{name}() ( {} )", body),
            _ => format!("{name}() {{ {}}}", term(&body)),
        };
        if !self.funcs.contains(&name) {
            self.funcs.push(name);
        }
        if self.rng.chance(50) {
            format!("{}{name} {}", term(&def), self.word(depth))
        } else {
            def
        }
    }

    fn list(&mut self, depth: usize) -> String {
        let n = 1 + self.rng.below(if depth == 0 { 4 } else { 2 });
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&self.pipeline(depth));
            if i + 1 < n {
                if s.ends_with('\n') {
                    continue;
                }
                let sep = self
                    .rng
                    .pick(&["; ", "\n", " && ", " || ", " & ", " &\n", ";\n"]);
                s.push_str(sep);
            }
        }
        s
    }
}

fn generate(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut g = Gen {
        rng: &mut rng,
        funcs: Vec::new(),
        in_body: false,
        in_backticks: false,
    };
    g.list(0)
}

// ---------------------------------------------------------------------------------------------
// Running a line under a real shell.

struct Run {
    /// Every argv a stub was started with, in file-name order.
    argvs: Vec<Vec<String>>,
    status: Option<i32>,
    syntax_error: bool,
    stderr: String,
    /// The line had to be ended (the shell by `timeout`, or jobs it left behind).
    timed_out: bool,
}

fn write_stubs(dir: &Path, records: &Path) {
    fs::create_dir_all(dir).unwrap();
    for name in STUBS {
        let status = if *name == "kdel" { 1 } else { 0 };
        let path = dir.join(name);
        // One file per process: `$$` is the stub's own pid.
        let text = format!(
            "#!/bin/sh\nprintf '%s\\0' \"${{0##*/}}\" \"$@\" > '{}'/$$\nexit {status}\n",
            records.display()
        );
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (name, target) in REAL {
        if Path::new(target).exists() {
            symlink(target, dir.join(name)).unwrap();
        }
    }
}

fn run(shell: &str, line: &str) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let stubs = tmp.path().join("bin");
    let records = tmp.path().join("rec");
    let cwd = tmp.path().join("cwd");
    let stderr_path = tmp.path().join("stderr");
    fs::create_dir_all(&records).unwrap();
    fs::create_dir_all(&cwd).unwrap();
    write_stubs(&stubs, &records);

    // Every process of the run inherits the write end of this pipe as fd 9 (no line touches
    // fd 9): reading it to its end waits for the background jobs too, so no stub writes its
    // record after we look.
    let (reader, writer) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let wfd = writer.as_raw_fd();
    let mut cmd = Command::new("/usr/bin/timeout");
    cmd.args(["-s", "KILL", "10", shell, "-c", line])
        .env_clear()
        .env("PATH", &stubs)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr_path).unwrap());
    // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if wfd == 9 {
                nix::libc::fcntl(9, nix::libc::F_SETFD, 0);
            } else if nix::libc::dup2(wfd, 9) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(writer);
    // `timeout` ends the shell and its process group; a background job in another group
    // (behind the line's own `timeout`) may outlive it: wait a little for the sentinel, then
    // end whatever still holds it (only processes of this run hold this pipe).
    let status = child.wait().unwrap().code();
    let mut timed_out = status == Some(137) || status.is_none();
    if !wait_readable(&reader, 5_000) {
        timed_out = true;
        for _ in 0..50 {
            kill_holders(&reader);
            if wait_readable(&reader, 100) {
                break;
            }
        }
    }
    let mut sentinel = std::fs::File::from(reader);
    let mut sink = Vec::new();
    sentinel.read_to_end(&mut sink).ok();
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();

    let mut files: Vec<PathBuf> = fs::read_dir(&records)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let argvs = files
        .iter()
        .map(|f| {
            let bytes = fs::read(f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let mut words: Vec<String> = text.split('\0').map(str::to_string).collect();
            words.pop(); // after the last NUL
            words
        })
        .collect();
    let syntax_error = status == Some(2) && stderr.to_lowercase().contains("syntax error");
    Run {
        argvs,
        status,
        syntax_error,
        stderr,
        timed_out,
    }
}

/// Whether the pipe becomes readable (here: all its writers are gone) within `ms`.
fn wait_readable(fd: &OwnedFd, ms: u16) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

/// SIGKILL every process that holds the other end of this run's sentinel pipe.
fn kill_holders(reader: &OwnedFd) {
    let Ok(me) = fs::read_link(format!("/proc/self/fd/{}", reader.as_raw_fd())) else {
        return;
    };
    let Ok(procs) = fs::read_dir("/proc") else {
        return;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|f| fs::read_link(f.path()).is_ok_and(|l| l == me))
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing.

/// gate's words against a real argv: a literal word matches itself, a dynamic word any run of
/// zero or more words (an unquoted expansion may split or vanish).
fn matches(gate: &[Word], real: &[String]) -> bool {
    match gate.split_first() {
        None => real.is_empty(),
        Some((w, rest)) if w.dynamic => (0..=real.len()).any(|k| matches(rest, &real[k..])),
        Some((w, rest)) => real
            .split_first()
            .is_some_and(|(r, real_rest)| *r == w.text && matches(rest, real_rest)),
    }
}

/// Known, accepted gaps: (reason, predicate on the line, the shell, the argv that ran and
/// gate's analysis). Each is a shell's own bug, not a reading gate should copy.
type GapCheck = fn(line: &str, shell: &str, argv: &[String], analysis: &Analysis) -> bool;
const KNOWN_GAPS: &[(&str, GapCheck)] = &[(
    // bash 5.2.15 loses the first `;` after a here-document inside `$( … )`:
    // `x "$(a <<EOF⏎t⏎EOF⏎kdel; b)"` runs `kdel b` (dash runs `kdel` and `b`, as the text says).
    // gate reports both commands; bash runs them as one, whose words are the two commands'.
    "bash 5.2 drops the first ';' after a here-document in $( )",
    |line, shell, argv, analysis| {
        shell == "bash"
            && line.contains("<<")
            && (1..argv.len()).any(|k| {
                analysis
                    .commands
                    .iter()
                    .any(|c| matches(&c.words, &argv[..k]))
                    && analysis
                        .commands
                        .iter()
                        .any(|c| matches(&c.words, &argv[k..]))
            })
    },
)];

fn show_analysis(a: &Analysis) -> String {
    let mut s = String::new();
    for c in &a.commands {
        let words: Vec<String> = c
            .words
            .iter()
            .map(|w| {
                if w.dynamic {
                    format!("{:?}*", w.text)
                } else {
                    format!("{:?}", w.text)
                }
            })
            .collect();
        s.push_str(&format!("    [{}] via {:?}\n", words.join(", "), c.via));
    }
    if s.is_empty() {
        s.push_str("    (no command)\n");
    }
    s
}

#[derive(Default)]
struct Tally {
    lines: usize,
    runs: usize,
    syntax_errors: [usize; 2],
    both_syntax_errors: usize,
    opaque: usize,
    ran_something: usize,
    execs: usize,
    known_gaps: usize,
    timeouts: usize,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn the_analyser_sees_what_bash_and_dash_run() {
    for shell in ["/usr/bin/bash", "/usr/bin/dash"] {
        assert!(Path::new(shell).exists(), "{shell} is needed by this test");
    }
    let count: usize = env_or("GATE_DIFF_COUNT", 300);
    let seed: u64 = env_or("GATE_DIFF_SEED", 0x6a7e_d1ff);
    let jobs: usize = env_or("GATE_DIFF_JOBS", 2).max(1);
    let verbose = std::env::var_os("GATE_DIFF_VERBOSE").is_some();
    let wrappers = Wrappers::builtin();

    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    let failures = Mutex::new(Vec::<(usize, String)>::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let line = generate(seed.wrapping_add(i as u64));
                    let analysis = analyze_script(&line, &wrappers);
                    let opaque = analysis.is_opaque();
                    if verbose {
                        for o in &analysis.opaque {
                            eprintln!("#{i} opaque: {} ({:?})", o.reason, o.snippet);
                        }
                    }
                    let runs = [
                        ("bash", run("/usr/bin/bash", &line)),
                        ("dash", run("/usr/bin/dash", &line)),
                    ];
                    let mut t = Tally {
                        lines: 1,
                        opaque: usize::from(opaque),
                        ..Tally::default()
                    };
                    let mut report = String::new();
                    for (k, (shell, r)) in runs.iter().enumerate() {
                        t.runs += 1;
                        t.syntax_errors[k] += usize::from(r.syntax_error);
                        t.execs += r.argvs.len();
                        t.timeouts += usize::from(r.timed_out);
                        if verbose {
                            eprintln!(
                                "#{i} {shell} status {:?} line {line:?}\n  ran {:?}\n  {}",
                                r.status,
                                r.argvs,
                                r.stderr.trim()
                            );
                        }
                        if opaque {
                            continue;
                        }
                        for argv in &r.argvs {
                            if analysis.commands.iter().any(|c| matches(&c.words, argv)) {
                                continue;
                            }
                            if KNOWN_GAPS
                                .iter()
                                .any(|(_, gap)| gap(&line, shell, argv, &analysis))
                            {
                                t.known_gaps += 1;
                                continue;
                            }
                            report.push_str(&format!(
                                "line #{i} (seed {seed:#x}+{i}) under {shell} ran {argv:?}, which gate did not see\n  line: {line:?}\n  {shell} ran: {:?} (status {:?})\n  gate saw:\n{}",
                                r.argvs,
                                r.status,
                                show_analysis(&analysis)
                            ));
                        }
                    }
                    t.both_syntax_errors =
                        usize::from(runs[0].1.syntax_error && runs[1].1.syntax_error);
                    t.ran_something = usize::from(runs.iter().any(|(_, r)| !r.argvs.is_empty()));
                    {
                        let mut all = tally.lock().unwrap();
                        all.lines += t.lines;
                        all.runs += t.runs;
                        all.syntax_errors[0] += t.syntax_errors[0];
                        all.syntax_errors[1] += t.syntax_errors[1];
                        all.both_syntax_errors += t.both_syntax_errors;
                        all.opaque += t.opaque;
                        all.ran_something += t.ran_something;
                        all.execs += t.execs;
                        all.known_gaps += t.known_gaps;
                        all.timeouts += t.timeouts;
                    }
                    if !report.is_empty() {
                        failures.lock().unwrap().push((i, report));
                    }
                }
            });
        }
    });
    let t = tally.into_inner().unwrap();
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|(i, _)| *i);
    eprintln!(
        "differential: {} lines (seed {seed:#x}), {} shell runs, {} stub execs; syntax errors: bash {}, dash {}, both {} (not parsed by either shell, still checked); gate opaque: {}; lines that ran a stub: {}; known gaps: {}; timeouts: {}; misses: {} lines",
        t.lines,
        t.runs,
        t.execs,
        t.syntax_errors[0],
        t.syntax_errors[1],
        t.both_syntax_errors,
        t.opaque,
        t.ran_something,
        t.known_gaps,
        t.timeouts,
        failures.len()
    );
    for (_, report) in failures.iter().take(20) {
        eprintln!("{report}");
    }
    assert!(
        failures.is_empty(),
        "{} lines ran commands gate did not see (first ones above)",
        failures.len()
    );
    // The test must keep testing: most lines run something and are not waved through as opaque.
    assert!(
        t.opaque * 4 < t.lines,
        "too many opaque lines ({} of {}): the generator no longer tests much",
        t.opaque,
        t.lines
    );
    assert!(
        t.ran_something * 10 > t.lines * 7,
        "too few lines ran a stub ({} of {})",
        t.ran_something,
        t.lines
    );
    assert!(
        t.both_syntax_errors * 5 < t.lines,
        "too many lines neither shell parses ({} of {})",
        t.both_syntax_errors,
        t.lines
    );
    assert_eq!(t.timeouts, 0, "a line did not terminate");
}

/// The harness itself: stubs record what runs, through the real wrappers and nested shells.
#[test]
fn the_stubs_record_what_runs() {
    let line =
        "a x 'p q'; env X=1 nice b -f; echo y | xargs c; bash -c 'rmx \"$0\"' z; kdel & wait";
    for shell in ["/usr/bin/bash", "/usr/bin/dash"] {
        let mut got = run(shell, line).argvs;
        got.sort();
        let want: Vec<Vec<String>> = vec![
            vec!["a".into(), "x".into(), "p q".into()],
            vec!["b".into(), "-f".into()],
            vec!["c".into(), "y".into()],
            vec!["kdel".into()],
            vec!["rmx".into(), "z".into()],
        ];
        assert_eq!(got, want, "{shell}");
    }
    let w = |t: &str, d: bool| Word {
        text: t.into(),
        dynamic: d,
    };
    let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&[w("a", false), w("$v", true)], &s(&["a"])));
    assert!(matches(
        &[w("a", false), w("$v", true)],
        &s(&["a", "1", "2"])
    ));
    assert!(matches(
        &[w("a", false), w("$v", true), w("x", false)],
        &s(&["a", "x"])
    ));
    assert!(!matches(&[w("a", false), w("x", false)], &s(&["a", "y"])));
    assert!(!matches(&[w("a", false)], &s(&["a", "y"])));
}

/// Development aid: print the lines a run would generate (`GATE_DIFF_COUNT`, `GATE_DIFF_SEED`),
/// NUL-separated, without running them.
#[test]
#[ignore = "development aid: prints the generated lines"]
fn print_lines() {
    let count: usize = env_or("GATE_DIFF_COUNT", 300);
    let seed: u64 = env_or("GATE_DIFF_SEED", 0x6a7e_d1ff);
    for i in 0..count {
        print!("{}\0", generate(seed.wrapping_add(i as u64)));
    }
}
