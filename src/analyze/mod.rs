//! What would run: an argv or a shell script reduced to every simple command it executes.
//!
//! gate decides on what would actually execute, not on the text. This module is pure (no I/O,
//! no environment, no filesystem): it takes an argv ([`analyze_argv`]) or a shell script
//! ([`analyze_script`]) and returns every [`SimpleCommand`] that would run, plus the parts it
//! cannot resolve statically ([`Opaque`]).
//!
//! ## Shell scripts
//!
//! Scripts are parsed with tree-sitter-bash (a real parser, never a regex). Every simple command
//! is found wherever it sits: `;` `&&` `||` `|` `&`, newlines, `( )`, `{ }`, the bodies *and*
//! conditions of `if`/`while`/`until`/`for`/`case`, function bodies, `$( )`, backticks, `<( )`,
//! `>( )`, command substitutions inside arguments, strings, assignments, redirections and
//! unquoted here-documents, `!`, `time`, and `export`/`local`/`declare` values. Quotes and
//! escapes are removed (`k'ube'ctl`, `\kubectl`, `"kubectl"`, `$'\x72m'` are all the same word).
//! A word holding an expansion gate cannot resolve (`$X`, `"$HOME"`, `$(…)`, brace expansion) is
//! marked `dynamic`; globs are not. A script that does not parse is opaque as a whole, and the
//! commands that were found are still reported. Declaration commands (`export`, `local`,
//! `declare`, `readonly`, `unset`) are reported as commands; `[[ … ]]`, `(( … ))` and
//! assignments are not (only the substitutions inside them).
//!
//! ## Wrappers
//!
//! A wrapper is a program that runs another command given in its arguments. It is peeled off
//! (recursively; each hop is recorded in `via`, outermost first) and the wrapped command is
//! reported instead of the wrapper:
//!
//! - argv wrappers, with their options: `sudo` (`-u -g -h -p -C -D -r -t -U -T -R`, `--user=…`),
//!   `doas`, `env` (`-i -u -C`, `VAR=value`, and `-S`/`--split-string`, whose string is split),
//!   leading `VAR=value` assignments, `nice`, `ionice`, `nohup`, `time`, `timeout` (then the
//!   DURATION), `stdbuf`, `setsid`, `chrt` (PRIO), `taskset` (MASK or `-c` LIST), `flock` (FILE),
//!   `chroot` (DIR), `nsenter`, `unshare`, `pkexec`, `run0`, `runuser -u`, `systemd-run`, `setarch`, `prlimit`, `setpriv`, `fakeroot`,
//!   `numactl`, `faketime`, `xvfb-run`, `sshpass`, `retry`, … (see the table in `wrappers.rs`), `gdb --args`,
//!   `perf stat`, `docker`/`podman run|exec` (host bind mounts mapped to host paths),
//!   `strace`, `ltrace`, `unbuffer`, `firejail`, `proxychains`, `torsocks`, `caffeinate`,
//!   `command` (`command -v`/`-V` runs nothing), `builtin`, `exec` (`-a NAME -c -l`), `coproc`,
//!   `busybox`/`toybox` applets;
//! - `xargs` (its command; a dynamic word stands for the arguments read from stdin, and the
//!   `-I` replace string makes a word dynamic), `parallel` (the command before `:::`, run by a
//!   shell; with no command each `:::` argument is a command line), `find -exec/-execdir/-ok/
//!   -okdir … ;|+` (`{}` is a dynamic word; `find` itself is reported too);
//! - code in a string, analysed as a script: `sh`/`bash`/`zsh`/`dash`/`ksh`/`fish`/… `-c`
//!   (any flags before it: `-lc`, `-euo pipefail -c`, `--norc -c`), `sudo -s/-i CMD`, `su -c`,
//!   `runuser -c`, `sg GROUP CMD`, `script -c`, `flock -c`, `watch` (its arguments joined, as
//!   `sh -c` does), `ssh HOST CMD…` (the remote command; `ssh` itself is reported too),
//!   `trap 'CMD' SIG`, `alias n='CMD'`, `eval` (also opaque);
//! - command lines in options and variables, analysed as scripts: `GIT_SSH_COMMAND`, `PAGER`,
//!   `EDITOR`, `GIT_EXTERNAL_DIFF`, … in front of a command; `git -c core.sshCommand=…`
//!   (`alias.x=!…`, `*.pager`, `*.editor`, `diff.external`, …), `tar --to-command`/`-I`/
//!   `--checkpoint-action=exec=`, `rsync -e`, `ssh`/`scp -o ProxyCommand=…`, `zip -TT`,
//!   `sort --compress-program`, `man -P`, `vim -c ':!…'` (also opaque).
//!
//! A wrapper with no command after it (`sudo -v`, a bare `env`, `nohup`) is reported as itself.
//!
//! The wrapper list is data; a policy adds its own with `[[wrapper]]` tables:
//!
//! ```toml
//! [[wrapper]]
//! program = "with-creds"               # base name of the wrapper program
//! value_options = ["-p", "--profile"]  # options that take a value: `-p x`, `--profile=x`, `-px`
//! skip_positionals = 1                 # positional arguments before the wrapped command
//! ```
//!
//! Options not listed in `value_options` are flags (short flags may be bundled: `-ab`);
//! `--` ends the options; `VAR=value` words after the positionals are skipped. A policy entry
//! replaces a built-in table entry of the same name (e.g. to teach gate a new `sudo` option);
//! programs handled in code (shells, `env`, `xargs`, `find`, `ssh`, interpreters, …) keep
//! their own, stricter handling.
//!
//! ## Opaque
//!
//! Whatever gate cannot resolve statically is reported as opaque (and gets the policy's
//! `defaults.opaque`), never allowed by accident:
//!
//! - a command word that is an expansion (`$K`, `$(which kubectl)`, `"${CMD}"`, `rm${IFS}x`)
//!   or a glob (`/bin/r?`); a shell `-c` string that is an expansion (`bash -c "$CMD"`, what is
//!   known of it is still analysed);
//! - `eval` (its static text is analysed too); `source`/`.` of any file;
//! - a shell run on a script file (`bash x.sh`, `bash <(curl …)`: the file is also named in
//!   [`Analysis::scripts`], and a caller that reads it drops the entry), or with no command at all:
//!   it reads its commands from a pipe, a here-document, a here-string, a redirected file or
//!   gate's own input (`curl … | sh`, `bash <<EOF`, `bash <<< …`, `exec bash`, `sudo -i`, `su`);
//! - interpreter inline code: `python -c`, `node -e/-p/--eval`, `deno eval`, `bun -e`,
//!   `perl -e/-E` (also bundled: `-lne`), `ruby -e`, `php -r`, `lua -e`, `osascript -e`,
//!   `Rscript -e`, `julia -e`, `pwsh -Command`; an interpreter given no program (it reads it
//!   from its input) or a program that is an expansion;
//! - `awk` programs that call `system(`, or pipe to or from a command (`print | "sh"`,
//!   `"date" | getline`, `|&`); `sed` scripts with the GNU `e` command or `s///e` flag; `awk -f`
//!   and `sed -f` program files;
//! - variables and settings that load code gate cannot see: `LD_PRELOAD`, `BASH_ENV`,
//!   `NODE_OPTIONS`, `PERL5OPT`, `git -c core.hooksPath=…`, `vim -S`;
//! - a script that does not parse (tree-sitter ERROR/MISSING nodes, or text the grammar
//!   skipped), a NUL byte, nesting deeper than 200 levels;
//! - work past the budgets: a script over 1 MiB, more than 4 MiB parsed in one analysis
//!   (nested scripts re-read, dash's readings, function bodies at each call), more than 10,000
//!   commands; the analysis stops there.
//!
//! The string literals of inline code are analysed as shell scripts too (and a literal list
//! such as `["rm", "-rf", "/"]` as an argv); the commands found there are reported with origin
//! [`Origin::InlineCode`]: they can only make a decision stricter.
//!
//! ## Data is not code
//!
//! Arguments are words, never commands: `echo "rm -rf /"`, `git commit -m "kubectl delete"` and
//! `grep 'rm -rf' notes.md` hold no `rm` command. Only substitutions run (`echo $(rm -rf /)`).
//! Here-document bodies are data, except for substitutions in an unquoted here-document and
//! bodies fed to a shell (which is opaque).

