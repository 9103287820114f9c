//! Programs that run a command given in their arguments, or code given on their standard input,
//! with their own syntax: `setarch ARCH [opts] CMD`, `gdb --args`, `perf stat`, `docker run`,
//! `hyperfine 'CMD'…`, `watchexec`, `parallel … ::: …` (its jobs substituted), `ed`'s `!cmd`,
//! `sqlite3 .shell`, `psql \!`, `mysql system`, and `ssh HOST` reading its script on stdin.

use super::cx::{Cx, Frame, Stdin, basename, join};
use super::wrappers::{SHELLS, peel};
use super::{SimpleCommand, Word, code_options, inline};

/// The name of the hop for text fed on standard input.
pub(crate) fn fed_label(stdin: Stdin) -> &'static str {
    match stdin {
        Stdin::Heredoc => "here-document",
        Stdin::Herestring => "here-string",
        Stdin::Pipe => "pipe",
        Stdin::File | Stdin::Inherited => "stdin",
    }
}

/// What a pipeline element writes, when that is plain: `echo LITERAL…`, `printf LITERAL…`
/// (one command, no wrapper, no expansion).
pub(crate) fn known_output(cmds: &[SimpleCommand]) -> Option<String> {
    let [c] = cmds else {
        return None;
    };
    if !c.via.is_empty() || c.words.iter().any(|w| w.dynamic) {
        return None;
    }
    let args: Vec<&str> = c.words[1..].iter().map(|w| w.text.as_str()).collect();
    match basename(&c.words[0].text) {
        "echo" => {
            let mut escapes = false;
            let mut i = 0;
            while i < args.len()
                && args[i].len() > 1
                && args[i].starts_with('-')
                && args[i][1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
            {
                escapes |= args[i].contains('e');
                i += 1;
            }
            let text = args[i..].join(" ");
            Some(if escapes { unescape(&text) } else { text })
        }
        "printf" => {
            // Exactly what printf prints, for formats of `%s` and `%%` only (the format is
            // reused until the arguments are used up); anything else is unknown.
            let (fmt, rest) = args.split_first()?;
            let fmt = unescape(fmt);
            let mut text = String::new();
            let mut args = rest.iter();
            loop {
                let mut used = false;
                let mut chars = fmt.chars();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        text.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('%') => text.push('%'),
                        Some('s') => {
                            used = true;
                            text.push_str(args.next().copied().unwrap_or(""));
                        }
                        _ => return None,
                    }
                }
                if !used || args.len() == 0 {
                    break;
                }
            }
            Some(text)
        }
        _ => None,
    }
}

/// Backslash escapes of `printf`/`echo -e`.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Handle the programs of this module; false when `name` is none of them.
pub(crate) fn handle(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin, name: &str) -> bool {
    match name {
        "setarch" | "linux32" | "linux64" | "i386" | "x86_64" => setarch(cx, words, frame, stdin),
        "gdb" | "cgdb" | "lldb" => {
            let Some(i) = words
                .iter()
                .position(|w| !w.dynamic && matches!(w.text.as_str(), "--args" | "-args" | "--"))
            else {
                return false;
            };
            code_options::scan(cx, &words[..i], name, frame);
            if i + 1 >= words.len() {
                return false;
            }
            cx.command(words[i + 1..].to_vec(), &frame.hop(name), stdin);
        }
        "perf" => return perf(cx, words, frame, stdin),
        "docker" | "podman" | "nerdctl" | "docker-compose" => {
            return container(cx, words, frame, stdin, name);
        }
        "hyperfine" => hyperfine(cx, words, frame),
        "watchexec" => watchexec(cx, words, frame),
        "npx"
            if words
                .iter()
                .any(|w| matches!(w.text.as_str(), "-c" | "--call")) =>
        {
            code_options::scan(cx, words, name, frame);
        }
        "pnpm" if words.get(1).is_some_and(|w| w.text == "dlx") => {
            let p = peel(&words[1..], &["--package", "--allow-build"], 0);
            let Some(start) = p.cmd else {
                return false;
            };
            let rest = &words[1 + start..];
            if p.has("-c") || p.has("--shell-mode") {
                shell_string(cx, rest, &frame.hop_script("pnpm dlx -c"));
            } else {
                cx.command(rest.to_vec(), &frame.hop("pnpm dlx"), stdin);
            }
        }
        "ed" | "red" => {
            cx.push(words.to_vec(), frame);
            match cx.fed_text(stdin) {
                Some(text) => ed_commands(cx, &text, frame),
                None => {
                    if let Some(src) = stdin.feeds_code() {
                        cx.opaque(
                            &format!("ed reads its commands from {src}, which can run commands"),
                            &join(words),
                        );
                    }
                }
            }
        }
        "sqlite3" | "psql" | "mysql" | "mariadb" => sql_client(cx, words, frame, stdin, name),
        _ => return false,
    }
    true
}

