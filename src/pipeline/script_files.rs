//! Script files on disk: what `bash ./x.sh`, `./deploy.sh`, `python3 x.py` and `npm run build`
//! run is read and analysed, a line that writes a file and then runs it is opaque, and a
//! program path that is a symlink is judged as its target too.
//!
//! The analyser ([`crate::analyze`]) is pure: it names the script files
//! ([`Analysis::scripts`]) and this module does the reading, against the request's working
//! directory. A file is read once per request (at most [`MAX_SCRIPT_BYTES`]); its text is
//! analysed and the result merged into the analysis, each command with a `via` hop naming the
//! file (`bash ./x.sh`). A shell's script file stays opaque ("runs a script file") unless it
//! could be read and analysed; a file that is missing, unreadable, not a regular file, binary
//! (a NUL byte, not UTF-8) or too large gets an opaque reason saying which. Script files that
//! run script files are followed [`MAX_DEPTH`] levels deep, and at most [`MAX_FILES`] files
//! are read for one request.
//!
//! The bytes read are kept ([`Read::seal`]): `gate -- bash x.sh` (and `gate -- ./x.sh` with a
//! shell shebang) runs those bytes, not whatever the file holds by the time it runs (see
//! [`Seal`]).

use std::io::Read as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::analyze::{self, Analysis, Opaque, ScriptKind, ScriptRef, Word, Wrappers};
use crate::protect::normalize;

/// The largest script file gate reads (256 KiB); a larger one stays opaque.
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// How deep script files that run script files are followed.
pub const MAX_DEPTH: usize = 4;
/// How many files one request may read.
pub const MAX_FILES: usize = 64;

/// What reading found, for the caller that runs the command.
#[derive(Debug, Default)]
pub struct Read {
    /// Every file whose content was analysed.
    pub files: Vec<PathBuf>,
    /// For an argv that runs a shell script directly: how to run the bytes analysed.
    pub seal: Option<Seal>,
}

/// How to run the root command's shell script from the bytes gate analysed: the argv becomes
/// `PREFIX… -c '. /dev/fd/N' ARGV[from]…`, where N is a sealed memory file holding `bytes`.
/// `$0` stays the script's path and `$@` its arguments (`.` keeps the caller's positional
/// parameters); `BASH_SOURCE` is `/dev/fd/N`.
#[derive(Debug, Clone)]
pub struct Seal {
    /// The shell and its options, as the argv or the shebang gives them.
    pub prefix: Vec<String>,
    /// The index in the argv of the script path: it and what follows are kept.
    pub from: usize,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Failure {
    Missing,
    NotAFile,
    Unreadable(String),
    TooLarge,
    Binary,
}

impl Failure {
    fn reason(&self, what: &str) -> String {
        match self {
            Failure::Missing => format!("{what} does not exist"),
            Failure::NotAFile => format!("{what} is not a regular file"),
            Failure::Unreadable(e) => format!("{what} cannot be read: {e}"),
            Failure::TooLarge => format!(
                "{what} is larger than {} KiB, gate does not read it",
                MAX_SCRIPT_BYTES / 1024
            ),
            Failure::Binary => format!("{what} is not text (a NUL byte or invalid UTF-8)"),
        }
    }
}

#[derive(Debug, Clone)]
struct File {
    bytes: Vec<u8>,
    executable: bool,
    /// Only the first bytes were read (a program that is not a script).
    partial: bool,
}

/// Where the commands of one script level run: `None` once a `cd` goes somewhere gate cannot
/// follow.
type Bases = Option<Vec<PathBuf>>;

/// A file a command writes.
#[derive(Debug, Clone)]
struct Written {
    paths: Vec<PathBuf>,
    /// The last component, when the path holds an expansion (`"$D/r"`).
    name: Option<String>,
    /// Written by a program gate knows (or a redirection): counts wherever it stands in the
    /// line (a loop runs it again); a program gate does not know counts only before.
    known: bool,
    level: usize,
    command: usize,
    text: String,
}

impl Written {
    /// Whether the write can come before a run at `command` of `level`.
    fn counts_for(&self, level: usize, command: usize) -> bool {
        self.known || (self.level == level && self.command < command)
    }
}

/// A file a command runs.
#[derive(Debug, Clone)]
struct Run {
    paths: Vec<PathBuf>,
    level: usize,
    command: usize,
    text: String,
}

struct Reader<'a> {
    wrappers: &'a Wrappers,
    home: Option<PathBuf>,
    cache: Vec<(PathBuf, Result<File, Failure>)>,
    reads: usize,
    levels: usize,
    writes: Vec<Written>,
    runs: Vec<Run>,
    /// Programs whose configuration files a write in the line changes (`make`, `git`, …).
    implied: Vec<(String, usize, usize)>,
    read: Read,
}

