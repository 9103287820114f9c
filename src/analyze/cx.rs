//! The analyser's state ([`Cx`]), where a command is found ([`Frame`]) and what feeds its
//! standard input ([`Stdin`]), with the budgets that bound one analysis. Every part of the
//! analyser works on a `Cx`; this module depends on none of them, only on the data types (the
//! methods that walk a script or unwrap a command are in `unwrap`).

use std::collections::HashSet;

use super::{Analysis, Opaque, Origin, SimpleCommand, Word, Wrappers, snippet};

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

/// The base name of a program path.
pub fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// The words' texts, separated by spaces.
pub(crate) fn join(words: &[Word]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&w.text);
    }
    s
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

    /// Analyse a script again as dash reads it (see [`super::shell::dash_reading`]) and keep what
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

    /// A call of the function `name`, when the line defined one: its body runs here. A call
    /// inside its own body is a loop, and calls followed are budgeted ([`MAX_EXPANSIONS`]):
    /// both are opaque.
    pub(crate) fn call_function(&mut self, name: &str, words: &[Word], frame: &Frame) {
        let Some(body) = self.function(name) else {
            return;
        };
        if self.calling.iter().any(|c| c == name) {
            self.opaque("function calls itself", &join(words));
        } else if self.expansions >= MAX_EXPANSIONS {
            self.opaque("too many function calls to follow", &join(words));
        } else {
            self.expansions += 1;
            self.calling.push(name.to_string());
            self.script(&body, &frame.hop_script(&format!("function {name}")));
            self.calling.pop();
        }
    }

    /// The known text on standard input, once, for a command that reads it as code.
    pub(crate) fn fed_text(&mut self, stdin: Stdin) -> Option<String> {
        if stdin == Stdin::Inherited {
            return None;
        }
        self.stdin_text.take()
    }
}