/// Words joined and run by a shell (`watchexec 'CMD'`); an expansion in them is opaque.
fn shell_string(cx: &mut Cx, words: &[Word], frame: &Frame) {
    let code = join(words);
    if words.iter().any(|w| w.dynamic) {
        cx.opaque("shell command string is an expansion", &code);
    }
    cx.script(&code, frame);
}

/// `setarch [ARCH] [options] [CMD…]`: options may come after the architecture.
fn setarch(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin) {
    const VALUE: &[&str] = &[];
    let p = peel(words, VALUE, 0);
    let mut start = p.cmd;
    if basename(&words[0].text) == "setarch" {
        // The architecture, then more options.
        start = start.and_then(|arch| peel(&words[arch..], VALUE, 0).cmd.map(|s| arch + s));
    }
    match start {
        Some(s) => cx.command(words[s..].to_vec(), &frame.hop("setarch"), stdin),
        None => cx.push(words.to_vec(), frame),
    }
}

/// `perf stat|record|trace|top [options] [--] CMD…`.
fn perf(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin) -> bool {
    const VALUE: &[&str] = &[
        "-e",
        "--event",
        "-o",
        "--output",
        "-p",
        "--pid",
        "-t",
        "--tid",
        "-C",
        "--cpu",
        "-r",
        "--repeat",
        "-G",
        "--cgroup",
        "-I",
        "--interval-print",
        "-F",
        "--freq",
        "-c",
        "--count",
        "-m",
        "--mmap-pages",
        "-x",
        "--field-separator",
        "-u",
        "--uid",
        "-D",
        "--delay",
        "-j",
        "--branch-filter",
        "--filter",
        "--call-graph",
        "-M",
        "--metrics",
        "--pre",
        "--post",
        "--output-fd",
        "-b",
        "--bpf-prog",
        "--switch-output",
        "--clockid",
        "-k",
        "--duration",
    ];
    let Some(sub) = words.get(1) else {
        return false;
    };
    if !matches!(
        sub.text.as_str(),
        "stat" | "record" | "trace" | "top" | "sched" | "mem" | "c2c" | "kmem" | "lock" | "kvm"
    ) {
        return false;
    }
    // `perf stat --pre CMD --post CMD`: run by a shell.
    for (i, w) in words.iter().enumerate() {
        let value = match w.text.as_str() {
            "--pre" | "--post" => words.get(i + 1).cloned(),
            t => t
                .strip_prefix("--pre=")
                .or_else(|| t.strip_prefix("--post="))
                .map(Word::lit),
        };
        if let Some(v) = value {
            if v.dynamic {
                cx.opaque("command in an option or variable is an expansion", &v.text);
            }
            cx.script(&v.text, &frame.hop_script("perf --pre"));
        }
    }
    let tail = &words[1..];
    match peel(tail, VALUE, 0).cmd {
        Some(start) => {
            let hop = format!("perf {}", sub.text);
            cx.command(tail[start..].to_vec(), &frame.hop(&hop), stdin);
        }
        None => cx.push(words.to_vec(), frame),
    }
    true
}

