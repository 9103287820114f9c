//! From one simple command (a list of words) to what it runs: wrappers peeled, nested shells and
//! remote commands analysed, opaque cases reported.

use std::collections::HashSet;

use super::{
    Analysis, Opaque, Origin, ScriptKind, SimpleCommand, Word, Wrappers, code_options, git, inline,
    runners, shell, snippet,
};

/// Wrapper hops and nested scripts deeper than this are opaque.
pub(crate) const MAX_DEPTH: usize = 200;
/// Recursion of the analyser itself (tree nodes, words, hops) deeper than this is opaque; it
/// keeps the stack bounded on any input.
pub(crate) const MAX_STACK: usize = 600;

/// How many function calls one analysis follows into their bodies.
const MAX_EXPANSIONS: usize = 256;
/// A script longer than this is not analysed: opaque (`gate` asks). An agent's command line is
/// rarely more than a few kilobytes; megabytes are a file written through a here-document, or
/// an attempt to make the analysis slow.
pub(crate) const MAX_SCRIPT_BYTES: usize = 1024 * 1024;
/// Total bytes one analysis may parse, across every nested script (`bash -c "$(cat <<'E' …"`
/// levels re-read their bodies), dash's readings, function bodies at each call and expanded
/// here-document bodies. Past it the analysis stops: opaque.
pub(crate) const MAX_PARSED_BYTES: usize = 4 * 1024 * 1024;
/// Simple commands one analysis may report; past it the analysis stops: opaque.
pub(crate) const MAX_COMMANDS: usize = 10_000;

/// How many extra readings of scripts (as dash reads them) one analysis may make.
const MAX_READINGS: usize = 64;
/// And whatever the frame sizes (debug builds have large ones), the analyser never uses more
/// than this much stack below its entry point: callers on 2 MiB threads stay safe.
const MAX_STACK_BYTES: usize = 1024 * 1024;

/// An address on the current stack, to measure how much stack the analyser uses.
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Where a command's standard input comes from, as far as the script shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stdin {
    Inherited,
    Pipe,
    Heredoc,
    Herestring,
    File,
}

impl Stdin {
    /// Where a command's input comes from, when it is not inherited ("a pipe", …).
    pub(crate) fn feeds_code(self) -> Option<&'static str> {
        match self {
            Stdin::Inherited => None,
            Stdin::Pipe => Some("a pipe"),
            Stdin::Heredoc => Some("a here-document"),
            Stdin::Herestring => Some("a here-string"),
            Stdin::File => Some("a redirected file"),
        }
    }
}

/// The context a command is found in.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub origin: Origin,
    pub via: Vec<String>,
    pub depth: usize,
}

impl Frame {
    pub fn root(origin: Origin) -> Self {
        Frame {
            origin,
            via: Vec::new(),
            depth: 0,
        }
    }

    /// One wrapper hop that keeps the argv (sudo, env, xargs, …).
    pub fn hop(&self, name: &str) -> Frame {
        let mut via = self.via.clone();
        via.push(name.to_string());
        Frame {
            origin: self.origin,
            via,
            depth: self.depth + 1,
        }
    }

    /// One hop into a script (bash -c, ssh, watch, …).
    pub fn hop_script(&self, name: &str) -> Frame {
        let mut f = self.hop(name);
        if f.origin == Origin::Argv {
            f.origin = Origin::Script;
        }
        f
    }

    /// One hop into the string literals of inline code.
    pub fn hop_inline(&self, name: &str) -> Frame {
        let mut f = self.hop(name);
        f.origin = Origin::InlineCode;
        f
    }
}

/// The analyser's state: the wrapper table, the results, and a recursion guard.
pub(crate) struct Cx<'w> {
    pub wrappers: &'w Wrappers,
    pub out: Analysis,
    pub stack: usize,
    stack_base: usize,
    too_deep_reported: bool,
    /// Opaque entries already reported (reason, snippet), to report each once.
    seen_opaque: HashSet<(String, String)>,
    /// Extra readings of scripts made so far ([`Cx::dash_reading`]).
    readings: usize,
    /// Shell functions defined so far in the line: name -> body source. A body runs where the
    /// function is called, not where it is defined.
    pub functions: Vec<(String, String)>,
    /// Functions being expanded (a call inside its own body is a loop).
    calling: Vec<String>,
    /// Function calls followed so far (bounded: `f1() { f0; f0; }; f2() { f1; f1; }; …`
    /// doubles at each level).
    expansions: usize,
    /// The text on the standard input of the command being analysed, when the script shows it
    /// (a here-document, a here-string, `echo LITERAL |`); set by the shell walker.
    pub stdin_text: Option<String>,
    /// Bytes parsed so far ([`MAX_PARSED_BYTES`]).
    parsed_bytes: usize,
    /// A budget ran out: the analysis stops (already reported as opaque).
    exhausted: bool,
    /// git aliases defined by `git config alias.NAME VALUE` earlier in the invocation.
    pub git_aliases: Vec<(String, Word)>,
    /// A program file set as git's ssh (`GIT_SSH_COMMAND=./x`, `core.sshCommand`): opaque for
    /// the git commands that talk to a remote.
    pub git_ssh_file: Option<String>,
    /// `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n` seen so far: (n, key, value).
    pub git_env_config: Vec<(String, Option<Word>, Option<Word>)>,
}

pub(crate) const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "pdksh", "ash", "yash", "rbash", "posh", "fish",
    "csh", "tcsh", "ksh93", "oksh", "loksh",
];

/// The base name of a program path.
pub(crate) fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// A word `env` takes as a variable: anything with `=` not at the start (`BASH_FUNC_f%%=…`).
fn env_assignment(w: &Word) -> bool {
    !w.dynamic && w.text.find('=').is_some_and(|p| p > 0) && !w.text.starts_with('-')
}

/// `NAME=value` with a valid shell name.
pub(crate) fn is_assignment(w: &Word) -> bool {
    let Some((name, _)) = w.text.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn join(words: &[Word]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&w.text);
    }
    s
}