/// Read and analyse the script files `analysis` runs, merging what they run into it. `argv`
/// is the argv gate itself would run, for [`Read::seal`].
pub fn expand(
    analysis: &mut Analysis,
    cwd: &str,
    home: Option<&str>,
    wrappers: &Wrappers,
    argv: Option<&[String]>,
) -> Read {
    let mut r = Reader {
        wrappers,
        home: home.map(PathBuf::from),
        cache: Vec::new(),
        reads: 0,
        levels: 0,
        writes: Vec::new(),
        runs: Vec::new(),
        implied: Vec::new(),
        read: Read::default(),
    };
    let root = std::mem::take(analysis);
    let scripts = root.scripts.clone();
    let program = root
        .commands
        .first()
        .filter(|c| c.via.is_empty() && c.origin == analyze::Origin::Argv)
        .map(|c| c.words[0].text.clone());
    let mut out = r.level(root, Some(vec![PathBuf::from(cwd)]), 0);
    r.line_writes_what_it_runs(&mut out);
    out.scripts = scripts;
    if let Some(argv) = argv.filter(|_| cfg!(target_os = "linux")) {
        r.read.seal = r.seal(&out, argv, cwd, program.as_deref());
    }
    *analysis = out;
    r.read
}

impl Reader<'_> {
    /// Expand one script level: its script files, program files and package scripts.
    fn level(&mut self, a: Analysis, start: Bases, depth: usize) -> Analysis {
        let level = self.levels;
        self.levels += 1;
        let bases = along(&a, start, self.home.as_deref());
        self.note_writes(&a, &bases, level);
        let mut out = a.clone();
        out.scripts.clear();
        let mut resolved: Vec<String> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        // `f() { rm -rf /; }; export -f f; bash x.sh`: a script calling `f` runs what gate
        // cannot see from the file alone.
        let exports_functions = a.commands.iter().any(exports_functions);
        for s in &a.scripts {
            let at = bases[s.command.min(bases.len() - 1)].clone();
            let result = if exports_functions && matches!(s.kind, ScriptKind::Shell(_)) {
                Err("the line exports shell functions to the script".to_string())
            } else {
                self.script(s, &at, depth, level)
            };
            match result {
                Ok(inner) => {
                    merge(
                        &mut out,
                        inner,
                        &s.via,
                        &format!("{} {}", s.program, s.path.text),
                    );
                    resolved.push(s.snippet.clone());
                }
                Err(reason) => {
                    out.opaque.push(Opaque {
                        reason,
                        snippet: s.snippet.clone(),
                    });
                    failed.push(s.snippet.clone());
                }
            }
        }
        // The shell's "runs a script file" is dropped once every file it stands for was read
        // (or replaced by the reason it could not be).
        out.opaque.retain(|o| {
            !(o.reason == "runs a script file"
                && (resolved.contains(&o.snippet) || failed.contains(&o.snippet)))
        });
        for (k, cmd) in a.commands.iter().enumerate() {
            let at = &bases[k];
            let program = &cmd.words[0];
            if !program.dynamic && program.text.contains('/') {
                self.program_file(&mut out, cmd, at, depth, level, k);
            }
            let name = crate::decide::basename(&program.text);
            if matches!(name, "npm" | "pnpm" | "yarn" | "bun") {
                self.package_scripts(&mut out, cmd, at, depth);
            }
            self.implied.push((name.to_string(), level, k));
        }
        out
    }

    /// The analysis of the script file a command names, or why it stays opaque.
    fn script(
        &mut self,
        s: &ScriptRef,
        at: &Bases,
        depth: usize,
        level: usize,
    ) -> Result<Analysis, String> {
        let what = format!("the script file `{}`", s.path.text);
        if s.path.dynamic {
            return Err(format!("{what} is named by an expansion"));
        }
        let paths = self.candidates(&s.path.text, at).ok_or_else(|| {
            format!("the working directory changes before it runs; gate cannot tell which file {what} is")
        })?;
        self.runs.push(Run {
            paths: paths.clone(),
            level,
            command: s.command,
            text: s.path.text.clone(),
        });
        if paths
            .iter()
            .any(|p| p.starts_with("/dev") || p.starts_with("/proc"))
        {
            // `/dev/stdin`, `/proc/self/fd/3`: what they are for the command is not what they
            // are for gate.
            return Err(format!("{what} is a device or process file"));
        }
        if depth >= MAX_DEPTH {
            return Err(format!(
                "{what} is nested more than {MAX_DEPTH} script files deep"
            ));
        }
        let mut merged = Analysis::default();
        let mut found = false;
        for p in &paths {
            let file = match self.file(p, false) {
                Ok(f) => f,
                Err(Failure::Missing) if paths.len() > 1 => continue,
                Err(e) => return Err(e.reason(&what)),
            };
            found = true;
            let text = text(&file).map_err(|e| e.reason(&what))?;
            let inner = match &s.kind {
                ScriptKind::Shell(_) => analyze::analyze_script(text, self.wrappers),
                ScriptKind::Python => analyze::analyze_python(text, self.wrappers),
            };
            // The script runs where the command runs, not where the file is.
            let inner = self.level(inner, at.clone(), depth + 1);
            merge(&mut merged, inner, &[], "");
        }
        if !found {
            return Err(Failure::Missing.reason(&what));
        }
        Ok(merged)
    }

    /// A program run by path: a symlink is judged as its target too, a script as what its
    /// shebang runs (a text file without one is run by the calling shell as a shell script).
    fn program_file(
        &mut self,
        out: &mut Analysis,
        cmd: &analyze::SimpleCommand,
        at: &Bases,
        depth: usize,
        level: usize,
        k: usize,
    ) {
        let text = &cmd.words[0].text;
        let Some(paths) = self.candidates(text, at) else {
            out.opaque.push(Opaque {
                reason: "runs a program file after the working directory changes to where gate cannot follow".into(),
                snippet: text.clone(),
            });
            return;
        };
        let mut run_paths = paths.clone();
        run_paths.extend(paths.iter().filter_map(|p| std::fs::canonicalize(p).ok()));
        self.runs.push(Run {
            paths: run_paths,
            level,
            command: k,
            text: text.clone(),
        });
        let args: Vec<String> = cmd.words[1..].iter().map(|w| w.text.clone()).collect();
        for p in &paths {
            if depth >= MAX_DEPTH {
                if p.exists() {
                    push_opaque(
                        out,
                        format!(
                            "the program file `{text}` is nested more than {MAX_DEPTH} script files deep"
                        ),
                        text,
                    );
                }
                continue;
            }
            // `/tmp/k -> /usr/bin/kubectl`: decided as kubectl too.
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                let Ok(target) = std::fs::canonicalize(p) else {
                    continue;
                };
                let mut argv = vec![target.display().to_string()];
                argv.extend(args.iter().cloned());
                let inner = analyze::analyze_argv(&argv, self.wrappers);
                let inner = self.level(inner, at.clone(), depth + 1);
                merge(
                    out,
                    inner,
                    &cmd.via,
                    &format!("{text} (a symlink to {})", target.display()),
                );
                continue;
            }
            let what = format!("the program file `{text}`");
            let file = match self.file(p, true) {
                Ok(f) => f,
                // Nothing runs, or gate cannot tell whether it is a script.
                Err(Failure::Missing | Failure::NotAFile) => continue,
                Err(e) => {
                    push_opaque(out, e.reason(&what), text);
                    continue;
                }
            };
            if !file.executable {
                continue;
            }
            let inner = if let Some(sb) = analyze::shebang(&file.bytes) {
                analyze::analyze_argv(&sb.argv(text, &args), self.wrappers)
            } else if looks_like_text(&file.bytes) {
                // No shebang: execve refuses it and the calling shell runs it as a script.
                let mut sh = vec!["sh".to_string(), text.clone()];
                sh.extend(args.iter().cloned());
                analyze::analyze_argv(&sh, self.wrappers)
            } else {
                continue;
            };
            let inner = self.level(inner, at.clone(), depth + 1);
            merge(out, inner, &cmd.via, text);
        }
    }

    /// `npm run X`, `npm test`, `yarn X`, …: the package's script, with its `preX`/`postX`.
    fn package_scripts(
        &mut self,
        out: &mut Analysis,
        cmd: &analyze::SimpleCommand,
        at: &Bases,
        depth: usize,
    ) {
        let line = cmd
            .words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let names = match package_script_names(&cmd.words) {
            None => return,
            Some(Err(reason)) => return push_opaque(out, reason.into(), &line),
            Some(Ok(names)) => names,
        };
        if names.is_empty() {
            return;
        }
        let Some(Some(start)) = at.as_ref().map(|b| b.first().cloned()) else {
            return push_opaque(
                out,
                "runs package scripts after the working directory changes to where gate cannot follow".into(),
                &line,
            );
        };
        let Some(dir) = start.ancestors().find(|d| d.join("package.json").is_file()) else {
            return;
        };
        let dir = dir.to_path_buf();
        let what = format!("`{}`", dir.join("package.json").display());
        let file = match self.file(&dir.join("package.json"), false) {
            Ok(f) => f,
            Err(e) => return push_opaque(out, e.reason(&what), &line),
        };
        let scripts = match text(&file).map_err(|e| e.reason(&what)).and_then(|t| {
            serde_json::from_str::<serde_json::Value>(t)
                .map_err(|e| format!("{what} is not valid JSON: {e}"))
        }) {
            Ok(v) => v.get("scripts").cloned().unwrap_or_default(),
            Err(reason) => return push_opaque(out, reason, &line),
        };
        if dir.join(".npmrc").is_file() {
            let rc = self.file(&dir.join(".npmrc"), false);
            let shell = rc
                .as_ref()
                .ok()
                .and_then(|f| text(f).ok())
                .is_none_or(|t| t.contains("script-shell"));
            if shell {
                return push_opaque(
                    out,
                    format!(
                        "`{}` may set the shell package scripts run with",
                        dir.join(".npmrc").display()
                    ),
                    &line,
                );
            }
        }
        if depth >= MAX_DEPTH {
            return push_opaque(
                out,
                format!("package scripts nested more than {MAX_DEPTH} script files deep"),
                &line,
            );
        }
        for (name, optional) in names {
            for n in [format!("pre{name}"), name.clone(), format!("post{name}")] {
                let Some(script) = scripts.get(&n) else {
                    continue;
                };
                let Some(script) = script.as_str() else {
                    push_opaque(
                        out,
                        format!("the package script `{n}` is not a string"),
                        &line,
                    );
                    continue;
                };
                let _ = optional;
                let inner = analyze::analyze_script(script, self.wrappers);
                let inner = self.level(inner, Some(vec![dir.clone()]), depth + 1);
                let tool = crate::decide::basename(&cmd.words[0].text);
                merge(out, inner, &cmd.via, &format!("{tool} run {n}"));
            }
        }
    }

    /// The files a path may be, from where the command runs; `None` when gate cannot tell.
    fn candidates(&self, text: &str, at: &Bases) -> Option<Vec<PathBuf>> {
        if text.starts_with('/') {
            return Some(vec![normalize(Path::new(text))]);
        }
        if text == "~" || text.starts_with("~/") {
            return Some(vec![normalize(
                &self.home.as_ref()?.join(&text[2.min(text.len())..]),
            )]);
        }
        if text.starts_with('~') {
            return None;
        }
        Some(
            at.as_ref()?
                .iter()
                .map(|b| normalize(&b.join(text)))
                .collect(),
        )
    }

    /// A file's bytes, read once per request: only the head for a program (unless it is a
    /// script), at most [`MAX_SCRIPT_BYTES`].
    fn file(&mut self, path: &Path, program: bool) -> Result<File, Failure> {
        if let Some((_, f)) = self.cache.iter().find(|(p, _)| p == path) {
            if !matches!(f, Ok(File { partial: true, .. })) || program {
                return f.clone();
            }
        }
        if self.reads >= MAX_FILES {
            return Err(Failure::Unreadable(format!(
                "more than {MAX_FILES} files to read for one command"
            )));
        }
        self.reads += 1;
        let f = read_file(path, program);
        if f.as_ref().is_ok_and(|f| !f.partial) {
            self.read.files.push(path.to_path_buf());
        }
        self.cache.retain(|(p, _)| p != path);
        self.cache.push((path.to_path_buf(), f.clone()));
        f
    }

    /// Everything the commands of a level write.
    fn note_writes(&mut self, a: &Analysis, bases: &[Bases], level: usize) {
        let add = |w: &Word, known: bool, command: usize, this: &mut Self| {
            let at = &bases[command.min(bases.len() - 1)];
            let (paths, name) = if w.dynamic {
                let last = w.text.rsplit('/').next().unwrap_or("");
                let name = (!last.is_empty() && !last.contains(['$', '`', '(', ')']))
                    .then(|| last.to_string());
                (Vec::new(), name)
            } else {
                (this.candidates(&w.text, at).unwrap_or_default(), None)
            };
            let name = name.or_else(|| {
                (!w.dynamic)
                    .then(|| {
                        w.text
                            .trim_end_matches('/')
                            .rsplit('/')
                            .next()
                            .map(String::from)
                    })
                    .flatten()
            });
            this.writes.push(Written {
                paths,
                name,
                known,
                level,
                command,
                text: w.text.clone(),
            });
        };
        for r in a.redirects.iter().filter(|r| r.op != "<") {
            add(&r.target, true, r.command, self);
        }
        for (k, cmd) in a.commands.iter().enumerate() {
            let program = crate::decide::basename(&cmd.words[0].text);
            // Deleting a file leaves nothing to run.
            if matches!(
                program,
                "rm" | "unlink" | "shred" | "rmdir" | "srm" | "wipe" | "trash"
            ) {
                continue;
            }
            match crate::protect::written_paths(cmd) {
                Some(paths) => {
                    for w in &paths {
                        add(w, true, k, self);
                    }
                }
                None => {
                    // A program gate does not know may write any path it is given.
                    for w in &cmd.words[1..] {
                        let t = w.text.split_once('=').map_or(w.text.as_str(), |(_, v)| v);
                        if t.is_empty() || (t.starts_with('-') && !t.contains('/')) {
                            continue;
                        }
                        let w = Word {
                            text: t.to_string(),
                            dynamic: w.dynamic,
                        };
                        add(&w, false, k, self);
                    }
                }
            }
        }
    }

    /// `printf … > x && ./x`, `cp /bin/rm /tmp/r && /tmp/r`, a Makefile written then `make`:
    /// a file the line writes cannot be judged by what it holds now.
    fn line_writes_what_it_runs(&self, out: &mut Analysis) {
        let mut found: Vec<(String, String)> = Vec::new();
        for run in &self.runs {
            for w in &self.writes {
                if !w.counts_for(run.level, run.command) {
                    continue;
                }
                let hit = run.paths.iter().any(|p| {
                    w.paths.iter().any(|wp| p == wp || p.starts_with(wp))
                        || (w.paths.is_empty()
                            && w.name.is_some()
                            && p.file_name().and_then(|n| n.to_str()) == w.name.as_deref())
                });
                if hit {
                    found.push((
                        format!("runs a file this line writes (`{}`)", w.text),
                        run.text.clone(),
                    ));
                }
            }
        }
        for (program, level, k) in &self.implied {
            let Some(reads) = configuration(program) else {
                continue;
            };
            for w in &self.writes {
                let same = w.level == *level && w.command == *k;
                if same || !w.counts_for(*level, *k) {
                    continue;
                }
                let names = w.paths.iter().any(|p| reads(p))
                    || w.name.as_deref().is_some_and(|n| reads(Path::new(n)));
                if names {
                    found.push((
                        format!(
                            "runs `{program}`, which reads a file this line writes (`{}`)",
                            w.text
                        ),
                        program.clone(),
                    ));
                }
            }
        }
        for (reason, snippet) in found {
            push_opaque(out, reason, &snippet);
        }
    }

    /// For `gate -- bash x.sh` or `gate -- ./x.sh`: how to run the bytes analysed.
    fn seal(
        &self,
        out: &Analysis,
        argv: &[String],
        cwd: &str,
        program: Option<&str>,
    ) -> Option<Seal> {
        const SEALABLE: &[&str] = &["bash", "sh", "dash"];
        let read = |text: &str| -> Option<Vec<u8>> {
            let p = if text.starts_with('/') {
                normalize(Path::new(text))
            } else {
                normalize(&Path::new(cwd).join(text))
            };
            match self.cache.iter().find(|(c, _)| *c == p)? {
                (_, Ok(f)) if !f.partial => Some(f.bytes.clone()),
                _ => None,
            }
        };
        if let Some(s) = out
            .scripts
            .iter()
            .find(|s| s.via.is_empty() && s.origin == analyze::Origin::Argv && s.arg < argv.len())
        {
            let ScriptKind::Shell(name) = &s.kind else {
                return None;
            };
            if !SEALABLE.contains(&name.as_str()) || s.path.text.starts_with('-') {
                return None;
            }
            let mut prefix: Vec<String> = argv[..s.arg].to_vec();
            if prefix.last().is_some_and(|l| l == "--" || l == "-") {
                prefix.pop();
            }
            let bytes = read(&s.path.text)?;
            return Some(Seal {
                prefix,
                from: s.arg,
                bytes,
            });
        }
        let program = program?;
        if argv.first().map(String::as_str) != Some(program) || !program.contains('/') {
            return None;
        }
        let p = normalize(&Path::new(cwd).join(program));
        let (_, Ok(file)) = self.cache.iter().find(|(c, _)| *c == p)? else {
            return None;
        };
        let sb = analyze::shebang(&file.bytes)?;
        if !file.executable || file.partial || !SEALABLE.contains(&sb.shell()?.as_str()) {
            return None;
        }
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return None;
        }
        let mut prefix = vec![sb.interpreter.clone()];
        prefix.extend(sb.arg.clone());
        Some(Seal {
            prefix,
            from: 0,
            bytes: file.bytes.clone(),
        })
    }
}