/// `hyperfine [options] CMD…`: each command, and `--prepare`/`--setup`/`--cleanup`/
/// `--conclude`/`--reference`, is a shell command line.
fn hyperfine(cx: &mut Cx, words: &[Word], frame: &Frame) {
    const CODE: &[&str] = &[
        "-p",
        "--prepare",
        "-s",
        "--setup",
        "-c",
        "--cleanup",
        "--conclude",
        "--reference",
    ];
    const VALUE: &[&str] = &[
        "-w",
        "--warmup",
        "-m",
        "--min-runs",
        "-M",
        "--max-runs",
        "-r",
        "--runs",
        "-D",
        "--parameter-step-size",
        "-S",
        "--shell",
        "--style",
        "--sort",
        "-u",
        "--time-unit",
        "--export-asciidoc",
        "--export-csv",
        "--export-json",
        "--export-markdown",
        "--export-orgmode",
        "--output",
        "--input",
        "-n",
        "--command-name",
        "--min-benchmarking-time",
    ];
    let hop = frame.hop_script("hyperfine");
    let mut code: Vec<&Word> = Vec::new();
    let mut i = 1;
    let mut options_done = false;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if options_done || w.dynamic || !t.starts_with('-') || t == "-" {
            code.push(w);
            i += 1;
            continue;
        }
        if t == "--" {
            options_done = true;
            i += 1;
            continue;
        }
        let (name, attached) = match t.split_once('=') {
            Some((n, v)) if t.starts_with("--") => (n, Some(v)),
            _ => (t, None),
        };
        if CODE.contains(&name) {
            match attached {
                Some(v) => cx.script(v, &hop),
                None => {
                    if let Some(v) = words.get(i + 1) {
                        code.push(v);
                    }
                    i += 1;
                }
            }
        } else if matches!(name, "-P" | "--parameter-scan") && attached.is_none() {
            i += 3;
        } else if matches!(name, "-L" | "--parameter-list") && attached.is_none() {
            i += 2;
        } else if VALUE.contains(&name) && attached.is_none() {
            i += 1;
        }
        i += 1;
    }
    for w in code {
        if w.dynamic {
            cx.opaque("shell command string is an expansion", &w.text);
        }
        cx.script(&w.text, &hop);
    }
}

/// `watchexec [options] [--] CMD…`: run by a shell unless `-n`/`--shell=none`.
fn watchexec(cx: &mut Cx, words: &[Word], frame: &Frame) {
    const VALUE: &[&str] = &[
        "-e",
        "--exts",
        "-w",
        "--watch",
        "-W",
        "--watch-non-recursive",
        "--watch-file",
        "-F",
        "--filter-file",
        "-f",
        "--filter",
        "-i",
        "--ignore",
        "--ignore-file",
        "-s",
        "--signal",
        "--stop-signal",
        "--stop-timeout",
        "-d",
        "--debounce",
        "--delay-run",
        "--shell",
        "--project-origin",
        "--workdir",
        "-E",
        "--env",
        "--emit-events-to",
        "--on-busy-update",
        "--filter-prog",
        "--wrap-process",
        "--socket",
        "--timeout",
        "--fs-events",
        "--color",
        "--map-signal",
    ];
    let p = peel(words, VALUE, 0);
    let Some(start) = p.cmd else {
        return cx.push(words.to_vec(), frame);
    };
    let no_shell = p.has("-n")
        || words[..start]
            .iter()
            .any(|w| w.text == "--shell=none" || w.text == "none");
    if no_shell {
        cx.command(
            words[start..].to_vec(),
            &frame.hop("watchexec"),
            Stdin::Inherited,
        );
    } else {
        shell_string(cx, &words[start..], &frame.hop_script("watchexec"));
    }
}