/// `uv run CMD…`, `poetry run`, `bundle exec`, `npm exec --`, `aws-vault exec PROFILE --`, …:
/// the index where the command starts, for a program whose subcommand runs another command.
fn subcommand_wrapper(words: &[Word], program: &str) -> Option<usize> {
    // (program, subcommand, value options, positionals before the command)
    const TABLE: &[(&str, &str, &[&str], usize)] = &[
        (
            "uv",
            "run",
            &[
                "--with",
                "--python",
                "-p",
                "--project",
                "--directory",
                "--package",
                "--extra",
                "--group",
                "--env-file",
                "--index",
                "--from",
            ],
            0,
        ),
        (
            "uvx",
            "",
            &["--with", "--python", "-p", "--from", "--index"],
            0,
        ),
        (
            "poetry",
            "run",
            &["-C", "--directory", "-P", "--project"],
            0,
        ),
        (
            "npx",
            "",
            &["-p", "--package", "--cache", "-w", "--workspace"],
            0,
        ),
        ("bunx", "", &["-p", "--package"], 0),
        (
            "pipx",
            "run",
            &["--spec", "--python", "--index-url", "-i", "--pip-args"],
            0,
        ),
        ("pipenv", "run", &[], 0),
        ("pdm", "run", &["-p", "--project"], 0),
        ("hatch", "run", &[], 0),
        ("bundle", "exec", &[], 0),
        (
            "npm",
            "exec",
            &["-w", "--workspace", "-c", "--call", "--package"],
            0,
        ),
        ("pnpm", "exec", &["-C", "--dir", "--filter", "-F"], 0),
        ("yarn", "exec", &[], 0),
        (
            "conda",
            "run",
            &["-n", "--name", "-p", "--prefix", "--cwd"],
            0,
        ),
        (
            "mamba",
            "run",
            &["-n", "--name", "-p", "--prefix", "--cwd"],
            0,
        ),
        ("direnv", "exec", &[], 1),
        (
            "aws-vault",
            "exec",
            &["-d", "--duration", "-r", "--region", "-t", "--mfa-token"],
            1,
        ),
        (
            "doppler",
            "run",
            &["-p", "--project", "-c", "--config", "--token"],
            0,
        ),
        ("op", "run", &["--env-file"], 0),
        ("mise", "exec", &["-C", "--cd"], 0),
        ("mise", "x", &["-C", "--cd"], 0),
        ("asdf", "exec", &[], 0),
        ("rbenv", "exec", &[], 0),
        ("pyenv", "exec", &[], 0),
        ("nvm", "exec", &[], 1),
        ("nix", "develop", &["-c", "--command"], 0),
        ("git", "bisect", &[], 0),
    ];
    let sub = words.get(1).map(|w| w.text.as_str());
    for (prog, subcommand, value_options, positionals) in TABLE {
        if *prog != program {
            continue;
        }
        let (rest_at, ok) = if subcommand.is_empty() {
            (0, true)
        } else {
            (1, sub == Some(*subcommand))
        };
        if !ok {
            continue;
        }
        let tail = &words[rest_at..];
        if *prog == "git" {
            // `git bisect run CMD…`
            return (tail.get(1).map(|w| w.text.as_str()) == Some("run") && tail.len() > 2)
                .then_some(rest_at + 2);
        }
        if *prog == "nix" {
            let i = tail
                .iter()
                .position(|w| matches!(w.text.as_str(), "-c" | "--command"))?;
            return (i + 1 < tail.len()).then_some(rest_at + i + 1);
        }
        return peel(tail, value_options, *positionals)
            .cmd
            .map(|i| rest_at + i);
    }
    None
}

/// The value of `-c CMD`, `-cCMD`, `--command CMD` or `--command=CMD` anywhere in the words.
fn dash_c(words: &[Word]) -> Option<Word> {
    let mut i = 1;
    while i < words.len() {
        let t = words[i].text.as_str();
        if words[i].dynamic {
            i += 1;
            continue;
        }
        if t == "--command" || t == "--session-command" {
            return words.get(i + 1).cloned();
        }
        if let Some(v) = t
            .strip_prefix("--command=")
            .or_else(|| t.strip_prefix("--session-command="))
        {
            return Some(Word::lit(v));
        }
        if t.len() > 1 && t.starts_with('-') && !t.starts_with("--") {
            if let Some(p) = t.find('c') {
                let rest = &t[p + 1..];
                return if rest.is_empty() {
                    words.get(i + 1).cloned()
                } else {
                    Some(Word::lit(rest))
                };
            }
        }
        i += 1;
    }
    None
}

/// The result of scanning a wrapper's own options.
#[derive(Debug, Default)]
pub(crate) struct Peeled {
    /// Index of the wrapped command's first word.
    pub cmd: Option<usize>,
    /// Options seen (with or without a value), as `-x` or `--long`.
    pub flags: Vec<String>,
}

impl Peeled {
    pub(crate) fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// Scan options (value options take the next word, or an attached value), positionals and
/// `VAR=value` words; return where the wrapped command starts.
pub(crate) fn peel<S: AsRef<str>>(
    words: &[Word],
    value_options: &[S],
    skip_positionals: usize,
) -> Peeled {
    let takes_value = |o: &str| value_options.iter().any(|v| v.as_ref() == o);
    let mut p = Peeled::default();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        if w.dynamic {
            break;
        }
        let t = w.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t.starts_with("--") {
            let name = t.split_once('=').map_or(t, |(n, _)| n);
            if !t.contains('=') && takes_value(name) {
                p.flags.push(name.to_string());
                i += 2;
            } else {
                p.flags.push(name.to_string());
                i += 1;
            }
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            if takes_value(t) {
                p.flags.push(t.to_string());
                i += 2;
                continue;
            }
            let body = &t[1..];
            let mut next_is_value = false;
            for (j, c) in body.char_indices() {
                let mut o = String::from("-");
                o.push(c);
                let value = takes_value(&o);
                p.flags.push(o);
                if value {
                    next_is_value = body[j + c.len_utf8()..].is_empty();
                    break;
                }
            }
            i += if next_is_value { 2 } else { 1 };
            continue;
        }
        break;
    }
    let mut i = (i + skip_positionals).min(words.len());
    if skip_positionals > 0 && words.get(i).is_some_and(|w| !w.dynamic && w.text == "--") {
        i += 1;
    }
    while i < words.len() && !words[i].dynamic && is_assignment(&words[i]) {
        i += 1;
    }
    p.cmd = (i < words.len()).then_some(i);
    p
}