/// `export -f NAME`, `declare -fx NAME`, `typeset -xf NAME`.
fn exports_functions(cmd: &analyze::SimpleCommand) -> bool {
    let name = crate::decide::basename(&cmd.words[0].text);
    let flags = || {
        cmd.words[1..]
            .iter()
            .filter(|w| w.text.starts_with('-') && !w.text.starts_with("--"))
            .map(|w| &w.text[1..])
    };
    match name {
        "export" => flags().any(|f| f.contains('f')),
        "declare" | "typeset" => {
            flags().any(|f| f.contains('f')) && flags().any(|f| f.contains('x'))
        }
        _ => false,
    }
}

/// The configuration a program reads that changes what it runs: `make`'s Makefile, git's
/// hooks and config, npm's package.json, cargo's build script.
fn configuration(program: &str) -> Option<fn(&Path) -> bool> {
    fn name(p: &Path) -> &str {
        p.file_name().and_then(|n| n.to_str()).unwrap_or("")
    }
    fn make(p: &Path) -> bool {
        matches!(name(p), "Makefile" | "makefile" | "GNUmakefile") || name(p).ends_with(".mk")
    }
    fn git(p: &Path) -> bool {
        let parts: Vec<&str> = p.iter().filter_map(|c| c.to_str()).collect();
        parts
            .windows(2)
            .any(|w| w[0] == ".git" && matches!(w[1], "hooks" | "config"))
            || parts.last() == Some(&".git")
            || matches!(name(p), ".gitattributes" | ".gitmodules")
    }
    fn npm(p: &Path) -> bool {
        matches!(
            name(p),
            "package.json" | ".npmrc" | ".yarnrc" | ".yarnrc.yml"
        )
    }
    fn cargo(p: &Path) -> bool {
        matches!(name(p), "build.rs" | "Cargo.toml") || p.iter().any(|c| c == ".cargo")
    }
    Some(match program {
        "make" | "gmake" | "bmake" => make,
        "git" => git,
        "npm" | "pnpm" | "yarn" | "bun" | "npx" => npm,
        "cargo" => cargo,
        _ => return None,
    })
}

