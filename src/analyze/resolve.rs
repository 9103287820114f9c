//! Inline code gate can read to the end: `python3 -c 'print(1)'`, `node -e 'console.log("ok")'`,
//! `perl -E 'say 1'`, `awk 'BEGIN { system("ls") }'`. Such code is not opaque when every name in
//! it is one gate knows to be harmless (printing, arithmetic, string and list functions, reading
//! the environment) and every call that runs a command is given string literals only: those
//! literals are the commands it runs (analysed as shell scripts, or as an argv for a list), and
//! every other literal is data (`console.log("rm -rf /")` prints). Anything else — an unknown
//! name, a module gate does not list, a command built from a variable, `eval`, file writes —
//! leaves the code opaque, as before.

/// The languages gate reads this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Python,
    JavaScript,
    Ruby,
    Perl,
}

impl Lang {
    pub(crate) fn of(program: &str) -> Option<Lang> {
        let digits = |prefix: &str| {
            program
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
        };
        if digits("python") || digits("pypy") {
            Some(Lang::Python)
        } else if matches!(program, "node" | "nodejs" | "bun") {
            Some(Lang::JavaScript)
        } else if digits("ruby") {
            Some(Lang::Ruby)
        } else if digits("perl") {
            Some(Lang::Perl)
        } else {
            None
        }
    }

    /// Names (identifiers, members, modules, keywords) that neither run nor write anything.
    fn harmless(self, name: &str) -> bool {
        const COMMON: &[&str] = &[
            "if",
            "else",
            "for",
            "while",
            "in",
            "return",
            "true",
            "false",
            "and",
            "or",
            "not",
            "length",
            "join",
            "split",
            "map",
            "filter",
            "keys",
            "values",
            "sort",
            "reverse",
            "upper",
            "lower",
            "strip",
            "replace",
            "format",
            "min",
            "max",
            "sum",
            "abs",
            "round",
            "floor",
            "ceil",
            "sqrt",
            "pi",
            "time",
            "version",
            "platform",
            "argv",
            "env",
            "toString",
            "to_s",
            "to_i",
            "size",
            "count",
            "first",
            "last",
            "each",
            "push",
            "append",
            "items",
            "get",
            "trim",
            "startswith",
            "endswith",
            "includes",
            "concat",
        ];
        const PYTHON: &[&str] = &[
            "print",
            "len",
            "str",
            "int",
            "float",
            "bool",
            "range",
            "sorted",
            "reversed",
            "list",
            "dict",
            "set",
            "tuple",
            "enumerate",
            "zip",
            "any",
            "all",
            "repr",
            "chr",
            "ord",
            "hex",
            "oct",
            "bin",
            "isinstance",
            "type",
            "True",
            "False",
            "None",
            "is",
            "elif",
            "lambda",
            "import",
            "from",
            "as",
            "pass",
            "break",
            "continue",
            "sys",
            "os",
            "math",
            "json",
            "platform",
            "datetime",
            "now",
            "today",
            "isoformat",
            "version_info",
            "subprocess",
            "executable",
            "path",
            "exists",
            "isfile",
            "isdir",
            "basename",
            "dirname",
            "abspath",
            "getcwd",
            "environ",
            "getenv",
            "stdout",
            "stderr",
            "write",
            "flush",
            "dumps",
            "loads",
            "sep",
            "lstrip",
            "rstrip",
            "encode",
            "decode",
            "hexdigest",
            "hashlib",
            "sha256",
            "md5",
            "cpu_count",
            "getpid",
            "name",
            "maxsize",
            "exit",
            "rsplit",
            "partition",
            "zfill",
            "ljust",
            "rjust",
            "center",
            "title",
            "capitalize",
            "isdigit",
            "isalpha",
            "pow",
            "divmod",
            "hash",
            "id",
            "sep",
            "linesep",
            "uname",
            "python_version",
            "system_alias",
        ];
        const JAVASCRIPT: &[&str] = &[
            "console",
            "log",
            "error",
            "info",
            "warn",
            "debug",
            "JSON",
            "stringify",
            "parse",
            "Math",
            "random",
            "process",
            "cwd",
            "exit",
            "versions",
            "arch",
            "pid",
            "require",
            "let",
            "const",
            "var",
            "typeof",
            "new",
            "Date",
            "Array",
            "Object",
            "Number",
            "String",
            "Boolean",
            "entries",
            "of",
            "function",
            "null",
            "undefined",
            "toFixed",
            "parseInt",
            "parseFloat",
            "isArray",
            "from",
            "now",
            "toISOString",
            "getTime",
            "child_process",
            "os",
            "path",
            "util",
            "hostname",
            "cpus",
            "homedir",
            "tmpdir",
            "resolve",
            "basename",
            "dirname",
            "extname",
            "inspect",
            "stdout",
            "write",
            "padStart",
            "padEnd",
            "repeat",
            "slice",
            "indexOf",
            "toUpperCase",
            "toLowerCase",
            "reduce",
            "forEach",
            "find",
            "some",
            "every",
        ];
        const RUBY: &[&str] = &[
            "puts",
            "print",
            "p",
            "pp",
            "nil",
            "end",
            "do",
            "then",
            "unless",
            "RUBY_VERSION",
            "ENV",
            "Dir",
            "pwd",
            "Time",
            "now",
            "inspect",
            "upcase",
            "downcase",
            "chomp",
            "to_a",
            "to_sym",
            "sprintf",
            "printf",
            "require",
            "json",
            "to_json",
            "JSON",
            "generate",
            "elsif",
            "Math",
        ];
        const PERL: &[&str] = &[
            "print",
            "say",
            "printf",
            "sprintf",
            "my",
            "our",
            "foreach",
            "unless",
            "use",
            "strict",
            "warnings",
            "feature",
            "ENV",
            "ARGV",
            "_",
            "localtime",
            "uc",
            "lc",
            "chomp",
            "chop",
            "defined",
            "scalar",
            "exists",
            "eq",
            "ne",
            "lt",
            "gt",
            "le",
            "ge",
            "cmp",
            "int",
            "hex",
            "oct",
            "ord",
            "chr",
            "x",
            "last",
            "next",
            "sort",
            "grep",
        ];
        COMMON.contains(&name)
            || match self {
                Lang::Python => PYTHON.contains(&name),
                Lang::JavaScript => JAVASCRIPT.contains(&name),
                Lang::Ruby => RUBY.contains(&name),
                Lang::Perl => PERL.contains(&name),
            }
    }