impl<'w> Cx<'w> {
    pub fn new(wrappers: &'w Wrappers) -> Self {
        Cx {
            wrappers,
            out: Analysis::default(),
            stack: 0,
            stack_base: stack_position(),
            too_deep_reported: false,
            seen_opaque: HashSet::new(),
            readings: 0,
            parsed_bytes: 0,
            exhausted: false,
            functions: Vec::new(),
            calling: Vec::new(),
            expansions: 0,
            stdin_text: None,
            git_aliases: Vec::new(),
            git_ssh_file: None,
            git_env_config: Vec::new(),
        }
    }

    pub fn opaque(&mut self, reason: &str, text: &str) {
        let o = Opaque {
            reason: reason.to_string(),
            snippet: snippet(text),
        };
        if self
            .seen_opaque
            .insert((o.reason.clone(), o.snippet.clone()))
        {
            self.out.opaque.push(o);
        }
    }

    /// Pay for parsing `text`; false (and opaque, once) when a budget has run out, and then
    /// the analysis stops.
    pub(crate) fn spend(&mut self, text: &str) -> bool {
        if self.exhausted {
            return false;
        }
        self.parsed_bytes = self.parsed_bytes.saturating_add(text.len());
        let reason = if text.len() > MAX_SCRIPT_BYTES {
            "script too large to analyse"
        } else if self.parsed_bytes > MAX_PARSED_BYTES {
            "too much to analyse (scripts nested in scripts)"
        } else {
            return true;
        };
        self.stop(reason, text);
        false
    }

    /// Stop the analysis: what was found so far is kept, the line is opaque.
    pub(crate) fn stop(&mut self, reason: &str, text: &str) {
        self.exhausted = true;
        let head: String = text.chars().take(200).collect();
        self.opaque(reason, &head);
    }

