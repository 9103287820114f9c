//! The wrapper data: the built-in wrapper table ([`Wrappers`], which a policy extends), the
//! shells, the programs whose subcommand runs a command (`uv run`, `bundle exec`, …), and how a
//! wrapper's own options are read ([`peel`]). Programs with their own syntax are handled in
//! code (`unwrap`, `runners`), their option lists next to that code.

use super::Word;

/// A wrapper program: it runs another command given in its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapperSpec {
    /// Base name, e.g. "sudo".
    pub program: String,
    /// Options that take a separate value: "-u", "--user" (`--user=x` and `-ux` are understood too).
    pub value_options: Vec<String>,
    /// Positional arguments before the wrapped command (`timeout DURATION` -> 1).
    pub skip_positionals: usize,
}

impl WrapperSpec {
    fn new(program: &str, value_options: &[&str], skip_positionals: usize) -> Self {
        WrapperSpec {
            program: program.to_string(),
            value_options: value_options.iter().map(|s| s.to_string()).collect(),
            skip_positionals,
        }
    }
}

/// The wrapper table: the built-in generic wrappers plus the policy's own.
///
/// Wrappers with their own semantics (env, xargs, find, shells, ssh, watch, parallel, busybox,
/// sudo -s, command -v, …) are handled in code; the table holds the ones described fully by
/// [`WrapperSpec`]. A policy spec replaces a table entry of the same name; programs handled in
/// code (shells, env, xargs, find, ssh, …) keep their own handling, which is stricter.
#[derive(Debug, Clone)]
pub struct Wrappers {
    specs: Vec<WrapperSpec>,
}

