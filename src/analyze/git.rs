//! git's own ways of running other commands: aliases (`git -c alias.nuke=reset nuke --hard`,
//! `git config alias.x …; git x`), configuration keys and `GIT_*` variables whose value is a
//! program (`core.sshCommand`, `GIT_SSH`, `GIT_CONFIG_KEY_n`), `ext::` URLs, and the `--` that
//! may stand before the subcommand (`git -- reset --hard`).

use super::Word;
use super::cx::{Cx, Frame, Stdin};

/// Aliases git expands before these many hops are reported as they are (git stops loops too).
const MAX_ALIAS_HOPS: usize = 10;

/// git's global options that take a separate value.
const GLOBAL_VALUE: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
    "--config-env",
    "--attr-source",
    "--exec-path",
];

/// Whether a program name is git (`git`, `GIT`, `git.exe`, `C:\…\git.exe`).
pub(crate) fn is_git(program: &str) -> bool {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let lower = base.to_ascii_lowercase();
    lower == "git" || lower == "git.exe"
}

/// Where the subcommand starts, after git's global options; configuration given there is
/// analysed on the way (`-c k=v`, `-ck=v`, `--config-env=k=VAR`).
fn subcommand(cx: &mut Cx, words: &mut Vec<Word>, frame: &Frame) -> Option<usize> {
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        if w.dynamic {
            return Some(i);
        }
        let t = w.text.clone();
        if t == "--" {
            // `git -- reset --hard`: the `--` only ends git's own options.
            words.remove(i);
            return (i < words.len()).then_some(i);
        }
        if !t.starts_with('-') {
            return Some(i);
        }
        if t == "-c" {
            // The separate `-c k=v` is analysed by code_options::scan (anywhere in the line).
            i += 2;
            continue;
        }
        if let Some(kv) = t.strip_prefix("-c") {
            // git wants `-c k=v`; `-ck=v` is read the same way to be safe.
            let kv = Word {
                text: kv.to_string(),
                dynamic: w.dynamic,
            };
            config(cx, &kv, frame);
            i += 1;
            continue;
        }
        let (name, attached) = match t.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (t.clone(), None),
        };
        if name == "--config-env" {
            let v = match attached.clone() {
                Some(v) => Some(Word::lit(v)),
                None => words.get(i + 1).cloned(),
            };
            if let Some(v) = v {
                // `--config-env=KEY=VAR`: the value comes from the environment, unseen.
                let key = v.text.split_once('=').map_or(v.text.as_str(), |(k, _)| k);
                if v.dynamic || runs_program(key) || key.to_ascii_lowercase().starts_with("alias.")
                {
                    cx.opaque(
                        "git configuration from an environment variable runs a program",
                        &v.text,
                    );
                }
            }
        }
        let separate = attached.is_none() && GLOBAL_VALUE.contains(&name.as_str());
        i += if separate && name != "--exec-path" {
            2
        } else {
            1
        };
    }
    None
}

/// The aliases set by `-c alias.NAME=VALUE` in front of the subcommand, and by earlier
/// `git config alias.NAME VALUE` commands of the same invocation.
fn alias(cx: &Cx, words: &[Word], sub: usize, name: &str) -> Option<Word> {
    let mut found = cx
        .git_aliases
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone());
    let mut i = 1;
    while i < sub {
        let t = words[i].text.as_str();
        let kv = if t == "-c" {
            i += 1;
            words.get(i).cloned()
        } else {
            t.strip_prefix("-c").map(|kv| Word {
                text: kv.to_string(),
                dynamic: words[i].dynamic,
            })
        };
        if let Some(kv) = kv
            && let Some((k, v)) = kv.text.split_once('=')
            && k.to_ascii_lowercase().strip_prefix("alias.") == Some(name)
        {
            found = Some(Word {
                text: v.to_string(),
                dynamic: kv.dynamic,
            });
        }
        i += 1;
    }
    found
}

