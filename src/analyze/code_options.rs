//! Options and environment variables whose value is a command line: `tar --to-command=…`,
//! `rsync -e …`, `git -c core.sshCommand=…`, `ssh -o ProxyCommand=…`, `GIT_SSH_COMMAND=… git`,
//! `vim -c '!…'`. Their values are analysed as scripts (they can only add commands); values
//! that load code gate cannot see (`LD_PRELOAD`, `BASH_ENV`, `core.hooksPath`) are opaque.

use super::Word;
use super::cx::{Cx, Frame};

/// Variables whose value a program runs as a command line.
/// (git's own, `GIT_SSH_COMMAND`, `GIT_PAGER`, …, are read by `git::env`.)
const COMMAND_VARS: &[&str] = &[
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "PAGER",
    "MANPAGER",
    "EDITOR",
    "VISUAL",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "PROMPT_COMMAND",
    "RSYNC_RSH",
    "CVS_RSH",
];

/// Variables that make a program load code from elsewhere.
const LOADER_VARS: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "BASH_ENV",
    "NODE_OPTIONS",
    "PERL5OPT",
    "RUBYOPT",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_GLOBAL",
    "GIT_DIR",
];

/// A `NAME=value` word in front of a command (or given to `env`/`sudo`).
pub(crate) fn assignment(cx: &mut Cx, w: &Word, frame: &Frame) {
    let Some((name, value)) = w.text.split_once('=') else {
        return;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    cx.assigned(name);
    if name.starts_with("GIT_") && super::git::env(cx, name, value, w.dynamic, frame) {
        return;
    }
    if name == "LESSOPEN" || name == "LESSCLOSE" {
        // `|cmd %s`, `||cmd %s`, `|-cmd %s`: less runs the command with a shell.
        let value = value.trim_start_matches(['|', '-']);
        return command_value(cx, name, value, w.dynamic, frame);
    } else if let Some(f) = name.strip_prefix("BASH_FUNC_") {
        // An exported function (`BASH_FUNC_ls%%=() { …; }`): bash defines it and runs it in
        // place of the command of that name.
        let f = f.trim_end_matches(['%', '(', ')']);
        let f = if f.is_empty() { "f" } else { f };
        if value.trim_start().starts_with('(') {
            return command_value(cx, name, &format!("{f}{value}"), w.dynamic, frame);
        }
        return;
    }
    if COMMAND_VARS.contains(&name) {
        command_value(cx, name, value, w.dynamic, frame);
    } else if LOADER_VARS.contains(&name) {
        // BASH_ENV is expanded (`$(…)` runs) before bash reads the file it names.
        super::evaluated::expanded_later(cx, value, frame);
        cx.opaque(
            &format!("environment variable {name} loads code gate cannot see"),
            &w.text,
        );
    } else if name == "ENV" && value.contains(['/', '$', '`', ' ', '~']) {
        // An interactive sh (and bash in POSIX mode) runs the file $ENV names: a path is
        // code; a word such as `production` is an application's setting.
        super::evaluated::expanded_later(cx, value, frame);
        cx.opaque(
            "environment variable ENV names a file a shell runs",
            &w.text,
        );
    } else if matches!(name, "PS0" | "PS1" | "PS2" | "PS4") {
        // Prompts (and PS4, the `set -x` trace prefix) are expanded: their substitutions run.
        super::evaluated::expanded_later(cx, value, frame);
    }
}

fn command_value(cx: &mut Cx, what: &str, value: &str, dynamic: bool, frame: &Frame) {
    if dynamic {
        cx.opaque("command in an option or variable is an expansion", value);
    }
    cx.script(value, &frame.hop_script(what));
}

/// Long options (`--x=V`, `--x V`) and short options (`-x V`, `-xV`) whose value is a command.
fn command_options(program: &str) -> &'static [&'static str] {
    match program {
        "tar" | "gtar" | "bsdtar" => &[
            "--to-command",
            "--use-compress-program",
            "-I",
            "--checkpoint-action",
            "--info-script",
            "--new-volume-script",
            "-F",
        ],
        "rsync" => &["-e", "--rsh", "--rsync-path"],
        "scp" | "sftp" => &["-S"],
        "zip" => &["-TT", "--unzip-command"],
        "sort" => &["--compress-program"],
        "tcpdump" => &["-z"],
        "man" => &["-P", "--pager"],
        "git" => &["--upload-pack", "--receive-pack", "--exec"],
        "npx" | "npm" => &["-c", "--call"],
        "nodemon" => &["--exec", "-x"],
        _ => &[],
    }
}