impl Wrappers {
    /// The built-in wrappers.
    pub fn builtin() -> Self {
        let specs = vec![
            WrapperSpec::new(
                "sudo",
                &[
                    "-u",
                    "-g",
                    "-h",
                    "-p",
                    "-C",
                    "-D",
                    "-r",
                    "-t",
                    "-U",
                    "-T",
                    "-R",
                    "--user",
                    "--group",
                    "--host",
                    "--prompt",
                    "--close-from",
                    "--chdir",
                    "--role",
                    "--type",
                    "--other-user",
                    "--command-timeout",
                    "--chroot",
                ],
                0,
            ),
            WrapperSpec::new("doas", &["-u", "-C"], 0),
            WrapperSpec::new("nice", &["-n", "--adjustment"], 0),
            WrapperSpec::new("ionice", &["-c", "-n", "-p", "--class", "--classdata"], 0),
            WrapperSpec::new("nohup", &[], 0),
            WrapperSpec::new("time", &["-f", "-o", "--format", "--output"], 0),
            WrapperSpec::new("timeout", &["-s", "-k", "--signal", "--kill-after"], 1),
            WrapperSpec::new(
                "stdbuf",
                &["-i", "-o", "-e", "--input", "--output", "--error"],
                0,
            ),
            WrapperSpec::new("setsid", &[], 0),
            WrapperSpec::new(
                "chrt",
                &[
                    "-T",
                    "-P",
                    "-D",
                    "--sched-runtime",
                    "--sched-period",
                    "--sched-deadline",
                ],
                1,
            ),
            WrapperSpec::new("taskset", &[], 1),
            WrapperSpec::new("command", &[], 0),
            WrapperSpec::new("builtin", &[], 0),
            WrapperSpec::new("exec", &["-a"], 0),
            WrapperSpec::new("coproc", &[], 0),
            WrapperSpec::new("unbuffer", &[], 0),
            WrapperSpec::new("caffeinate", &["-t", "-w"], 0),
            WrapperSpec::new(
                "flock",
                &["-w", "-E", "--timeout", "--conflict-exit-code"],
                1,
            ),
            WrapperSpec::new(
                "systemd-run",
                &[
                    "-p",
                    "--property",
                    "-u",
                    "--unit",
                    "-M",
                    "--machine",
                    "-H",
                    "--host",
                    "-C",
                    "--capsule",
                    "--slice",
                    "--uid",
                    "--gid",
                    "--nice",
                    "--working-directory",
                    "-E",
                    "--setenv",
                    "--description",
                    "--service-type",
                    "--on-active",
                    "--on-boot",
                    "--on-startup",
                    "--on-unit-active",
                    "--on-unit-inactive",
                    "--on-calendar",
                    "--timer-property",
                    "--path-property",
                    "--socket-property",
                ],
                0,
            ),
            WrapperSpec::new("prlimit", &["-p", "--pid", "-o", "--output"], 0),
            WrapperSpec::new(
                "setpriv",
                &[
                    "--reuid",
                    "--regid",
                    "--ruid",
                    "--rgid",
                    "--euid",
                    "--egid",
                    "--groups",
                    "--inh-caps",
                    "--ambient-caps",
                    "--bounding-set",
                    "--securebits",
                    "--pdeathsig",
                    "--selinux-label",
                    "--apparmor-profile",
                    "--landlock-access",
                    "--landlock-rule",
                    "--seccomp-filter",
                ],
                0,
            ),
            WrapperSpec::new("ssh-agent", &["-a", "-E", "-O", "-P", "-t"], 0),
            WrapperSpec::new("dbus-run-session", &["--config-file", "--dbus-daemon"], 0),
            WrapperSpec::new("fakeroot", &["-l", "--lib", "--faked", "-s", "-i", "-b"], 0),
            WrapperSpec::new("eatmydata", &[], 0),
            WrapperSpec::new("valgrind", &[], 0),
            WrapperSpec::new(
                "numactl",
                &[
                    "-N",
                    "--cpunodebind",
                    "-m",
                    "--membind",
                    "-C",
                    "--physcpubind",
                    "-p",
                    "--preferred",
                    "-P",
                    "--preferred-many",
                    "-i",
                    "--interleave",
                    "-w",
                    "--weighted-interleave",
                ],
                0,
            ),
            WrapperSpec::new("faketime", &["-p", "--date-prog"], 1),
            WrapperSpec::new(
                "xvfb-run",
                &[
                    "-e",
                    "--error-file",
                    "-f",
                    "--auth-file",
                    "-n",
                    "--server-num",
                    "-p",
                    "--xauth-protocol",
                    "-s",
                    "--server-args",
                    "-w",
                    "--wait",
                ],
                0,
            ),
            WrapperSpec::new("chronic", &[], 0),
            WrapperSpec::new(
                "rlwrap",
                &[
                    "-b",
                    "--break-chars",
                    "-C",
                    "--command-name",
                    "-D",
                    "--history-no-dupes",
                    "-e",
                    "--extra-char-after-completion",
                    "-f",
                    "--file",
                    "-F",
                    "--history-format",
                    "-g",
                    "--forget-matching",
                    "-H",
                    "--history-filename",
                    "-l",
                    "--logfile",
                    "-O",
                    "--only-cook",
                    "-P",
                    "--pre-given",
                    "-q",
                    "--quote-characters",
                    "-s",
                    "--histsize",
                    "-S",
                    "--substitute-prompt",
                    "-t",
                    "--set-term-name",
                    "-w",
                    "--polling",
                    "-z",
                    "--filter",
                ],
                0,
            ),
            WrapperSpec::new("cgexec", &["-g"], 0),
            WrapperSpec::new(
                "chpst",
                &[
                    "-u", "-U", "-b", "-e", "-/", "-C", "-n", "-l", "-L", "-m", "-d", "-o", "-p",
                    "-f", "-c", "-r", "-t",
                ],
                0,
            ),
            WrapperSpec::new("sshpass", &["-p", "-f", "-d", "-P"], 0),
            WrapperSpec::new(
                "retry",
                &[
                    "-t",
                    "--times",
                    "--tries",
                    "-d",
                    "--delay",
                    "-m",
                    "--max-time",
                    "-b",
                    "--backoff",
                    "-x",
                    "--until",
                    "--retries",
                    "--sleep",
                ],
                0,
            ),
            WrapperSpec::new("flatpak-spawn", &[], 0),
            WrapperSpec::new("firejail", &[], 0),
            WrapperSpec::new("proxychains", &["-f"], 0),
            WrapperSpec::new("proxychains4", &["-f"], 0),
            WrapperSpec::new("torsocks", &[], 0),
            WrapperSpec::new("chroot", &["--userspec", "--groups"], 1),
            WrapperSpec::new(
                "nsenter",
                &[
                    "-t", "--target", "-S", "--setuid", "-G", "--setgid", "--wd", "-w",
                ],
                0,
            ),
            WrapperSpec::new(
                "unshare",
                &[
                    "--map-user",
                    "--map-group",
                    "--map-users",
                    "--map-groups",
                    "--setuid",
                    "--setgid",
                    "-S",
                    "-G",
                    "-R",
                    "--root",
                    "-w",
                    "--wd",
                    "--propagation",
                    "--setgroups",
                    "--monotonic",
                    "--boottime",
                    "--load-interp",
                ],
                0,
            ),
            WrapperSpec::new("pkexec", &["--user"], 0),
            WrapperSpec::new(
                "run0",
                &[
                    "-u",
                    "--user",
                    "-g",
                    "--group",
                    "-D",
                    "--chdir",
                    "--setenv",
                    "--unit",
                    "--property",
                    "--nice",
                    "--slice",
                ],
                0,
            ),
            WrapperSpec::new(
                "strace",
                &[
                    "-a",
                    "-b",
                    "-e",
                    "-E",
                    "-I",
                    "-o",
                    "-O",
                    "-p",
                    "-P",
                    "-S",
                    "-s",
                    "-u",
                    "-U",
                    "-X",
                    "--columns",
                    "--detach-on",
                    "--env",
                    "--interruptible",
                    "--output",
                    "--attach",
                    "--trace-path",
                    "--summary-sort-by",
                    "--string-limit",
                    "--user",
                    "--summary-columns",
                    "--const-print-style",
                    "--trace",
                    "--signal",
                    "--status",
                    "--abbrev",
                    "--verbose",
                    "--raw",
                    "--read",
                    "--write",
                    "--fault",
                    "--inject",
                    "--kvm",
                ],
                0,
            ),
            WrapperSpec::new(
                "ltrace",
                &[
                    "-a", "-e", "-o", "-p", "-s", "-u", "-n", "-x", "-F", "-A", "-D",
                ],
                0,
            ),
        ];
        Wrappers { specs }
    }