mod code_options;
mod cx;
mod evaluated;
mod git;
mod inline;
mod resolve;
mod runners;
mod script_file;
mod shell;
mod unwrap;
mod wrappers;

#[cfg(test)]
mod tests;

pub use cx::basename;
pub use script_file::{ScriptKind, ScriptRef, Shebang, analyze_python, shebang};
pub use wrappers::{WrapperSpec, Wrappers};

/// One word of a simple command after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text with quotes and escapes removed (`k'ube'ctl` -> `kubectl`).
    pub text: String,
    /// The word holds an expansion gate cannot resolve statically (`$X`, `$(…)`); globs are not dynamic.
    pub dynamic: bool,
}

impl Word {
    /// A literal word.
    pub fn lit(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            dynamic: false,
        }
    }

    /// A word whose value is unknown.
    pub fn dynamic(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            dynamic: true,
        }
    }
}

/// Where a simple command was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The argv itself, or a wrapper's argument list.
    Argv,
    /// A shell script (`gate shell -c`, `bash -c`, `ssh host CMD`, `watch`, …).
    Script,
    /// A string literal inside interpreter inline code (`python -c`, `node -e`, …).
    InlineCode,
}

/// One command that would run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `words[0]` is the program as written after unwrapping (may hold `/`); never empty.
    pub words: Vec<Word>,
    pub origin: Origin,
    /// Wrappers peeled to reach it, outermost first, e.g. `["sudo", "bash -c"]`.
    pub via: Vec<String>,
}