/// `docker|podman run|exec|create [options] IMAGE|CONTAINER [CMD…]`, `docker container run`,
/// `docker compose run|exec SERVICE CMD…`: the command is analysed; `--entrypoint` is its
/// program. A bind mount of a host path (`-v /:/host`, `-v ~:/h`, `--mount
/// type=bind,src=/,dst=/host`) makes the container's paths under it host paths: the command's
/// words are reported with the host path.
fn container(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin, name: &str) -> bool {
    const RUN_VALUE: &[&str] = &[
        "-a",
        "--attach",
        "--add-host",
        "--annotation",
        "--arch",
        "--authfile",
        "--blkio-weight",
        "--blkio-weight-device",
        "--cap-add",
        "--cap-drop",
        "--cgroup-parent",
        "--cgroupns",
        "--cgroups",
        "--cidfile",
        "--cpu-period",
        "--cpu-quota",
        "--cpu-rt-period",
        "--cpu-rt-runtime",
        "-c",
        "--cpu-shares",
        "--cpus",
        "--cpuset-cpus",
        "--cpuset-mems",
        "--creds",
        "--detach-keys",
        "--device",
        "--device-cgroup-rule",
        "--device-read-bps",
        "--device-read-iops",
        "--device-write-bps",
        "--device-write-iops",
        "--dns",
        "--dns-option",
        "--dns-search",
        "--domainname",
        "--entrypoint",
        "-e",
        "--env",
        "--env-file",
        "--expose",
        "--gidmap",
        "--gpus",
        "--group-add",
        "--health-cmd",
        "--health-interval",
        "--health-retries",
        "--health-start-period",
        "--health-timeout",
        "-h",
        "--hostname",
        "--ip",
        "--ip6",
        "--ipc",
        "--isolation",
        "--kernel-memory",
        "-l",
        "--label",
        "--label-file",
        "--link",
        "--link-local-ip",
        "--log-driver",
        "--log-opt",
        "--mac-address",
        "-m",
        "--memory",
        "--memory-reservation",
        "--memory-swap",
        "--memory-swappiness",
        "--mount",
        "--name",
        "--network",
        "--net",
        "--network-alias",
        "--oom-score-adj",
        "--os",
        "--pid",
        "--pidfile",
        "--pids-limit",
        "--platform",
        "--pod",
        "-p",
        "--publish",
        "--pull",
        "--restart",
        "--runtime",
        "--secret",
        "--security-opt",
        "--shm-size",
        "--stop-signal",
        "--stop-timeout",
        "--storage-opt",
        "--subgidname",
        "--subuidname",
        "--sysctl",
        "--tmpfs",
        "--tz",
        "--uidmap",
        "--ulimit",
        "--umask",
        "--unsetenv",
        "-u",
        "--user",
        "--userns",
        "--uts",
        "--variant",
        "-v",
        "--volume",
        "--volume-driver",
        "--volumes-from",
        "-w",
        "--workdir",
        "--index",
    ];
    let mut at = 1;
    // `docker -H host --context x run …`: the client's own options.
    while let Some(w) = words.get(at) {
        match w.text.as_str() {
            "-H" | "--host" | "--context" | "-c" | "--config" | "-l" | "--log-level"
            | "--connection" | "--url" | "--identity" | "--root" | "--runroot" | "-f"
            | "--file" | "-p" | "--project-name" | "--profile" | "--env-file" => at += 2,
            t if t.starts_with('-') && !w.dynamic => at += 1,
            _ => break,
        }
    }
    if words
        .get(at)
        .is_some_and(|w| matches!(w.text.as_str(), "container" | "compose"))
    {
        at += 1;
        // `docker compose -f x.yml run …`
        while let Some(w) = words.get(at) {
            match w.text.as_str() {
                "-f"
                | "--file"
                | "-p"
                | "--project-name"
                | "--profile"
                | "--env-file"
                | "--project-directory" => at += 2,
                t if t.starts_with('-') && !w.dynamic => at += 1,
                _ => break,
            }
        }
    }
    let Some(sub) = words.get(at).map(|w| w.text.as_str()) else {
        return false;
    };
    if !matches!(sub, "run" | "exec" | "create") {
        return false;
    }
    cx.push(words.to_vec(), frame);
    let tail = &words[at..];
    let p = peel(tail, RUN_VALUE, 1);
    let hop = frame.hop(&format!("{name} {sub}"));
    // The options with their values, to find the entrypoint and the bind mounts.
    let mut entrypoint: Option<Word> = None;
    let mut mounts: Vec<(String, String)> = Vec::new();
    let opts_end = p.cmd.unwrap_or(tail.len());
    let mut i = 1;
    while i < opts_end {
        let t = tail[i].text.as_str();
        let (opt, value) = match t.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(Word::lit(v))),
            _ if t.len() > 2 && (t.starts_with("-v") || t.starts_with("-e")) => {
                (t[..2].to_string(), Some(Word::lit(&t[2..])))
            }
            _ => (t.to_string(), None),
        };
        let takes = RUN_VALUE.contains(&opt.as_str());
        let value = match value {
            Some(v) => Some(v),
            None if takes => {
                i += 1;
                tail.get(i).cloned()
            }
            None => None,
        };
        if let Some(v) = value {
            match opt.as_str() {
                "--entrypoint" => entrypoint = Some(v),
                "-v" | "--volume" => mounts.extend(volume(&v)),
                "--mount" => mounts.extend(mount(&v)),
                _ => {}
            }
        }
        i += 1;
    }
    let mut inner: Vec<Word> = match p.cmd {
        Some(s) => tail[s..].to_vec(),
        None => Vec::new(),
    };
    if let Some(e) = entrypoint.filter(|e| !e.text.is_empty()) {
        inner.insert(0, e);
    }
    if inner.is_empty() {
        return true;
    }
    let before = cx.out.commands.len();
    cx.command(inner, &hop, stdin);
    if mounts.is_empty() {
        return true;
    }
    for c in &mut cx.out.commands[before..] {
        for w in c.words.iter_mut().skip(1) {
            for (host, target) in &mounts {
                if let Some(rest) = w.text.strip_prefix(target.as_str()) {
                    if rest.is_empty() || rest.starts_with('/') {
                        let mut t = host.trim_end_matches('/').to_string();
                        if t.is_empty() && rest.is_empty() {
                            t.push('/');
                        }
                        t.push_str(rest);
                        w.text = t;
                        break;
                    }
                }
            }
        }
    }
    true
}