    /// The built-in wrappers plus policy-defined ones (which win on a name clash).
    pub fn with_extra(extra: Vec<WrapperSpec>) -> Self {
        let mut w = Self::builtin();
        for spec in extra {
            w.specs.retain(|s| s.program != spec.program);
            w.specs.push(spec);
        }
        w
    }

    pub(crate) fn get(&self, program: &str) -> Option<&WrapperSpec> {
        self.specs.iter().find(|s| s.program == program)
    }
}

impl Default for Wrappers {
    fn default() -> Self {
        Self::builtin()
    }
}

/// Shells: a `-c` string is a script, a file argument a script file, and with neither they read
/// their commands from their input.
pub(crate) const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "pdksh", "ash", "yash", "rbash", "posh", "fish",
    "csh", "tcsh", "ksh93", "oksh", "loksh",
];

/// Shells whose scripts tree-sitter-bash reads (csh and fish speak another language).
pub(crate) const SH_FAMILY: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "pdksh", "ash", "yash", "rbash", "posh", "ksh93",
    "oksh", "loksh",
];

/// Wrappers handled in code that run their command as a program: a shell function of that name
/// defined in the line is not what runs behind them (nor behind the table's wrappers, but
/// `time`, which is part of the shell's grammar).
pub(crate) const EXEC_WRAPPERS: &[&str] = &[
    "env", "xargs", "parallel", "find", "watch", "ssh", "busybox", "toybox", "gate", "spawn",
    "screen", "tmux",
];

/// `uv run CMD…`, `poetry run`, `bundle exec`, `npm exec --`, `aws-vault exec PROFILE --`, …:
/// the index where the command starts, for a program whose subcommand runs another command.
pub(crate) fn subcommand_wrapper(words: &[Word], program: &str) -> Option<usize> {
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