/// The package scripts a command runs (name, whether only when it exists); `None` when it
/// runs none, an error when gate cannot tell which package.
fn package_script_names(words: &[Word]) -> Option<Result<Vec<(String, bool)>, &'static str>> {
    let tool = crate::decide::basename(&words[0].text);
    if words.iter().any(|w| w.dynamic) {
        return Some(Err("runs package scripts gate cannot name"));
    }
    let args: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
    let elsewhere = |a: &str| {
        matches!(
            a,
            "--prefix"
                | "-C"
                | "--dir"
                | "-w"
                | "--workspace"
                | "--workspaces"
                | "-ws"
                | "--cwd"
                | "-r"
                | "--recursive"
                | "--filter"
                | "-F"
                | "-g"
                | "--global"
                | "--script-shell"
        ) || a.starts_with("--prefix=")
            || a.starts_with("--dir=")
            || a.starts_with("--workspace=")
            || a.starts_with("--cwd=")
            || a.starts_with("--filter=")
            || a.starts_with("--script-shell=")
    };
    let before_dashes = args.iter().take_while(|a| **a != "--");
    let positionals: Vec<&str> = before_dashes
        .clone()
        .filter(|a| !a.starts_with('-'))
        .copied()
        .collect();
    let runs_scripts = |p: &&str| {
        matches!(
            *p,
            "run"
                | "run-script"
                | "rum"
                | "urn"
                | "test"
                | "t"
                | "tst"
                | "start"
                | "stop"
                | "restart"
        ) || (matches!(tool, "yarn" | "pnpm") && !PACKAGE_BUILTINS.contains(p))
    };
    if before_dashes.clone().any(|a| elsewhere(a)) && positionals.iter().any(runs_scripts) {
        return Some(Err("runs package scripts of a package gate cannot locate"));
    }
    let sub = *positionals.first()?;
    let names = match sub {
        "run" | "run-script" | "rum" | "urn" => match positionals.get(1) {
            Some(n) => vec![(n.to_string(), false)],
            None => return None,
        },
        "test" | "t" | "tst" => vec![("test".to_string(), false)],
        "start" | "stop" => vec![(sub.to_string(), false)],
        "restart" => vec![
            ("restart".to_string(), false),
            ("stop".to_string(), true),
            ("start".to_string(), true),
        ],
        // `yarn build`, `pnpm build`: a script of that name, when there is one.
        n if matches!(tool, "yarn" | "pnpm") && !PACKAGE_BUILTINS.contains(&n) => {
            vec![(n.to_string(), true)]
        }
        _ => return None,
    };
    Some(Ok(names))
}