/// A host path gate can name: `/…`, `~`, `~/…`, `$HOME…` (as `~`).
fn host_path(w: &Word, src: &str) -> Option<String> {
    if let Some(rest) = src
        .strip_prefix("$HOME")
        .or_else(|| src.strip_prefix("${HOME}"))
    {
        return Some(format!("~{rest}"));
    }
    if w.dynamic {
        return None;
    }
    (src.starts_with('/') || src == "~" || src.starts_with("~/")).then(|| src.to_string())
}

/// `-v SRC:DST[:OPTS]`: (host path, container path).
fn volume(w: &Word) -> Option<(String, String)> {
    let mut parts = w.text.splitn(3, ':');
    let src = parts.next()?;
    let dst = parts.next()?;
    let host = host_path(w, src)?;
    dst.starts_with('/')
        .then(|| (host, dst.trim_end_matches('/').to_string()))
}

/// `--mount type=bind,source=SRC,target=DST`.
fn mount(w: &Word) -> Option<(String, String)> {
    let mut src = None;
    let mut dst = None;
    for kv in w.text.split(',') {
        match kv.split_once('=') {
            Some(("source" | "src", v)) => src = Some(v),
            Some(("target" | "destination" | "dst", v)) => dst = Some(v),
            _ => {}
        }
    }
    let host = host_path(w, src?)?;
    let dst = dst?;
    dst.starts_with('/')
        .then(|| (host, dst.trim_end_matches('/').to_string()))
}

/// ed commands that run a shell command: `!cmd`, `r !cmd`, `w !cmd`, `e !cmd`.
fn ed_commands(cx: &mut Cx, text: &str, frame: &Frame) {
    let hop = frame.hop_script("ed !");
    for line in text.lines() {
        let l = line.trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, ',' | ';' | '.' | '$' | '+' | '-' | ' ' | '\'')
        });
        let l = l
            .strip_prefix(['e', 'E', 'r', 'w', 'W'])
            .map(str::trim_start)
            .filter(|r| r.starts_with('!'))
            .unwrap_or(l);
        if let Some(cmd) = l.strip_prefix('!') {
            cx.script(cmd, &hop);
        }
    }
}

