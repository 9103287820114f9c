//! From one simple command (a list of words) to what it runs: wrappers peeled, nested shells and
//! remote commands analysed, opaque cases reported.

use super::cx::{Cx, Frame, MAX_DEPTH, Stdin, basename, join};
use super::wrappers::{EXEC_WRAPPERS, SHELLS, is_assignment, peel, subcommand_wrapper};
use super::{Origin, ScriptKind, Word, code_options, git, inline, runners, shell};

/// A word `env` takes as a variable: anything with `=` not at the start (`BASH_FUNC_f%%=…`).
fn env_assignment(w: &Word) -> bool {
    !w.dynamic && w.text.find('=').is_some_and(|p| p > 0) && !w.text.starts_with('-')
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

impl<'w> Cx<'w> {
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

    /// Analyse a shell script found at `frame`.
    pub fn script(&mut self, script: &str, frame: &Frame) {
        if !self.enter(frame, || script.to_string()) {
            return;
        }
        shell::walk_script(self, script, frame);
        self.leave();
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
            (p != "time" && self.wrappers.get(p).is_some()) || EXEC_WRAPPERS.contains(&p)
        });
        if !external && !words[0].text.contains('/') {
            self.call_function(name, &words, frame);
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
        // An option that takes a value can be the last word (`xargs -s`, `xargs --arg-file`).
        let i = i.min(words.len());
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