/// yarn and pnpm subcommands that are not package scripts.
const PACKAGE_BUILTINS: &[&str] = &[
    "add",
    "audit",
    "bin",
    "cache",
    "config",
    "create",
    "dedupe",
    "dlx",
    "exec",
    "info",
    "init",
    "install",
    "i",
    "link",
    "list",
    "ls",
    "outdated",
    "pack",
    "publish",
    "remove",
    "rm",
    "unlink",
    "up",
    "update",
    "upgrade",
    "why",
    "workspace",
    "workspaces",
    "import",
    "prune",
    "rebuild",
    "store",
    "env",
    "patch",
    "fetch",
    "deploy",
    "licenses",
    "help",
    "version",
    "node",
    "plugin",
    "set",
    "dedupe",
    "constraints",
    "npm",
    "stage",
    "unplug",
    "explain",
];

/// The directory each command of a level runs in, following `cd`/`pushd` (`popd` or a `cd`
/// to somewhere gate cannot resolve loses track); one entry per command and one past the end.
fn along(a: &Analysis, start: Bases, home: Option<&Path>) -> Vec<Bases> {
    let mut place = start;
    let mut out = Vec::with_capacity(a.commands.len() + 1);
    for cmd in &a.commands {
        out.push(place.clone());
        let name = crate::decide::basename(&cmd.words[0].text);
        if !matches!(name, "cd" | "pushd" | "popd" | "chdir") {
            continue;
        }
        let target = cmd.words[1..]
            .iter()
            .find(|w| w.dynamic || !w.text.starts_with('-') || w.text == "-");
        let next: Bases = match target {
            _ if name == "popd" => None,
            None => home.map(|h| vec![h.to_path_buf()]),
            Some(w) if w.dynamic || w.text == "-" || w.text.starts_with('~') => None,
            Some(w) if w.text.starts_with('/') => Some(vec![normalize(Path::new(&w.text))]),
            Some(w) => place
                .as_ref()
                .map(|bs| bs.iter().map(|b| normalize(&b.join(&w.text))).collect()),
        };
        // A `cd` may fail: the command after it runs in either place.
        place = match (place, next) {
            (Some(mut bs), Some(more)) => {
                for m in more {
                    if !bs.contains(&m) {
                        bs.push(m);
                    }
                }
                Some(bs)
            }
            _ => None,
        };
    }
    out.push(place);
    out
}