    /// Enter one level of recursion; false (and opaque, once) when too deep.
    pub fn enter(&mut self, frame: &Frame, text: impl FnOnce() -> String) -> bool {
        if self.exhausted {
            return false;
        }
        let stack_bytes = self.stack_base.abs_diff(stack_position());
        if self.stack >= MAX_STACK || frame.depth > MAX_DEPTH || stack_bytes > MAX_STACK_BYTES {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                let t = text();
                self.opaque("nested too deeply", &t);
            }
            return false;
        }
        self.stack += 1;
        true
    }

    pub fn leave(&mut self) {
        self.stack -= 1;
    }

    /// A wrapper that runs its command in another directory (`env -C DIR`): reported as the
    /// `cd` it amounts to, so that relative paths after it are resolved there.
    fn chdir(&mut self, dir: Word, frame: &Frame) {
        self.push(vec![Word::lit("cd"), dir], &frame.hop("env -C"));
    }

    /// Note the variable a `NAME=value` word sets.
    pub(crate) fn assigned_word(&mut self, w: &Word) {
        if let Some((name, value)) = w.text.split_once('=') {
            self.assigned(name.strip_suffix('+').unwrap_or(name));
            // `GIT_SSH_COMMAND=…; git fetch`: an exported variable keeps the new value.
            if name.starts_with("GIT_") {
                git::env(self, name, value, w.dynamic, &Frame::root(Origin::Script));
            }
        }
    }

    pub(crate) fn assigned(&mut self, name: &str) {
        if !self.out.assigned.iter().any(|n| n == name) {
            self.out.assigned.push(name.to_string());
        }
    }

    /// Record a command that runs as it is.
    pub(crate) fn push(&mut self, words: Vec<Word>, frame: &Frame) {
        if words.is_empty() || self.exhausted {
            return;
        }
        if self.out.commands.len() >= MAX_COMMANDS {
            let text = words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            return self.stop("too many commands to analyse", &text);
        }
        self.out.commands.push(SimpleCommand {
            words,
            origin: frame.origin,
            via: frame.via.clone(),
        });
    }

    /// Analyse a shell script found at `frame`.
    pub fn script(&mut self, script: &str, frame: &Frame) {
        if !self.enter(frame, || script.to_string()) {
            return;
        }
        shell::walk_script(self, script, frame);
        self.leave();
    }

    /// Analyse a script again as dash reads it (see [`shell::dash_reading`]) and keep what
    /// that reading adds. Readings are budgeted: each script level may have one, and a line
    /// that would need more than [`MAX_READINGS`] is opaque rather than slow.
    pub(crate) fn dash_reading(&mut self, dash: &str, frame: &Frame) {
        if self.readings >= MAX_READINGS {
            return self.opaque("too many ways to read this script", dash);
        }
        self.readings += 1;
        let (commands, redirects) = (self.out.commands.len(), self.out.redirects.len());
        self.script(dash, &frame.hop_script("as dash reads it"));
        // Keep only what the other reading did not already show.
        let mut i = commands;
        while i < self.out.commands.len() {
            let c = &self.out.commands[i];
            let known = self.out.commands[..commands]
                .iter()
                .any(|k| k.words == c.words);
            if known {
                self.out.commands.remove(i);
                for r in &mut self.out.redirects[redirects..] {
                    if r.command > i {
                        r.command -= 1;
                    }
                }
            } else {
                i += 1;
            }
        }
    }

    /// Whether `name` may not be the builtin or program of that name: the line defines a
    /// function or an alias called so (`echo() { printf rm; }`), so what it prints is unknown.
    pub(crate) fn overridden(&self, name: &str) -> bool {
        self.functions.iter().any(|(n, _)| n == name)
            || self.out.commands.iter().any(|c| {
                basename(&c.words[0].text) == "alias"
                    && c.words[1..].iter().any(|w| {
                        w.dynamic || w.text.split_once('=').is_some_and(|(n, _)| n == name)
                    })
            })
    }

    /// The body of the function `name` as last defined.
    fn function(&self, name: &str) -> Option<String> {
        self.functions
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
    }

    /// One simple command: unwrap it and record what runs.
    pub fn command(&mut self, words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        if words.is_empty() {
            return;
        }
        if !self.enter(frame, || join(&words)) {
            return;
        }
        self.command_inner(words, frame, stdin);
        self.leave();
    }

    fn command_inner(&mut self, mut words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        // Leading NAME=value words set the environment of the command that follows.
        // (The value may be dynamic; the name is what makes it an assignment.)
        let lead = words.iter().take_while(|w| is_assignment(w)).count();
        if lead > 0 && lead < words.len() {
            for w in words.drain(..lead) {
                code_options::assignment(self, &w, frame);
            }
        }
        if words[0].dynamic {
            self.opaque("command word is an expansion", &join(&words));
            return;
        }
        let program = basename(&words[0].text).to_string();
        let name = program.as_str();
        super::evaluated::builtin(self, &words, frame, name);
        // A call of a function defined earlier in the line (directly, or behind `time`/`!`,
        // which are part of the shell's grammar) runs its body.
        let external = frame.via.last().is_some_and(|v| {
            let p = v.split_whitespace().next().unwrap_or("");
            (p != "time" && self.wrappers.get(p).is_some())
                || matches!(
                    p,
                    "env"
                        | "xargs"
                        | "parallel"
                        | "find"
                        | "watch"
                        | "ssh"
                        | "busybox"
                        | "toybox"
                        | "gate"
                        | "spawn"
                        | "screen"
                        | "tmux"
                )
        });
        if !external
            && !words[0].text.contains('/')
            && let Some(body) = self.function(name)
        {
            if self.calling.iter().any(|c| c == name) {
                self.opaque("function calls itself", &join(&words));
            } else if self.expansions >= MAX_EXPANSIONS {
                self.opaque("too many function calls to follow", &join(&words));
            } else {
                self.expansions += 1;
                self.calling.push(name.to_string());
                self.script(&body, &frame.hop_script(&format!("function {name}")));
                self.calling.pop();
            }
        }
        match name {
            // `! ! cmd`: the grammar reads the second `!` as a command name.
            "!" if words.len() > 1 => {
                words.remove(0);
                return self.command(words, frame, stdin);
            }
            "env" => return self.env(words, frame, stdin),
            "xargs" => return self.xargs(words, frame, stdin),
            "parallel" => return self.parallel(words, frame),
            "watch" => return self.watch(words, frame),
            "find" => return self.find(words, frame),
            "ssh" => return self.ssh(words, frame, stdin),
            "gate" => return self.gate(words, frame, stdin),
            // expect's `spawn PROGRAM ARGS…` (its `-c` code is read as a script, below).
            "spawn" if frame.via.last().is_some_and(|v| v == "expect -c") => {
                words.remove(0);
                return self.command(words, &frame.hop("spawn"), Stdin::Inherited);
            }
            "expect" => {
                if let Some(code) = dash_c(&words) {
                    self.opaque("expect runs a script", &code.text);
                    self.push(words, frame);
                    return self.script(&code.text, &frame.hop_script("expect -c"));
                }
                if words.len() > 1 {
                    self.opaque("expect runs a script", &join(&words));
                }
                return self.push(words, frame);
            }
            "busybox" | "toybox" => {
                if words.len() > 1 && !words[1].text.starts_with('-') {
                    words.remove(0);
                    return self.command(words, &frame.hop(name), stdin);
                }
                return self.push(words, frame);
            }
            "eval" => {
                // eval of literal words runs exactly them; of anything else, what gate cannot see.
                if words[1..].iter().any(|w| w.dynamic) {
                    self.opaque("eval runs a dynamic string", &join(&words));
                }
                let code = join(&words[1..]);
                return self.script(&code, &frame.hop_script("eval"));
            }
            "source" | "." => {
                if words.len() > 1 {
                    return self.opaque("runs a script file", &join(&words));
                }
                return self.push(words, frame);
            }
            "trap" => return self.trap(words, frame),
            "at" | "batch" => {
                // at reads the commands it schedules from its input or a file (-f).
                let listing = words[1..]
                    .iter()
                    .any(|w| matches!(w.text.as_str(), "-l" | "-d" | "-r" | "-c" | "-V"));
                if listing {
                    return self.push(words, frame);
                }
                return self.opaque("schedules commands gate cannot see", &join(&words));
            }
            "crontab" => {
                // `crontab FILE` (or `-`: its input) installs a schedule gate cannot see; options
                // alone (`-l`, `-r`, `-e`, `-i`, bundled as `-ir`, `-u USER`) list, remove or
                // edit it. Either way the command is reported, so rules on it still apply.
                let mut i = 1;
                let mut installs = false;
                while i < words.len() {
                    let t = words[i].text.as_str();
                    if t == "-u" {
                        i += 2;
                    } else if t.len() > 1 && t.starts_with('-') && !words[i].dynamic {
                        i += 1;
                    } else {
                        installs = true;
                        break;
                    }
                }
                if installs {
                    self.opaque("installs commands gate cannot see", &join(&words));
                }
                return self.push(words, frame);
            }
            "tmux" => return self.tmux(words, frame),
            "screen" => {
                const VALUE: &[&str] = &["-S", "-c", "-e", "-h", "-p", "-t", "-T", "-X", "-s"];
                let p = peel(&words, VALUE, 0);
                return match p.cmd {
                    Some(start) if !p.has("-X") => {
                        words.drain(..start);
                        self.command(words, &frame.hop("screen"), Stdin::Inherited)
                    }
                    _ => self.push(words, frame),
                };
            }
            "su" | "runuser" | "script" | "flock" => {
                // These run their `-c` string with a shell.
                if let Some(code) = dash_c(&words) {
                    return self.shell_code(Some(code), frame, name, &words);
                }
                if name == "runuser" {
                    // `runuser -u USER CMD…` runs CMD directly.
                    const VALUE: &[&str] = &[
                        "-u",
                        "--user",
                        "-g",
                        "--group",
                        "-G",
                        "--supp-group",
                        "-s",
                        "--shell",
                        "-w",
                        "--whitelist-environment",
                    ];
                    let p = peel(&words, VALUE, 0);
                    if let (Some(start), true) = (p.cmd, p.has("-u") || p.has("--user")) {
                        words.drain(..start);
                        return self.command(words, &frame.hop(name), stdin);
                    }
                }
                if matches!(name, "su" | "runuser" | "script") {
                    return self.interactive_shell(&words, stdin, frame);
                }
            }
            "sg" => {
                // `sg GROUP [-c] CMD…` runs CMD with /bin/sh -c.
                let rest: Vec<Word> = words
                    .iter()
                    .skip(2)
                    .filter(|w| w.text != "-c")
                    .cloned()
                    .collect();
                if rest.is_empty() {
                    return self.push(words, frame);
                }
                let code = Word {
                    text: join(&rest),
                    dynamic: rest.iter().any(|w| w.dynamic),
                };
                return self.shell_code(Some(code), frame, name, &words);
            }
            "alias" => return self.alias(words, frame),
            "export" | "declare" | "typeset" | "local" | "readonly" => {
                // `export PAGER='…'`: the variable is set for the commands that follow.
                for w in words[1..]
                    .iter()
                    .filter(|w| !w.text.starts_with(['-', '+']) && w.text.contains('='))
                {
                    code_options::assignment(self, w, frame);
                }
                return self.push(words, frame);
            }
            _ => {}
        }
        git::declaration(self, &words, frame);
        let is_git = git::is_git(name);
        if is_git {
            match git::command(self, words, frame) {
                Some(w) => words = w,
                None => return,
            }
        }
        let name = if is_git { "git" } else { name };
        if runners::handle(self, &words, frame, stdin, name) {
            return;
        }
        if let Some(start) = subcommand_wrapper(&words, name) {
            code_options::scan(self, &words, name, frame);
            let hop = format!("{name} {}", words[1].text);
            words.drain(..start);
            return self.command(words, &frame.hop(&hop), stdin);
        }
        if SHELLS.contains(&name) {
            return self.shell(words, frame, stdin, name);
        }
        if inline::handle(self, &words, frame, stdin, name) {
            return;
        }
        let Some(spec) = self.wrappers.get(name) else {
            code_options::scan(self, &words, name, frame);
            return self.push(words, frame);
        };
        let p = peel(&words, &spec.value_options, spec.skip_positionals);
        if let Some(start) = p.cmd {
            for w in words[1..start].iter().filter(|w| is_assignment(w)) {
                code_options::assignment(self, w, frame);
            }
            code_options::scan(self, &words[..start], name, frame);
        }
        let shell_flag = p.has("-s") || p.has("-i") || p.has("--shell") || p.has("--login");
        let Some(start) = p.cmd else {
            if matches!(name, "sudo" | "doas") && shell_flag {
                // `sudo -i`, `doas -s`: an interactive shell.
                return self.interactive_shell(&words, stdin, frame);
            }
            return self.push(words, frame);
        };
        match name {
            "command" if p.has("-v") || p.has("-V") => self.push(words, frame),
            "sudo" if p.has("-e") || p.has("--edit") => self.push(words, frame),
            "sudo" if shell_flag => {
                // sudo runs the shell with `-c` and the rest of the command line.
                let code = join(&words[start..]);
                self.script(&code, &frame.hop_script("sudo -s"));
            }
            _ => {
                words.drain(..start);
                self.command(words, &frame.hop(name), stdin);
            }
        }
    }

    fn env(&mut self, mut words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        let mut splits = 0;
        let mut i = 1;
        while i < words.len() {
            let w = &words[i];
            if w.dynamic {
                break;
            }
            let t = w.text.clone();
            if t == "--" {
                i += 1;
                break;
            }
            let mut split: Option<(String, usize)> = None;
            if let Some(long) = t.strip_prefix("--") {
                let (name, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match (name, val) {
                    ("split-string", Some(v)) => split = Some((v.to_string(), i + 1)),
                    ("split-string", None) => {
                        let s = words.get(i + 1).map(|w| w.text.clone()).unwrap_or_default();
                        split = Some((s, i + 2));
                    }
                    ("chdir", Some(d)) => {
                        self.chdir(Word::lit(d), frame);
                        i += 1;
                    }
                    ("chdir", None) => {
                        if let Some(d) = words.get(i + 1).cloned() {
                            self.chdir(d, frame);
                        }
                        i += 2;
                    }
                    ("unset" | "argv0", None) => i += 2,
                    _ => i += 1,
                }
            } else if t == "-" {
                i += 1;
            } else if let Some(body) = t.strip_prefix('-') {
                let mut next = i + 1;
                for (j, c) in body.char_indices() {
                    let rest = &body[j + c.len_utf8()..];
                    match c {
                        // -P ALTPATH (BSD), -a ARGV0 (GNU): a value, not a command.
                        'u' | 'C' | 'P' | 'a' => {
                            let value = if rest.is_empty() {
                                next += 1;
                                words.get(i + 1).cloned()
                            } else {
                                Some(Word::lit(rest))
                            };
                            if c == 'C'
                                && let Some(d) = value
                            {
                                self.chdir(d, frame);
                            }
                            break;
                        }
                        'S' => {
                            if rest.is_empty() {
                                let s =
                                    words.get(i + 1).map(|w| w.text.clone()).unwrap_or_default();
                                split = Some((s, i + 2));
                            } else {
                                split = Some((rest.to_string(), i + 1));
                            }
                            break;
                        }
                        _ => {}
                    }
                }
                i = next;
            } else if is_assignment(w) || env_assignment(w) {
                let w = w.clone();
                code_options::assignment(self, &w, frame);
                i += 1;
            } else {
                break;
            }
            if let Some((s, after)) = split {
                splits += 1;
                if splits > MAX_DEPTH {
                    return self.opaque("nested too deeply", &join(&words));
                }
                let mut rebuilt = vec![words[0].clone()];
                rebuilt.extend(inline::split_string(&s));
                rebuilt.extend(words.into_iter().skip(after));
                words = rebuilt;
                i = 1;
            }
        }
        if i >= words.len() {
            return self.push(words, frame);
        }
        words.drain(..i);
        self.command(words, &frame.hop("env"), stdin);
    }

    fn xargs(&mut self, words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        let mut replace: Option<String> = None;
        let mut i = 1;
        while i < words.len() {
            let w = &words[i];
            if w.dynamic {
                break;
            }
            let t = w.text.as_str();
            if t == "--" {
                i += 1;
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                let (name, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match (name, val) {
                    ("replace", v) => replace = Some(v.unwrap_or("{}").to_string()),
                    (
                        "arg-file" | "delimiter" | "eof" | "max-lines" | "max-args" | "max-procs"
                        | "max-chars" | "process-slot-var",
                        None,
                    ) => i += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if t.len() > 1 && t.starts_with('-') {
                let body = &t[1..];
                let mut next = i + 1;
                for (j, c) in body.char_indices() {
                    let rest = &body[j + c.len_utf8()..];
                    match c {
                        // -R -S (BSD: replacements, size) and -J (BSD: replace string).
                        'I' | 'J' | 'a' | 'd' | 'E' | 'L' | 'n' | 'P' | 's' | 'R' | 'S' => {
                            let value = if rest.is_empty() {
                                next += 1;
                                words.get(i + 1).map(|w| w.text.clone()).unwrap_or_default()
                            } else {
                                rest.to_string()
                            };
                            if c == 'I' || c == 'J' {
                                replace = Some(value);
                            }
                            break;
                        }
                        'i' => {
                            replace = Some(if rest.is_empty() { "{}" } else { rest }.to_string());
                            break;
                        }
                        'e' | 'l' => break,
                        _ => {}
                    }
                }
                i = next;
                continue;
            }
            break;
        }
        let mut inner: Vec<Word> = if i < words.len() {
            words[i..].to_vec()
        } else {
            vec![Word::lit("echo")]
        };
        // `echo a b | xargs CMD`: when the line shows the input (plain words, read the default
        // way), the arguments are known.
        let plain_input = !words[1..i].iter().any(|w| {
            w.dynamic
                || matches!(
                    w.text.as_str(),
                    "-0" | "--null" | "-a" | "-E" | "-L" | "-l" | "-s"
                )
                || w.text.starts_with("-d")
                || w.text.starts_with("--delimiter")
                || w.text.starts_with("--arg-file")
        });
        let known = self.fed_text(stdin).filter(|t| {
            // Quotes, escapes and expansions (an unquoted here-document's `$v`) would make
            // the words other than they read here.
            plain_input && !t.contains(['\'', '"', '\\', '$', '`']) && t.lines().count() <= 64
        });
        let hop = frame.hop("xargs");
        match (&replace, known) {
            (Some(r), Some(text)) if !r.is_empty() => {
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    let job = inner
                        .iter()
                        .map(|w| Word {
                            text: w.text.replace(r.as_str(), line),
                            dynamic: w.dynamic,
                        })
                        .collect();
                    self.command(job, &hop, Stdin::Inherited);
                }
                return;
            }
            (Some(r), None) if !r.is_empty() => {
                for w in inner.iter_mut().skip(1) {
                    if w.text.contains(r.as_str()) {
                        w.dynamic = true;
                    }
                }
            }
            (_, Some(text)) => inner.extend(text.split_whitespace().map(Word::lit)),
            _ => inner.push(Word::dynamic("<stdin>")),
        }
        self.command(inner, &hop, Stdin::Inherited);
    }

    fn parallel(&mut self, words: Vec<Word>, frame: &Frame) {
        const VALUE: &[&str] = &[
            "-j",
            "-J",
            "-S",
            "-N",
            "-n",
            "-L",
            "-l",
            "-I",
            "-a",
            "-C",
            "-E",
            "-d",
            "-P",
            "-s",
            "--jobs",
            "--sshlogin",
            "--arg-file",
            "--colsep",
            "--delay",
            "--timeout",
            "--joblog",
            "--results",
            "--tmpdir",
            "--workdir",
            "--wd",
            "--eof",
            "--delimiter",
            "--basefile",
            "--bf",
            "--return",
            "--transfer-file",
            "--tf",
            "--env",
            "--sshloginfile",
            "--slf",
            "--retries",
            "--memfree",
            "--load",
            "--nice",
            "--tagstring",
            "--halt",
            "--termseq",
            "--header",
            "--max-args",
            "--max-replace-args",
            "--max-procs",
            "--profile",
        ];
        let sep = words
            .iter()
            .position(|w| !w.dynamic && w.text.starts_with(":::"))
            .unwrap_or(words.len());
        let head = &words[..sep];
        let p = peel(head, VALUE, 0);
        let hop = frame.hop_script("parallel");
        // The jobs, when every argument is known: `::: a b ::: c` (not `::::` files, `:::+`
        // links, or options that regroup the arguments).
        let regroups = [
            "--pipe",
            "--pipepart",
            "-a",
            "--arg-file",
            "-N",
            "-n",
            "--max-args",
            "-L",
            "-l",
            "-m",
            "-X",
            "--xargs",
            "-C",
            "--colsep",
            "--header",
        ]
        .iter()
        .any(|f| p.has(f));
        let mut sources: Vec<&[Word]> = Vec::new();
        let mut linked = false;
        let mut at = sep;
        while at < words.len() {
            if words[at].text != ":::" {
                linked = true;
            }
            let end = words[at + 1..]
                .iter()
                .position(|w| !w.dynamic && w.text.starts_with(":::"))
                .map_or(words.len(), |e| at + 1 + e);
            sources.push(&words[at + 1..end]);
            at = end;
        }
        let jobs = (!regroups && !linked && !sources.is_empty())
            .then(|| runners::parallel_jobs(&sources))
            .flatten();
        let replace = head
            .iter()
            .position(|w| w.text == "-I")
            .and_then(|i| head.get(i + 1))
            .map(|w| w.text.clone())
            .or_else(|| {
                head.iter()
                    .find_map(|w| w.text.strip_prefix("-I").filter(|r| !r.is_empty()))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "{}".to_string());
        match (p.cmd, jobs) {
            (Some(start), Some(jobs)) => {
                let template = &head[start..];
                let code = join(template);
                let argv_too = runners::also_as_argv(template);
                for args in jobs {
                    let (mut text, found) =
                        runners::substitute(&code, &args, &replace, &runners::shell_quote);
                    if !found {
                        for a in &args {
                            text.push(' ');
                            text.push_str(&runners::shell_quote(a));
                        }
                    }
                    self.script(&text, &hop);
                    if argv_too {
                        let mut found_any = false;
                        let mut argv: Vec<Word> = template
                            .iter()
                            .map(|w| {
                                let (t, found) =
                                    runners::substitute(&w.text, &args, &replace, &|a| {
                                        a.to_string()
                                    });
                                found_any |= found;
                                Word {
                                    text: t,
                                    dynamic: w.dynamic,
                                }
                            })
                            .collect();
                        if !found_any {
                            argv.extend(args.iter().map(|a| Word::lit(a.as_str())));
                        }
                        self.command(argv, &frame.hop("parallel"), Stdin::Inherited);
                    }
                }
            }
            (Some(start), None) => {
                let code = join(&head[start..]);
                let before = self.out.commands.len();
                self.script(&code, &hop);
                let uses_placeholder = code.contains('{') && code.contains('}');
                for c in &mut self.out.commands[before..] {
                    for w in c.words.iter_mut().skip(1) {
                        if w.text.contains('{') && w.text.contains('}') {
                            w.dynamic = true;
                        }
                    }
                    if !uses_placeholder {
                        c.words.push(Word::dynamic("<args>"));
                    }
                }
            }
            (None, _) => {
                // With no command, each argument is itself a command line.
                if sep == words.len() {
                    self.opaque("parallel reads commands from stdin", &join(&words));
                }
                for w in &words[sep..] {
                    if w.text.starts_with(":::") && !w.dynamic {
                        continue;
                    }
                    if w.dynamic {
                        self.opaque("command word is an expansion", &w.text);
                    }
                    self.script(&w.text, &hop);
                }
            }
        }
    }

    fn watch(&mut self, words: Vec<Word>, frame: &Frame) {
        const VALUE: &[&str] = &["-n", "--interval", "-q", "--equexit"];
        let p = peel(&words, VALUE, 0);
        let Some(start) = p.cmd else {
            return self.push(words, frame);
        };
        if p.has("-x") || p.has("--exec") {
            let inner = words[start..].to_vec();
            return self.command(inner, &frame.hop("watch"), Stdin::Inherited);
        }
        let code = join(&words[start..]);
        self.script(&code, &frame.hop_script("watch"));
        if runners::also_as_argv(&words[start..]) {
            let inner = words[start..].to_vec();
            self.command(inner, &frame.hop("watch"), Stdin::Inherited);
        }
    }

    fn find(&mut self, words: Vec<Word>, frame: &Frame) {
        self.push(words.clone(), frame);
        // `{}` is a path find found below its one starting point (`.` when none is given):
        // `find . -exec rm {} \;` removes `./…`, `find / -exec rm -rf {} +` removes `/…`.
        let starts: Vec<&Word> = words[1..]
            .iter()
            .skip_while(|w| {
                matches!(w.text.as_str(), "-H" | "-L" | "-P")
                    || w.text.starts_with("-O")
                    || w.text.starts_with("-D")
            })
            .take_while(|w| {
                w.dynamic || !(w.text.starts_with('-') || w.text == "(" || w.text == "!")
            })
            .collect();
        // Without a test in front of the action, the starting point itself is among what it
        // is given (`find build -exec rm -rf {} +` removes `build`); rm refuses `.` and `..`.
        let tested = words[1 + starts.len()..]
            .iter()
            .take_while(|w| !matches!(w.text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir"))
            .any(|w| {
                !matches!(
                    w.text.as_str(),
                    "-depth" | "-xdev" | "-mount" | "-follow" | "-maxdepth" | "-noleaf"
                ) && w.text.parse::<u32>().is_err()
            });
        let found = match starts.as_slice() {
            [] => Some("./{}".to_string()),
            [one] if !one.dynamic => {
                let start = one.text.trim_end_matches('/');
                let dots = start.is_empty()
                    || start == "."
                    || start == ".."
                    || start.ends_with("/.")
                    || start.ends_with("/..");
                Some(match (tested, dots) {
                    (true, _) => format!("{start}/{{}}"),
                    // `find . -exec rm -rf {} +`: all of `.` but `.` itself.
                    (false, true) => format!("{start}/*"),
                    (false, false) => start.to_string(),
                })
            }
            _ => None,
        };
        let mut i = 1;
        while i < words.len() {
            let t = words[i].text.as_str();
            if !words[i].dynamic && matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
                let start = i + 1;
                let mut end = start;
                while end < words.len() && !(matches!(words[end].text.as_str(), ";" | "+")) {
                    end += 1;
                }
                let inner: Vec<Word> = words[start..end]
                    .iter()
                    .map(|w| match &found {
                        Some(path) if w.text == "{}" && !w.dynamic => Word::lit(path.clone()),
                        _ => Word {
                            text: w.text.clone(),
                            dynamic: w.dynamic || w.text.contains("{}"),
                        },
                    })
                    .collect();
                self.command(inner, &frame.hop("find -exec"), Stdin::Inherited);
                i = end + 1;
            } else {
                i += 1;
            }
        }
    }

    /// gate itself: `gate [RUN OPTIONS] -- CMD`, `gate run [RUN OPTIONS] -- CMD` and
    /// `gate shell [RUN OPTIONS] -c SCRIPT` run CMD/SCRIPT, which is analysed; gate is reported
    /// too, so that its own options and subcommands are judged (`--policy`, `approve`).
    fn gate(&mut self, words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        const VALUE: &[&str] = &["--reason", "--as", "--timeout", "--channel", "--policy"];
        self.push(words.clone(), frame);
        let mut i = 1;
        let shell = match words.get(1).map(|w| w.text.as_str()) {
            Some("run") => {
                i = 2;
                false
            }
            Some("shell") => {
                i = 2;
                true
            }
            _ => false,
        };
        while i < words.len() {
            let t = words[i].text.as_str();
            if words[i].dynamic {
                i += 1;
                continue;
            }
            if t == "--" {
                if !shell {
                    let inner = words[i + 1..].to_vec();
                    self.command(inner, &frame.hop("gate"), stdin);
                }
                return;
            }
            if shell && t == "-c" {
                if let Some(code) = words.get(i + 1) {
                    if code.dynamic {
                        self.opaque("the script is an expansion", &code.text);
                    }
                    let code = code.text.clone();
                    self.script(&code, &frame.hop_script("gate shell -c"));
                }
                return;
            }
            if VALUE.contains(&t) {
                i += 2;
            } else if t.starts_with('-') {
                i += 1;
            } else {
                // A subcommand (`gate log`, `gate approve ID`): nothing more runs.
                return;
            }
        }
    }

    fn ssh(&mut self, words: Vec<Word>, frame: &Frame, stdin: Stdin) {
        const VALUE: &[&str] = &[
            "-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-m",
            "-O", "-Q", "-S", "-W", "-w", "-B", "-I", "-P",
        ];
        code_options::scan(self, &words, "ssh", frame);
        self.push(words.clone(), frame);
        // Options, the host, then (ssh parses them there too) more options, then the command.
        let Some(host) = peel(&words, VALUE, 0).cmd else {
            return;
        };
        let remote = peel(&words[host..], VALUE, 0).cmd;
        if let Some(start) = remote {
            let code = join(&words[host + start..]);
            self.script(&code, &frame.hop_script("ssh"));
        }
        let no_stdin = peel(&words[..host], VALUE, 0).has("-n");
        if !no_stdin {
            let remote_words = remote.map_or(&[][..], |s| &words[host + s..]);
            runners::ssh_stdin(self, remote_words, frame, stdin);
        }
    }

    /// `tmux new-session 'CMD'`, `split-window`, `run-shell`, and `send-keys` (typed into a shell).
    fn tmux(&mut self, words: Vec<Word>, frame: &Frame) {
        self.push(words.clone(), frame);
        const RUNS: &[&str] = &[
            "new-session",
            "new",
            "new-window",
            "neww",
            "split-window",
            "splitw",
            "respawn-pane",
            "respawnp",
            "respawn-window",
            "respawnw",
            "run-shell",
            "run",
            "send-keys",
            "send",
            "if-shell",
            "if",
            "pipe-pane",
            "pipep",
        ];
        const VALUE: &[&str] = &[
            "-t", "-s", "-n", "-c", "-F", "-e", "-x", "-y", "-l", "-L", "-S", "-f", "-N",
        ];
        let Some(sub) = words.iter().position(|w| RUNS.contains(&w.text.as_str())) else {
            return;
        };
        let Some(start) = peel(&words[sub..], VALUE, 0).cmd else {
            return;
        };
        let rest: Vec<Word> = words[sub + start..]
            .iter()
            .filter(|w| !matches!(w.text.as_str(), "Enter" | "C-m" | "KPEnter" | ";"))
            .cloned()
            .collect();
        let code = join(&rest);
        if rest.iter().any(|w| w.dynamic) {
            self.opaque("shell command string is an expansion", &code);
        }
        self.script(&code, &frame.hop_script("tmux"));
    }

    fn trap(&mut self, words: Vec<Word>, frame: &Frame) {
        self.push(words.clone(), frame);
        if words.len() >= 3 && !words[1].text.starts_with('-') {
            if words[1].dynamic {
                return self.opaque("trap action is an expansion", &join(&words));
            }
            self.script(&words[1].text, &frame.hop_script("trap"));
        }
    }

    fn alias(&mut self, words: Vec<Word>, frame: &Frame) {
        self.push(words.clone(), frame);
        for w in &words[1..] {
            if let Some((_, value)) = w.text.split_once('=') {
                if w.dynamic {
                    self.opaque("alias value is an expansion", &w.text);
                }
                self.script(value, &frame.hop_script("alias"));
            }
        }
    }

    fn shell(&mut self, words: Vec<Word>, frame: &Frame, stdin: Stdin, name: &str) {
        let mut command_mode = false;
        let mut stdin_mode = false;
        let mut inline_command: Option<Word> = None;
        let mut info_only = false;
        let mut i = 1;
        while i < words.len() {
            let w = &words[i];
            if w.dynamic {
                if command_mode || info_only {
                    break;
                }
                return self.opaque("shell argument is an expansion", &join(&words));
            }
            let t = w.text.as_str();
            if t == "--" || t == "-" {
                i += 1;
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                let (opt, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                match opt {
                    "version" | "help" => info_only = true,
                    "command" => {
                        command_mode = true;
                        match val {
                            Some(v) => inline_command = Some(Word::lit(v)),
                            None => {
                                inline_command = words.get(i + 1).cloned();
                                i += 1;
                            }
                        }
                    }
                    "init-command" => {
                        let code = match val {
                            Some(v) => Some(Word::lit(v)),
                            None => {
                                i += 1;
                                words.get(i).cloned()
                            }
                        };
                        self.shell_code(code, frame, name, &words);
                    }
                    "rcfile" | "init-file" if val.is_none() => i += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if t.len() > 1 && (t.starts_with('-') || t.starts_with('+')) {
                let mut extra = 0;
                for c in t[1..].chars() {
                    match c {
                        'c' => command_mode = true,
                        // `bash -n`: read the script, run nothing.
                        'n' if name != "fish" => info_only = true,
                        's' => stdin_mode = true,
                        'o' | 'O' => extra += 1,
                        'C' if name == "fish" => {
                            extra += 1;
                            let code = words.get(i + extra).cloned();
                            self.shell_code(code, frame, name, &words);
                        }
                        _ => {}
                    }
                }
                i += 1 + extra;
                continue;
            }
            break;
        }
        if command_mode && !info_only {
            let code = inline_command.or_else(|| words.get(i).cloned());
            if code.is_none() {
                return self.push(words, frame);
            }
            return self.shell_code(code, frame, name, &words);
        }
        if info_only {
            return self.push(words, frame);
        }
        if i < words.len() && !stdin_mode {
            let text = join(&words);
            self.script_file(ScriptKind::Shell(name.to_string()), &words, i, frame, &text);
            return self.opaque("runs a script file", &text);
        }
        self.interactive_shell(&words, stdin, frame);
    }

    /// A shell with no command reads its commands from its input: whatever feeds it is unseen
    /// (`curl … | sh`, `echo … | gate -- bash`), so it is opaque.
    fn interactive_shell(&mut self, words: &[Word], stdin: Stdin, frame: &Frame) {
        match stdin.feeds_code() {
            Some(src) => self.opaque(&format!("shell reads its script from {src}"), &join(words)),
            None => self.opaque("shell reads commands from its input", &join(words)),
        }
        // `bash <<EOF … EOF`, `sh <<< '…'`, `echo … | sh`: it stays opaque, but what the shell
        // is shown is judged too.
        if let Some(text) = self.fed_text(stdin) {
            self.script(&text, &frame.hop_script(runners::fed_label(stdin)));
        }
    }

    /// The known text on standard input, once, for a command that reads it as code.
    pub(crate) fn fed_text(&mut self, stdin: Stdin) -> Option<String> {
        if stdin == Stdin::Inherited {
            return None;
        }
        self.stdin_text.take()
    }

    fn shell_code(&mut self, code: Option<Word>, frame: &Frame, name: &str, words: &[Word]) {
        let Some(w) = code else {
            return;
        };
        if w.dynamic {
            // Still analyse what is known of it: it can only add commands.
            self.opaque("shell command string is an expansion", &join(words));
        }
        self.script(&w.text, &frame.hop_script(&format!("{name} -c")));
    }
}