/// The shell commands in SQL client input: sqlite3 `.shell`/`.system` (and `.once|.output
/// |CMD`), psql and mysql `\! CMD`, psql `\o |CMD`, mysql `system CMD`.
fn sql_shell_lines(name: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        let cmd = if name == "sqlite3" {
            l.strip_prefix(".shell ")
                .or_else(|| l.strip_prefix(".system "))
                .map(str::to_string)
                .or_else(|| {
                    let rest = l
                        .strip_prefix(".once ")
                        .or_else(|| l.strip_prefix(".output "))
                        .or_else(|| l.strip_prefix(".import "))?;
                    let rest = rest.trim_start().trim_start_matches(['\'', '"']);
                    let rest = rest.strip_prefix('|')?;
                    Some(rest.trim_end_matches(['\'', '"']).to_string())
                })
        } else {
            l.strip_prefix("\\!")
                .map(str::to_string)
                .or_else(|| {
                    (name != "psql")
                        .then(|| l.strip_prefix("system ").map(str::to_string))
                        .flatten()
                })
                .or_else(|| {
                    let rest = l.strip_prefix("\\o").or_else(|| l.strip_prefix("\\g"))?;
                    rest.trim_start().strip_prefix('|').map(str::to_string)
                })
        };
        out.extend(cmd);
    }
    out
}

/// sqlite3, psql, mysql: their SQL arguments and known input can hold shell commands.
fn sql_client(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin, name: &str) {
    let name = if name == "mariadb" { "mysql" } else { name };
    cx.push(words.to_vec(), frame);
    let mut texts: Vec<&Word> = Vec::new();
    let mut skip = false;
    for (i, w) in words.iter().enumerate().skip(1) {
        if std::mem::take(&mut skip) {
            continue;
        }
        let t = w.text.as_str();
        let code_opt = match name {
            "sqlite3" => matches!(t, "-cmd" | "--cmd"),
            "psql" => matches!(t, "-c" | "--command"),
            _ => matches!(t, "-e" | "--execute"),
        };
        if code_opt {
            texts.extend(words.get(i + 1));
            skip = true;
        } else if let Some(v) = t
            .strip_prefix("--command=")
            .or_else(|| t.strip_prefix("--execute="))
        {
            for c in sql_shell_lines(name, v) {
                cx.script(&c, &frame.hop_script(&format!("{name} shell")));
            }
        } else if name == "sqlite3" && !t.starts_with('-') {
            texts.push(w);
        }
    }
    let hop = frame.hop_script(&format!("{name} shell"));
    for w in texts {
        for c in sql_shell_lines(name, &w.text) {
            cx.script(&c, &hop);
        }
    }
    if let Some(text) = cx.fed_text(stdin) {
        for c in sql_shell_lines(name, &text) {
            cx.script(&c, &hop);
        }
    }
}

/// `ssh HOST` reading its commands on standard input (`ssh host < x.sh`, `echo … | ssh host`,
/// `ssh host <<EOF`), or a remote shell reading them (`ssh host bash -s <<EOF`): opaque, and
/// the text, when known, is analysed as the remote script.
pub(crate) fn ssh_stdin(cx: &mut Cx, remote: &[Word], frame: &Frame, stdin: Stdin) {
    let Some(src) = stdin.feeds_code() else {
        return;
    };
    let remote_shell = remote.first().is_some_and(|w| {
        let first = w.text.split_whitespace().next().unwrap_or("");
        SHELLS.contains(&basename(first))
    });
    if !remote.is_empty() && !remote_shell {
        return;
    }
    if remote.is_empty() {
        cx.opaque(&format!("remote shell reads its script from {src}"), "ssh");
    }
    if let Some(text) = cx.fed_text(stdin) {
        cx.script(&text, &frame.hop_script("ssh"));
    }
}