/// A git command before it is recorded: the `--` before the subcommand dropped, aliases
/// expanded, `git config` writes of code-running keys analysed. Returns the words to record,
/// or None when nothing more is to be done (a `!` alias: its shell command was analysed).
pub(crate) fn command(cx: &mut Cx, mut words: Vec<Word>, frame: &Frame) -> Option<Vec<Word>> {
    for w in &words[1..] {
        if !w.dynamic && w.text.starts_with("ext::") {
            ext_url(cx, w, frame);
        }
    }
    env_config(cx, frame);
    // `-c core.sshCommand=FILE` in front: noted for the remote check below.
    for (i, w) in words.iter().enumerate().skip(1) {
        if w.text.starts_with("--") || !w.text.starts_with("-c") {
            continue;
        }
        let kv = if w.text == "-c" {
            words.get(i + 1).map(|n| n.text.as_str())
        } else {
            Some(&w.text[2..])
        };
        if let Some((k, v)) = kv.and_then(|kv| kv.split_once('='))
            && k.eq_ignore_ascii_case("core.sshcommand")
        {
            note_ssh_file(cx, v);
        }
    }
    let mut seen: Vec<String> = Vec::new();
    loop {
        let sub = subcommand(cx, &mut words, frame)?;
        if words[sub].dynamic {
            return Some(words);
        }
        let name = words[sub].text.clone();
        if let Some(file) = cx.git_ssh_file.clone()
            && talks_to_remote(&name, &words[sub + 1..])
        {
            cx.opaque(
                "git runs a program file as its ssh (GIT_SSH, GIT_SSH_COMMAND or core.sshCommand); gate cannot see what it does",
                &file,
            );
        }
        if name == "config" {
            config_command(cx, &words[sub..], frame);
            return Some(words);
        }
        if seen.contains(&name) || seen.len() >= MAX_ALIAS_HOPS {
            return Some(words);
        }
        let Some(value) = alias(cx, &words, sub, &name) else {
            return Some(words);
        };
        seen.push(name.clone());
        let hop = frame.hop_script(&format!("git alias {name}"));
        if value.dynamic {
            cx.opaque("git alias is an expansion", &value.text);
        }
        if let Some(shell) = value.text.strip_prefix('!') {
            // git runs `sh -c 'VALUE "$@"'` with the remaining arguments.
            let mut script = shell.to_string();
            for w in &words[sub + 1..] {
                script.push(' ');
                script.push_str(&w.text);
            }
            cx.push(words.clone(), frame);
            cx.script(&script, &hop);
            return None;
        }
        let expanded = super::inline::split_string(&value.text);
        if expanded.is_empty() {
            return Some(words);
        }
        let mut rebuilt: Vec<Word> = words[..sub].to_vec();
        rebuilt.extend(expanded);
        rebuilt.extend(words[sub + 1..].iter().cloned());
        words = rebuilt;
    }
}

/// The `GIT_CONFIG_KEY_n=K GIT_CONFIG_VALUE_n=V` pairs set so far, read as `-c K=V`.
fn env_config(cx: &mut Cx, frame: &Frame) {
    for (n, key, value) in std::mem::take(&mut cx.git_env_config) {
        let Some(key) = key else {
            continue;
        };
        let lower = key.text.to_ascii_lowercase();
        let dangerous = lower.starts_with("alias.")
            || lower.starts_with("include")
            || lower == "core.hookspath"
            || runs_program(&lower);
        match value {
            Some(v) if !key.dynamic => {
                if let Some(alias) = lower.strip_prefix("alias.") {
                    cx.git_aliases.push((alias.to_string(), v.clone()));
                }
                if lower == "core.sshcommand" {
                    note_ssh_file(cx, &v.text);
                }
                let kv = Word {
                    text: format!("{}={}", key.text, v.text),
                    dynamic: v.dynamic,
                };
                config(cx, &kv, frame);
            }
            _ if key.dynamic || dangerous => cx.opaque(
                "git configuration in the environment (GIT_CONFIG_KEY_n) is not fully known",
                &format!("GIT_CONFIG_KEY_{n}={}", key.text),
            ),
            _ => {}
        }
    }
}

/// The git subcommands that run ssh to reach a remote.
fn talks_to_remote(sub: &str, rest: &[Word]) -> bool {
    match sub {
        "push" | "fetch" | "pull" | "clone" | "ls-remote" | "send-pack" | "fetch-pack"
        | "submodule" => true,
        "remote" => rest
            .iter()
            .any(|w| matches!(w.text.as_str(), "update" | "prune" | "show" | "set-head")),
        "archive" => rest.iter().any(|w| w.text.starts_with("--remote")),
        _ => rest.iter().any(|w| w.dynamic),
    }
}