/// Add `inner` to `out`, each command reached through `via` and then `hop`.
fn merge(out: &mut Analysis, inner: Analysis, via: &[String], hop: &str) {
    let offset = out.commands.len();
    for mut c in inner.commands {
        let mut v = via.to_vec();
        if !hop.is_empty() {
            v.push(hop.to_string());
        }
        v.extend(c.via);
        c.via = v;
        out.commands.push(c);
    }
    for o in inner.opaque {
        let reason = if hop.is_empty() {
            o.reason
        } else {
            format!("{} (in {hop})", o.reason)
        };
        push_opaque(out, reason, &o.snippet);
    }
    for mut r in inner.redirects {
        r.command += offset;
        out.redirects.push(r);
    }
    for a in inner.assigned {
        if !out.assigned.contains(&a) {
            out.assigned.push(a);
        }
    }
}

fn push_opaque(out: &mut Analysis, reason: String, snippet: &str) {
    let o = Opaque {
        reason,
        snippet: snippet.chars().take(120).collect(),
    };
    if !out.opaque.contains(&o) {
        out.opaque.push(o);
    }
}

fn text(f: &File) -> Result<&str, Failure> {
    if f.bytes.contains(&0) {
        return Err(Failure::Binary);
    }
    std::str::from_utf8(&f.bytes).map_err(|_| Failure::Binary)
}