/// Something gate cannot resolve statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    /// Short human text, e.g. "command word is an expansion".
    pub reason: String,
    /// The source text concerned, truncated to about 120 characters.
    pub snippet: String,
}

/// A redirection that opens a file: for writing (`>`, `>>`, `>|`, `&>`, `&>>`, `<>`, `N>`,
/// `>& FILE`) or reading (`<`), wherever it sits in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The operator as written, without the descriptor (`>`, `>>`, `&>`, …).
    pub op: String,
    /// The file it opens.
    pub target: Word,
    /// The index in [`Analysis::commands`] of the first command the redirection applies to
    /// (equal to the length of the list when no command follows it, as in a bare `> file`).
    pub command: usize,
}

/// Everything that would run, and what could not be resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub commands: Vec<SimpleCommand>,
    pub opaque: Vec<Opaque>,
    /// Files the script opens by redirection.
    pub redirects: Vec<Redirect>,
    /// Names of the environment or shell variables the invocation sets anywhere (`NAME=value`
    /// in front of a command, given to `env`, assigned as a statement, or named by
    /// `export`/`declare`/`typeset`/`local`/`readonly`).
    pub assigned: Vec<String>,
    /// Script files commands run (`bash x.sh`, `python3 x.py`), for a caller that can read
    /// them (see [`ScriptRef`]); a shell's script file is also opaque until it is read.
    pub scripts: Vec<ScriptRef>,
}

impl Analysis {
    /// Whether anything could not be resolved statically.
    pub fn is_opaque(&self) -> bool {
        !self.opaque.is_empty()
    }
}

/// Every simple command an argv would run. Never touches the shell parser unless a wrapper in
/// the argv runs a shell script (`bash -c`, `ssh host cmd`, `watch`, …).
pub fn analyze_argv(argv: &[String], wrappers: &Wrappers) -> Analysis {
    let mut cx = cx::Cx::new(wrappers);
    let words: Vec<Word> = argv.iter().map(|a| Word::lit(a.as_str())).collect();
    let frame = cx::Frame::root(Origin::Argv);
    cx.command(words, &frame, cx::Stdin::Inherited);
    cx.out
}

/// Every simple command a shell script would run.
pub fn analyze_script(script: &str, wrappers: &Wrappers) -> Analysis {
    let mut cx = cx::Cx::new(wrappers);
    let frame = cx::Frame::root(Origin::Script);
    cx.script(script, &frame);
    cx.out
}

/// Truncate source text for an [`Opaque`] snippet.
fn snippet(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut s: String = text.chars().take(MAX).collect();
    s.push('…');
    s
}