/// Remember a program file named as git's ssh.
fn note_ssh_file(cx: &mut Cx, value: &str) {
    if let Some(first) = program_file(value) {
        cx.git_ssh_file = Some(first.to_string());
    }
}

/// `git config [OPTIONS] [set] KEY VALUE`: a key that runs a program is analysed like
/// `-c KEY=VALUE`; an alias is remembered for later `git NAME` in the same invocation.
fn config_command(cx: &mut Cx, words: &[Word], frame: &Frame) {
    const VALUE: &[&str] = &["-f", "--file", "--blob", "--type", "--default", "--comment"];
    const READS: &[&str] = &[
        "--get",
        "--get-all",
        "--get-regexp",
        "--get-urlmatch",
        "--get-color",
        "--get-colorbool",
        "--unset",
        "--unset-all",
        "--list",
        "-l",
        "--edit",
        "-e",
        "--rename-section",
        "--remove-section",
        "get",
        "list",
        "unset",
        "edit",
        "rename-section",
        "remove-section",
    ];
    let mut positionals: Vec<&Word> = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if !w.dynamic && READS.contains(&t) {
            return;
        }
        if !w.dynamic && t.starts_with('-') {
            i += if VALUE.contains(&t) { 2 } else { 1 };
            continue;
        }
        positionals.push(w);
        i += 1;
    }
    if positionals.first().is_some_and(|w| w.text == "set") {
        positionals.remove(0);
    }
    let [key, value, ..] = positionals[..] else {
        return;
    };
    let kv = Word {
        text: format!("{}={}", key.text, value.text),
        dynamic: key.dynamic || value.dynamic,
    };
    if key.dynamic {
        cx.opaque("git configuration key is an expansion", &kv.text);
        return;
    }
    if let Some(name) = key.text.to_ascii_lowercase().strip_prefix("alias.") {
        cx.git_aliases.push((name.to_string(), value.clone()));
    }
    config(cx, &kv, frame);
}

/// Whether git runs the value of this configuration key as a program or shell command.
fn runs_program(key: &str) -> bool {
    const RUNS: &[&str] = &[
        "sshcommand",
        "pager",
        "editor",
        "fsmonitor",
        "external",
        "askpass",
        "program",
        "helper",
        "textconv",
        "command",
        "clean",
        "smudge",
        "process",
        "proxy",
        "cmd",
        "uploadpack",
        "receivepack",
        "driver",
        "hook",
    ];
    let key = key.to_ascii_lowercase();
    let last = key.rsplit('.').next().unwrap_or("");
    RUNS.iter().any(|r| last.ends_with(r)) || key.starts_with("pager.")
}

/// `git -c key=value` (and `git config key value`): keys whose value git runs.
pub(crate) fn config(cx: &mut Cx, w: &Word, frame: &Frame) {
    let Some((key, value)) = w.text.split_once('=') else {
        return;
    };
    let key = key.to_ascii_lowercase();
    if value.starts_with("ext::") {
        ext_url(cx, &Word::lit(value), frame);
    }
    if key.starts_with("alias.") {
        if let Some(shell) = value.strip_prefix('!') {
            program_value(cx, "git -c alias", shell, w.dynamic, frame);
        }
        return;
    }
    if key == "core.hookspath" || key.starts_with("include") {
        cx.opaque("git configuration loads code", &w.text);
        return;
    }
    if runs_program(&key) {
        let value = value.strip_prefix('!').unwrap_or(value);
        program_value(cx, &format!("git -c {key}"), value, w.dynamic, frame);
    }
}