/// The first bytes hold no NUL and are UTF-8 (but for a character cut at the end).
fn looks_like_text(head: &[u8]) -> bool {
    !head.contains(&0)
        && match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        }
}

/// Open without blocking (a FIFO in place of the file must not hang gate), check it is a
/// regular file, read at most [`MAX_SCRIPT_BYTES`] (only the head of a program that is not a
/// script).
fn read_file(path: &Path, program: bool) -> Result<File, Failure> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Failure::Missing,
            _ if e.raw_os_error() == Some(nix::libc::ENOTDIR) => Failure::Missing,
            _ => Failure::Unreadable(e.to_string()),
        })?;
    let meta = f
        .metadata()
        .map_err(|e| Failure::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(Failure::NotAFile);
    }
    let executable = meta.permissions().mode() & 0o111 != 0;
    let mut bytes = Vec::new();
    let mut f = f;
    if program {
        // A program: a script only when it starts like one. One read of up to 512 bytes (a
        // regular file gives what it has), not a growing buffer's several.
        let mut head = [0u8; 512];
        let mut got = 0;
        while got < head.len() {
            match f.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::Unreadable(e.to_string())),
            }
        }
        bytes.extend_from_slice(&head[..got]);
        let script = bytes.starts_with(b"#!") || looks_like_text(&bytes);
        if !script || !executable {
            return Ok(File {
                bytes,
                executable,
                partial: true,
            });
        }
    }
    f.take(MAX_SCRIPT_BYTES as u64 + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Unreadable(e.to_string()))?;
    if bytes.len() > MAX_SCRIPT_BYTES {
        return Err(Failure::TooLarge);
    }
    Ok(File {
        bytes,
        executable,
        partial: false,
    })
}