    /// Names whose call runs its string arguments as a command.
    fn runs(self, name: &str) -> bool {
        match self {
            Lang::Python => matches!(
                name,
                "system"
                    | "popen"
                    | "run"
                    | "call"
                    | "check_call"
                    | "check_output"
                    | "getoutput"
                    | "getstatusoutput"
                    | "Popen"
            ),
            Lang::JavaScript => matches!(
                name,
                "execSync" | "exec" | "spawnSync" | "spawn" | "execFileSync" | "execFile"
            ),
            Lang::Ruby | Lang::Perl => matches!(name, "system" | "exec"),
        }
    }

    fn comment(self, b: &[u8], i: usize) -> bool {
        match self {
            Lang::JavaScript => b[i] == b'/' && b.get(i + 1) == Some(&b'/'),
            _ => b[i] == b'#',
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    /// A string literal's text, and whether it runs as a command by itself (a backtick string
    /// in Ruby or Perl).
    Str(String, bool),
    Punct(u8),
    Number,
}

fn tokens(code: &str, lang: Lang) -> Option<Vec<Tok>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if lang.comment(b, i) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\'' || c == b'"' || c == b'`' {
            let triple =
                lang == Lang::Python && b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
            let open = if triple { 3 } else { 1 };
            let mut j = i + open;
            let mut text = String::new();
            loop {
                if j >= b.len() {
                    return None;
                }
                if b[j] == b'\\' {
                    // Only escapes that mean the same in every one of these languages; any
                    // other (`\x20`, `\040`, `\u…`) leaves the text unknown.
                    let next = code[j + 1..].chars().next()?;
                    text.push(match next {
                        'n' => '\n',
                        't' => '\t',
                        '\\' | '\'' | '"' | '`' | '/' | '$' => next,
                        _ => return None,
                    });
                    j += 1 + next.len_utf8();
                    continue;
                }
                if b[j] == c && (!triple || (b.get(j + 1) == Some(&c) && b.get(j + 2) == Some(&c)))
                {
                    break;
                }
                // Interpolation: the text is not known (`"$x"`, `"#{x}"`, `` `${x}` ``).
                let interpolates = match (lang, c) {
                    (Lang::Perl, b'"' | b'`') => matches!(b[j], b'$' | b'@'),
                    (Lang::Ruby, b'"' | b'`') => b[j] == b'#' && b.get(j + 1) == Some(&b'{'),
                    (Lang::JavaScript, b'`') => b[j] == b'$' && b.get(j + 1) == Some(&b'{'),
                    _ => false,
                };
                if interpolates {
                    return None;
                }
                let ch = code[j..].chars().next()?;
                text.push(ch);
                j += ch.len_utf8();
            }
            let runs = c == b'`' && matches!(lang, Lang::Ruby | Lang::Perl);
            out.push(Tok::Str(text, runs));
            i = j + open;
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Number);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(code[start..i].to_string()));
        } else if c.is_ascii() {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// The commands `code` runs, each an argv of literals (one literal: a shell command line), or
/// `None` when gate cannot read the code to the end.
pub(crate) fn commands(lang: Lang, code: &str) -> Option<Vec<Vec<String>>> {
    let toks = tokens(code, lang)?;
    // Names the code itself binds (`x = 1`, `for i in …`, `my $n`): data.
    let mut locals: Vec<&str> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        if let Tok::Name(n) = t {
            let assigned = matches!(toks.get(k + 1), Some(Tok::Punct(b'=')))
                && !matches!(toks.get(k + 2), Some(Tok::Punct(b'=')));
            let looped = k > 0
                && matches!(&toks[k - 1], Tok::Name(f) if f == "for" || f == "let" || f == "const" || f == "var");
            if (assigned || looped) && !lang.runs(n) {
                locals.push(n);
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // Perl's `$x`, `@a`, `%h` and `$_` are variables.
        let sigil =
            lang == Lang::Perl && i > 0 && matches!(toks[i - 1], Tok::Punct(b'$' | b'@' | b'%'));
        if let Tok::Name(n) = &toks[i]
            && !lang.runs(n)
            && (sigil
                || locals.contains(&n.as_str())
                || n.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
        {
            i += 1;
            continue;
        }
        match &toks[i] {
            Tok::Name(n) if lang.runs(n) => {
                // `system("ls")`, `subprocess.run(["ls", "-l"])`, `system "ls"`: literals only,
                // up to the closing bracket; keyword arguments (`shell=True`) are fine.
                let mut j = i + 1;
                let mut argv = Vec::new();
                let mut depth = 0;
                while let Some(t) = toks.get(j) {
                    match t {
                        Tok::Punct(b'(' | b'[') => depth += 1,
                        Tok::Punct(b')' | b']') => {
                            depth -= 1;
                            if depth <= 0 {
                                break;
                            }
                        }
                        Tok::Punct(b',') => {}
                        Tok::Str(s, _)
                            if !matches!(toks.get(j + 1), Some(Tok::Punct(b'+' | b'.' | b'%'))) =>
                        {
                            argv.push(s.clone())
                        }
                        // `shell=True`, `check=True`, `capture_output=True`, `text=True`.
                        Tok::Name(k)
                            if depth >= 1 && matches!(toks.get(j + 1), Some(Tok::Punct(b'='))) =>
                        {
                            if !matches!(toks.get(j + 2), Some(Tok::Name(v)) if v == "True" || v == "False")
                            {
                                return None;
                            }
                            let _ = k;
                            j += 2;
                        }
                        _ => return None,
                    }
                    if depth == 0 && !matches!(t, Tok::Str(..)) {
                        return None;
                    }
                    j += 1;
                    if depth == 0 {
                        break;
                    }
                }
                if argv.is_empty() {
                    return None;
                }
                out.push(argv);
                i = j + 1;
            }
            Tok::Name(n) if !lang.harmless(n) => return None,
            Tok::Str(s, true) => {
                out.push(vec![s.clone()]);
                i += 1;
            }
            // `$x`, `@a`, `%h` in Perl are variables; a Ruby symbol `:x` is data.
            _ => i += 1,
        }
    }
    Some(out)
}

/// The command strings of an awk program (`system("…")`, `"…" | getline`, `print | "…"`) when
/// every one is a string literal; `None` when one is built from something else.
pub(crate) fn awk_commands(program: &str) -> Option<Vec<String>> {
    let toks = tokens(program, Lang::Ruby)?;
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Name(n) if n == "system" => {
                match (toks.get(i + 1), toks.get(i + 2), toks.get(i + 3)) {
                    (Some(Tok::Punct(b'(')), Some(Tok::Str(s, _)), Some(Tok::Punct(b')'))) => {
                        out.push(s.clone())
                    }
                    _ => return None,
                }
            }
            Tok::Punct(b'|') => {
                let before = i.checked_sub(1).and_then(|k| toks.get(k));
                match (before, toks.get(i + 1)) {
                    (Some(Tok::Punct(b'|')), _) | (_, Some(Tok::Punct(b'|'))) => {}
                    (Some(Tok::Str(s, _)), Some(Tok::Name(g))) if g == "getline" => {
                        out.push(s.clone())
                    }
                    (_, Some(Tok::Str(s, _))) => out.push(s.clone()),
                    // `print | cmd`, `cmd | getline`, `|&`, and a `|` in a regex alike.
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harmless_code_resolves_to_what_it_runs() {
        let py = |c| commands(Lang::Python, c);
        let js = |c| commands(Lang::JavaScript, c);
        assert_eq!(py("print('hello')"), Some(vec![]));
        assert_eq!(
            py("import os; os.system(\"rm -r path/to\")"),
            Some(vec![vec!["rm -r path/to".to_string()]])
        );
        assert_eq!(
            py("import subprocess; subprocess.run(['ls', '-l'], check=True)"),
            Some(vec![vec!["ls".to_string(), "-l".to_string()]])
        );
        assert_eq!(js("console.log(\"rm -rf /\")"), Some(vec![]));
        assert_eq!(js("1 + 1"), Some(vec![]));
        assert_eq!(
            js("require('child_process').execSync('ls')"),
            Some(vec![vec!["ls".to_string()]])
        );
        assert_eq!(commands(Lang::Ruby, "puts 'ok'"), Some(vec![]));
        assert_eq!(
            commands(Lang::Ruby, "puts `ls`"),
            Some(vec![vec!["ls".to_string()]])
        );
        assert_eq!(commands(Lang::Perl, "say 1"), Some(vec![]));
        assert_eq!(commands(Lang::Perl, "print 'ok'"), Some(vec![]));
        assert_eq!(
            awk_commands("BEGIN { system(\"ls\") }"),
            Some(vec!["ls".to_string()])
        );
        assert_eq!(
            awk_commands("BEGIN { \"printf ok\" | getline line; print line }"),
            Some(vec!["printf ok".to_string()])
        );
    }

    #[test]
    fn code_gate_cannot_read_to_the_end_stays_unresolved() {
        let py = |c| commands(Lang::Python, c);
        for code in [
            "import shutil; shutil.rmtree('/x')",
            "open('/etc/passwd', 'w').write('x')",
            "import os; os.system('rm ' + path)",
            "import os; os.system(cmd)",
            "exec('import os')",
            "__import__('os').system('ls')",
            "import mymodule",
            "os.remove('x')",
            "print(f'{x}')",
            "subprocess.run('ls', shell=cmd)",
            "print('unterminated",
        ] {
            assert_eq!(py(code), None, "{code}");
        }
        for code in [
            "require('fs').rmSync('/', {recursive: true})",
            "eval('1')",
            "require('child_process').execSync(`rm -rf ${dir}`)",
            "process.binding('spawn_sync')",
        ] {
            assert_eq!(commands(Lang::JavaScript, code), None, "{code}");
        }
        assert_eq!(commands(Lang::Perl, "system \"rm -rf $dir\""), None);
        assert_eq!(commands(Lang::Perl, "unlink 'x'"), None);
        assert_eq!(commands(Lang::Ruby, "File.delete('x')"), None);
        assert_eq!(awk_commands("{ system($0) }"), None);
        assert_eq!(awk_commands("{ print | cmd }"), None);
        assert_eq!(awk_commands("BEGIN { system(\"rm\\x20-rf\\x20/\") }"), None);
        assert_eq!(awk_commands("BEGIN { system(\"rm\\040-rf\\040/\") }"), None);
        assert_eq!(
            commands(Lang::Python, "import os; os.system('rm\\x20-rf /')"),
            None
        );
        assert_eq!(commands(Lang::Python, "x = 2; print(x * 3)"), Some(vec![]));
        assert_eq!(commands(Lang::Perl, "my $n = 1; print $n"), Some(vec![]));
    }
}