/// Report the commands hidden in the options of a plain command.
pub(crate) fn scan(cx: &mut Cx, words: &[Word], program: &str, frame: &Frame) {
    let options = command_options(program);
    let ssh_like = matches!(program, "ssh" | "scp" | "sftp");
    let vim_like = matches!(
        program,
        "vi" | "vim" | "nvim" | "view" | "ex" | "gvim" | "vimdiff" | "rvim"
    );
    if matches!(program, "strace" | "ltrace") {
        return trace_output(cx, words, frame);
    }
    if options.is_empty() && !ssh_like && !vim_like && !matches!(program, "git" | "gdb") {
        return;
    }
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if t == "--" {
            break;
        }
        let next = words.get(i + 1);
        for opt in options {
            let value = if t == *opt {
                next.map(|n| (n.text.as_str(), n.dynamic))
            } else if let Some(v) = t.strip_prefix(opt) {
                let attached = if opt.starts_with("--") {
                    v.strip_prefix('=')
                } else {
                    Some(v).filter(|v| !v.is_empty() && opt.len() == 2)
                };
                attached.map(|v| (v, w.dynamic))
            } else {
                None
            };
            if let Some((v, dynamic)) = value {
                let v = v.strip_prefix("exec=").unwrap_or(v);
                command_value(cx, &format!("{program} {opt}"), v, dynamic, frame);
            }
        }
        if ssh_like && t.starts_with("-o") {
            let v = if t == "-o" { next } else { Some(w) };
            if let Some(v) = v {
                ssh_option(cx, v, frame);
            }
        }
        if program == "git" {
            if t == "-c" {
                if let Some(v) = next {
                    super::git::config(cx, v, frame);
                }
            }
            // `git rebase -x CMD`, `git submodule foreach CMD…`
            if t == "-x" && words.iter().any(|w| w.text == "rebase") {
                if let Some(v) = next {
                    command_value(cx, "git rebase -x", &v.text, v.dynamic, frame);
                }
            }
            if t == "foreach" && words.iter().any(|w| w.text == "submodule") {
                let rest: Vec<&str> = words[i + 1..]
                    .iter()
                    .map(|w| w.text.as_str())
                    .filter(|t| !t.starts_with("--"))
                    .collect();
                let dynamic = words[i + 1..].iter().any(|w| w.dynamic);
                command_value(cx, "git submodule foreach", &rest.join(" "), dynamic, frame);
                break;
            }
        }
        if program == "gdb" && matches!(t, "-ex" | "-eval-command" | "--eval-command" | "-iex") {
            if let Some(v) = next {
                gdb_command(cx, v, frame);
            }
        }
        if vim_like {
            let cmd = if t == "-c" || t == "--cmd" {
                next
            } else if t.starts_with('+') && t.len() > 1 {
                Some(w)
            } else {
                None
            };
            if let Some(c) = cmd {
                vim_command(cx, c, frame);
            }
            if t == "-S" {
                cx.opaque("runs a script file", t);
            }
        }
        i += 1;
    }
}

/// `ssh -o ProxyCommand=…` and friends.
pub(crate) fn ssh_option(cx: &mut Cx, w: &Word, frame: &Frame) {
    let t = w.text.strip_prefix("-o").unwrap_or(&w.text).trim_start();
    let split = t.find(|c: char| c == '=' || c.is_whitespace());
    let Some(p) = split else {
        return;
    };
    let sep_len = t[p..].chars().next().map_or(1, char::len_utf8);
    let (key, value) = (
        &t[..p],
        t[p + sep_len..].trim_start_matches(['=', ' ', '\t']),
    );
    let key = key.to_ascii_lowercase();
    if matches!(
        key.as_str(),
        "proxycommand" | "localcommand" | "remotecommand" | "knownhostscommand"
    ) {
        command_value(cx, "ssh -o", value, w.dynamic, frame);
    }
}

/// `gdb -ex 'shell CMD'` / `-ex '!CMD'` / python and pipes.
fn gdb_command(cx: &mut Cx, w: &Word, frame: &Frame) {
    let c = w.text.trim_start();
    let shell = c
        .strip_prefix('!')
        .or_else(|| c.strip_prefix("shell "))
        .or_else(|| c.strip_prefix("pipe "))
        .or_else(|| c.strip_prefix('|'));
    if let Some(cmd) = shell {
        cx.opaque("debugger command runs code", &w.text);
        cx.script(cmd, &frame.hop_script("gdb -ex"));
    } else if c.starts_with("python") || c.starts_with("source") || c.starts_with("guile") {
        cx.opaque("debugger command runs code", &w.text);
    }
}

/// `vim -c CMD` / `+CMD`: ex commands can run shell commands (`:!cmd`, `system()`, `:terminal`).
fn vim_command(cx: &mut Cx, w: &Word, frame: &Frame) {
    let c = w.text.trim_start_matches('+').trim_start_matches(':');
    if c.chars().all(|ch| ch.is_ascii_digit()) {
        return;
    }
    let lower = c.to_ascii_lowercase();
    let runs = lower.contains('!')
        || lower.contains("system")
        || lower.contains("term")
        || lower.contains("py")
        || lower.contains("lua")
        || lower.contains("perl")
        || lower.contains("ruby")
        || lower.starts_with("so")
        || w.dynamic;
    if runs {
        cx.opaque("editor command runs code", &w.text);
        if let Some(p) = c.find('!') {
            cx.script(&c[p + 1..], &frame.hop_script("vim -c"));
        }
    }
}

/// `strace -o '|CMD'` / `-o '!CMD'`: the trace is piped to CMD, run by a shell.
fn trace_output(cx: &mut Cx, words: &[Word], frame: &Frame) {
    for (i, w) in words.iter().enumerate() {
        let t = w.text.as_str();
        let value = match t {
            "-o" | "--output" => words.get(i + 1),
            _ => None,
        };
        let (v, dynamic) = match value {
            Some(v) => (v.text.as_str(), v.dynamic),
            None => match t.strip_prefix("--output=").or_else(|| t.strip_prefix("-o")) {
                Some(v) if !v.is_empty() => (v, w.dynamic),
                _ => continue,
            },
        };
        if let Some(cmd) = v.strip_prefix('|').or_else(|| v.strip_prefix('!')) {
            command_value(cx, "strace -o", cmd, dynamic, frame);
        }
    }
}