/// Interpreter code on standard input, when known: read the way `-c`/`-e` code is.
/// Whether the program text was known.
pub(crate) fn interpreter_stdin(cx: &mut Cx, frame: &Frame, stdin: Stdin, name: &str) -> bool {
    let Some(text) = cx.fed_text(stdin) else {
        return false;
    };
    inline::report_code(
        cx,
        &[Word::lit(text.as_str())],
        frame,
        name,
        "interpreter code on its input",
    );
    if matches!(name, "tclsh" | "wish" | "expect") || name.starts_with("tclsh") {
        // Tcl's `exec CMD ARGS…`.
        let hop = frame.hop_inline(&format!("{name} exec"));
        for line in text.lines() {
            if let Some(cmd) = line.trim_start().strip_prefix("exec ") {
                cx.script(cmd, &hop);
            }
        }
    }
    true
}

/// GNU parallel's jobs, when all the argument sources are literal (`::: a b ::: c`): the
/// command template with `{}`/`{N}`/`{.}`/`{/}`/`{//}`/`{/.}` substituted, or the arguments
/// appended. None when the arguments are not all known.
pub(crate) fn parallel_jobs(sources: &[&[Word]]) -> Option<Vec<Vec<String>>> {
    const MAX_JOBS: usize = 64;
    let mut jobs: Vec<Vec<String>> = vec![Vec::new()];
    for src in sources {
        if src.is_empty() || src.iter().any(|w| w.dynamic) {
            return None;
        }
        let mut next = Vec::new();
        for j in &jobs {
            for v in *src {
                let mut j = j.clone();
                j.push(v.text.clone());
                next.push(j);
            }
        }
        if next.len() > MAX_JOBS {
            return None;
        }
        jobs = next;
    }
    Some(jobs)
}

/// One job's command template: placeholders replaced (with `quote` applied to each value).
/// Returns the text and whether a placeholder was found.
pub(crate) fn substitute(
    template: &str,
    args: &[String],
    replace: &str,
    quote: &dyn Fn(&str) -> String,
) -> (String, bool) {
    let all = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    let mut out = template.to_string();
    let mut found = false;
    for (i, a) in args.iter().enumerate().rev() {
        for (suffix, f) in forms() {
            let ph = format!("{{{}{suffix}}}", i + 1);
            if out.contains(&ph) {
                found = true;
                out = out.replace(&ph, &quote(&f(a)));
            }
        }
    }
    for (suffix, f) in forms() {
        let ph = if suffix.is_empty() {
            replace.to_string()
        } else {
            format!("{{{suffix}}}")
        };
        if out.contains(&ph) {
            found = true;
            let v = if suffix.is_empty() {
                all.clone()
            } else {
                args.iter()
                    .map(|a| quote(&f(a)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out = out.replace(&ph, &v);
        }
    }
    (out, found)
}

type Form = (&'static str, fn(&str) -> String);

fn forms() -> [Form; 5] {
    fn same(a: &str) -> String {
        a.to_string()
    }
    fn no_ext(a: &str) -> String {
        match a.rfind('.') {
            Some(p) if !a[p..].contains('/') && p > 0 => a[..p].to_string(),
            _ => a.to_string(),
        }
    }
    fn base(a: &str) -> String {
        a.rsplit('/').next().unwrap_or(a).to_string()
    }
    fn dir(a: &str) -> String {
        match a.rfind('/') {
            Some(0) => "/".to_string(),
            Some(p) => a[..p].to_string(),
            None => ".".to_string(),
        }
    }
    fn base_no_ext(a: &str) -> String {
        no_ext(&base(a))
    }
    [
        ("/.", base_no_ext),
        ("//", dir),
        ("/", base),
        (".", no_ext),
        ("", same),
    ]
}

/// `'…'` quoting for a shell, unless the text needs none.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '=' | ',' | '@' | '%')
        })
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Words a wrapper joins for a shell (`watch`, `parallel`): when a word after the first holds
/// a space or a shell character, the author most likely meant the argv itself (`watch sh -c
/// 'rm -rf /'`); it is analysed that way too (it can only add commands).
pub(crate) fn also_as_argv(words: &[Word]) -> bool {
    words.len() > 1
        && words[1..].iter().any(|w| {
            w.text
                .contains(|c: char| c.is_whitespace() || ";&|<>()$`\\\"'".contains(c))
        })
}