/// Write `bytes` to a sealed memory file (no more writes, growth, shrinking or seal changes)
/// that child processes inherit; its descriptor.
#[cfg(target_os = "linux")]
pub fn sealed_fd(bytes: &[u8]) -> std::io::Result<std::os::fd::OwnedFd> {
    use nix::fcntl::{FcntlArg, SealFlag, fcntl};
    use nix::sys::memfd::{MFdFlags, memfd_create};
    let fd = memfd_create("gate-script", MFdFlags::MFD_ALLOW_SEALING)?;
    let mut file = std::fs::File::from(fd);
    std::io::Write::write_all(&mut file, bytes)?;
    let fd = std::os::fd::OwnedFd::from(file);
    fcntl(
        &fd,
        FcntlArg::F_ADD_SEALS(
            SealFlag::F_SEAL_WRITE
                | SealFlag::F_SEAL_GROW
                | SealFlag::F_SEAL_SHRINK
                | SealFlag::F_SEAL_SEAL,
        ),
    )?;
    nix::unistd::lseek(&fd, 0, nix::unistd::Whence::SeekSet)?;
    Ok(fd)
}

impl Seal {
    /// The argv that runs the sealed copy held by descriptor `fd`.
    pub fn argv(&self, argv: &[std::ffi::OsString], fd: i32) -> Vec<std::ffi::OsString> {
        let mut out: Vec<std::ffi::OsString> = self.prefix.iter().map(Into::into).collect();
        out.push("-c".into());
        out.push(format!(". /dev/fd/{fd}").into());
        out.extend(argv[self.from..].iter().cloned());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Option<Result<Vec<(String, bool)>, &'static str>> {
        let words: Vec<Word> = line.split_whitespace().map(Word::lit).collect();
        package_script_names(&words)
    }

    #[test]
    fn package_script_names_are_read_from_the_command() {
        assert_eq!(
            names("npm run build"),
            Some(Ok(vec![("build".into(), false)]))
        );
        assert_eq!(names("npm test"), Some(Ok(vec![("test".into(), false)])));
        assert_eq!(
            names("npm --silent run lint -- --fix"),
            Some(Ok(vec![("lint".into(), false)]))
        );
        assert_eq!(names("yarn build"), Some(Ok(vec![("build".into(), true)])));
        assert_eq!(names("yarn add left-pad"), None);
        assert_eq!(names("npm install"), None);
        assert_eq!(names("npm run"), None);
        assert!(matches!(
            names("npm --prefix ../other run build"),
            Some(Err(_))
        ));
    }

    #[test]
    fn cd_is_followed_where_it_can_be() {
        let a = analyze::analyze_script("cd sub && ./x; cd \"$D\"; ./y", &Wrappers::builtin());
        let b = along(&a, Some(vec![PathBuf::from("/w")]), None);
        assert_eq!(b[0], Some(vec![PathBuf::from("/w")]));
        assert_eq!(
            b[1],
            Some(vec![PathBuf::from("/w"), PathBuf::from("/w/sub")])
        );
        assert_eq!(b[3], None);
    }

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