/// A `GIT_*` variable given to a command, `env` or `export`: true when handled here.
pub(crate) fn env(cx: &mut Cx, name: &str, value: &str, dynamic: bool, frame: &Frame) -> bool {
    const PROGRAMS: &[&str] = &[
        "GIT_SSH_COMMAND",
        "GIT_SSH",
        "GIT_PAGER",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
        "GIT_EXTERNAL_DIFF",
        "GIT_ASKPASS",
        "GIT_PROXY_COMMAND",
    ];
    if matches!(name, "GIT_SSH" | "GIT_SSH_COMMAND") {
        // Only the commands that reach a remote run it (see `command`).
        note_ssh_file(cx, value);
        if dynamic {
            cx.opaque("command in an option or variable is an expansion", value);
        }
        cx.script(value, &frame.hop_script(name));
        return true;
    }
    if PROGRAMS.contains(&name) {
        program_value(cx, name, value, dynamic, frame);
        return true;
    }
    // GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n: `-c` by environment, read
    // when a git command follows (see `env_config`).
    let pair = name
        .strip_prefix("GIT_CONFIG_KEY_")
        .map(|n| (n, true))
        .or_else(|| name.strip_prefix("GIT_CONFIG_VALUE_").map(|n| (n, false)));
    if let Some((n, is_key)) = pair {
        let w = Word {
            text: value.to_string(),
            dynamic,
        };
        let i = match cx.git_env_config.iter().position(|(k, _, _)| k == n) {
            Some(i) => i,
            None => {
                cx.git_env_config.push((n.to_string(), None, None));
                cx.git_env_config.len() - 1
            }
        };
        if is_key {
            cx.git_env_config[i].1 = Some(w);
        } else {
            cx.git_env_config[i].2 = Some(w);
        }
        return true;
    }
    if matches!(
        name,
        "GIT_EXEC_PATH" | "GIT_TEMPLATE_DIR" | "GIT_CONFIG_SYSTEM"
    ) {
        cx.opaque(
            "git variable makes git run programs gate cannot see",
            &format!("{name}={value}"),
        );
        return true;
    }
    false
}

/// `export GIT_SSH_COMMAND=…` (and `declare -x`, …): what it sets reaches every later git.
pub(crate) fn declaration(cx: &mut Cx, words: &[Word], frame: &Frame) {
    if !matches!(
        words[0].text.as_str(),
        "export" | "declare" | "typeset" | "readonly" | "local"
    ) {
        return;
    }
    for w in &words[1..] {
        if let Some((name, value)) = w.text.split_once('=')
            && name.starts_with("GIT_")
        {
            // The value is still as written (`'ssh -i k'`): remove its quotes.
            let parts = super::inline::split_string(value);
            let text: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
            let dynamic = w.dynamic || parts.iter().any(|p| p.dynamic);
            env(cx, name, &text.join(" "), dynamic, frame);
        }
    }
}

/// The value of a key or variable git runs: analysed as a shell command line; a program given
/// as a file path (not a system directory) is opaque: gate cannot see what it does, and it is
/// hidden from whoever reads the git command.
fn program_value(cx: &mut Cx, what: &str, value: &str, dynamic: bool, frame: &Frame) {
    if dynamic {
        cx.opaque("command in an option or variable is an expansion", value);
    }
    cx.script(value, &frame.hop_script(what));
    if what == "git -c core.sshcommand" {
        // Only the commands that reach a remote run it (see `command`).
        return;
    }
    if program_file(value).is_some() {
        cx.opaque(
            &format!("git runs a program file from {what}; gate cannot see what it does"),
            value,
        );
    }
}

/// The program of a command line when it is a file path outside the system directories.
fn program_file(value: &str) -> Option<&str> {
    const SYSTEM: &[&str] = &[
        "/usr/bin/",
        "/bin/",
        "/usr/local/bin/",
        "/opt/homebrew/bin/",
        "/usr/sbin/",
        "/sbin/",
    ];
    let first = value
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(['"', '\'']);
    (first.contains(['/', '\\']) && !SYSTEM.iter().any(|d| first.starts_with(d))).then_some(first)
}

/// `ext::CMD ARGS` URLs make git run CMD (with `protocol.ext.allow`): opaque, and CMD analysed.
fn ext_url(cx: &mut Cx, w: &Word, frame: &Frame) {
    let spec = &w.text["ext::".len()..];
    cx.opaque("git ext:: URL runs a command", &w.text);
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some(' ') => cur.push(' '),
                Some('%') => cur.push('%'),
                Some(_) => {
                    words.push(Word::dynamic(std::mem::take(&mut cur)));
                }
                None => {}
            },
            ' ' => {
                if !cur.is_empty() {
                    words.push(Word::lit(std::mem::take(&mut cur)));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(Word::lit(cur));
    }
    words.retain(|w| !w.text.is_empty() || w.dynamic);
    if !words.is_empty() && !words[0].dynamic {
        cx.command(words, &frame.hop("git ext::"), Stdin::Inherited);
    }
}
