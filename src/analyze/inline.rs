//! Interpreters that take a program in their arguments (`python -c`, `node -e`, `awk`, `sed`, …).
//!
//! Their code is not shell and cannot be resolved: it is opaque. Its string literals are scanned
//! (a plain quote scanner, since the code is not shell) and each is analysed as a shell script,
//! so that `os.system('rm -rf /')` still shows `rm -rf /`.

use super::cx::{Cx, Frame, Stdin};
use super::{Word, snippet};

/// How one interpreter takes its program.
struct Interp {
    /// Short option letters whose value is program text (`-c`, `-e`).
    code: &'static str,
    /// Long or single-dash word options whose value is program text.
    code_words: &'static [&'static str],
    /// Short option letters that take a value (attached or the next word).
    value: &'static str,
    /// Short option letters whose value can only be attached (the rest of the word).
    attached: &'static str,
    /// Long options that take the next word as a value.
    value_words: &'static [&'static str],
    /// Subcommand whose first positional is program text (`deno eval`).
    eval_subcommand: Option<&'static str>,
    /// Short option letters after which the program comes from a module (`python -m`): no inline code.
    module: &'static str,
    /// Short option letters followed by optional attached digits (`perl -l0 -0777`).
    digits: &'static str,
    /// The code reads as a command line (PowerShell): analyse it as one too.
    code_is_command_line: bool,
}

const NONE: &[&str] = &[];

fn interp(name: &str) -> Option<Interp> {
    let base = Interp {
        code: "",
        code_words: NONE,
        value: "",
        attached: "",
        value_words: NONE,
        eval_subcommand: None,
        module: "",
        digits: "",
        code_is_command_line: false,
    };
    let digits = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    Some(if digits("python") || digits("pypy") {
        Interp {
            code: "c",
            value: "WXQ",
            module: "m",
            ..base
        }
    } else if matches!(name, "node" | "nodejs" | "bun") {
        Interp {
            code: "ep",
            code_words: &["--eval", "--print"],
            value: "rC",
            value_words: &[
                "--require",
                "--loader",
                "--import",
                "--input-type",
                "--conditions",
            ],
            ..base
        }
    } else if name == "deno" {
        Interp {
            eval_subcommand: Some("eval"),
            ..base
        }
    } else if digits("perl") {
        Interp {
            code: "eE",
            attached: "MmIxiCdDV",
            digits: "l0",
            ..base
        }
    } else if digits("ruby") {
        Interp {
            code: "e",
            attached: "IrxiCEFKTW",
            digits: "0",
            ..base
        }
    } else if digits("php") {
        Interp {
            code: "rBRE",
            value: "cdfzt",
            ..base
        }
    } else if digits("lua") || name == "luajit" {
        Interp {
            code: "e",
            value: "l",
            ..base
        }
    } else if matches!(
        name,
        "osascript" | "Rscript" | "julia" | "expect" | "jshell"
    ) {
        Interp {
            code: "eEc",
            value: "l",
            ..base
        }
    } else if digits("tclsh") || name == "wish" {
        Interp { ..base }
    } else if matches!(name, "pwsh" | "powershell" | "pwsh.exe" | "powershell.exe") {
        Interp {
            code_is_command_line: true,
            ..base
        }
    } else {
        return None;
    })
}

/// Handle interpreters, awk and sed; false when `name` is none of them.
pub(crate) fn handle(cx: &mut Cx, words: &[Word], frame: &Frame, stdin: Stdin, name: &str) -> bool {
    if matches!(name, "awk" | "gawk" | "mawk" | "nawk") {
        awk(cx, words, frame, name);
        return true;
    }
    if matches!(name, "sed" | "gsed") {
        sed(cx, words, frame);
        return true;
    }
    let Some(it) = interp(name) else {
        return false;
    };
    let mut code: Vec<Word> = Vec::new();
    let mut positional = false;
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if w.dynamic {
            cx.opaque(
                "interpreter runs a program given by an expansion",
                &super::cx::join(words),
            );
            positional = true;
            break;
        }
        if t == "-" {
            positional = false;
            break;
        }
        if t == "--" {
            positional = i + 1 < words.len();
            break;
        }
        // PowerShell: -c, -Command, -EncodedCommand, -CommandWithArgs, any case, any prefix.
        let pwsh_code = it.code_is_command_line && {
            let l = t.to_ascii_lowercase();
            l.starts_with("-c") || l.starts_with("-e") || l.starts_with("/c")
        };
        if !code.is_empty() && it.code == "c" {
            // `python -c CODE ARGS…`: the rest is the program's argv.
            break;
        }
        if pwsh_code || it.code_words.contains(&t) {
            if let Some(c) = words.get(i + 1) {
                code.push(c.clone());
            }
            i += 2;
            continue;
        }
        if let Some((opt, val)) = t.split_once('=') {
            if it.code_words.contains(&opt) {
                code.push(Word::lit(val));
                i += 1;
                continue;
            }
        }
        if it.value_words.contains(&t) {
            i += 2;
            continue;
        }
        if t.starts_with("--") {
            i += 1;
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            let body = &t[1..];
            let mut next = i + 1;
            let mut module = false;
            let mut skip_digits = false;
            for (j, c) in body.char_indices() {
                let rest = &body[j + c.len_utf8()..];
                if skip_digits && c.is_digit(8) {
                    continue;
                }
                skip_digits = false;
                if it.digits.contains(c) {
                    skip_digits = true;
                    continue;
                }
                if it.code.contains(c) {
                    // `node -pe CODE`: the code is the next word when the rest is more code flags.
                    if rest.is_empty() || rest.chars().all(|r| it.code.contains(r)) {
                        if let Some(cw) = words.get(i + 1) {
                            code.push(cw.clone());
                        }
                        next += 1;
                    } else {
                        code.push(Word::lit(rest));
                    }
                    break;
                }
                if it.module.contains(c) {
                    module = true;
                    break;
                }
                if it.value.contains(c) {
                    if rest.is_empty() {
                        next += 1;
                    }
                    break;
                }
                if it.attached.contains(c) {
                    break;
                }
            }
            if module {
                positional = true;
                break;
            }
            i = next;
            continue;
        }
        if it.eval_subcommand == Some(t) {
            // `deno eval [options] CODE`
            let mut j = i + 1;
            while j < words.len() && words[j].text.starts_with('-') && !words[j].dynamic {
                j += 1;
            }
            if let Some(c) = words.get(j) {
                code.push(c.clone());
            }
            positional = true;
            break;
        }
        // `python3 /dev/stdin`: the program is read from the input after all.
        positional = !matches!(t, "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0");
        if positional && it.module == "m" {
            // `python3 FILE`: a caller that can read the file analyses it too.
            cx.script_file(
                super::ScriptKind::Python,
                words,
                i,
                frame,
                &super::cx::join(words),
            );
        }
        break;
    }
    cx.push(words.to_vec(), frame);
    if !code.is_empty() {
        report_code(cx, &code, frame, name, "interpreter inline code");
        if it.code_is_command_line {
            // PowerShell code is itself a command line.
            for c in &code {
                cx.script(&c.text, &frame.hop_inline(&format!("{name} inline code")));
            }
        }
    } else if !positional && !info_only(words) {
        // No program given: it is read from the input, which gate sees only when the line
        // shows it (then that code is judged as `-c` code is).
        if !super::runners::interpreter_stdin(cx, frame, stdin, name) {
            let src = stdin.feeds_code().unwrap_or("its input");
            cx.opaque(
                &format!("interpreter reads its program from {src}"),
                &super::cx::join(words),
            );
        }
    }
    true
}

/// `--version`, `-V`, `--help`, `-h`: prints and exits.
fn info_only(words: &[Word]) -> bool {
    words[1..]
        .iter()
        .any(|w| matches!(w.text.as_str(), "--version" | "-V" | "-v" | "--help" | "-h"))
}

/// Opaque, plus every string literal of the code analysed as a shell script.
pub(crate) fn report_code(cx: &mut Cx, code: &[Word], frame: &Frame, name: &str, reason: &str) {
    let hop = frame.hop_inline(&format!("{name} inline code"));
    for c in code {
        // Code gate can read to the end is not opaque: it runs exactly the commands its
        // literal calls name (`os.system("ls")`), and its other literals are data.
        let resolved = if c.dynamic {
            None
        } else if matches!(name, "awk" | "gawk" | "mawk" | "nawk") {
            super::resolve::awk_commands(&c.text).map(|v| v.into_iter().map(|s| vec![s]).collect())
        } else {
            super::resolve::Lang::of(name).and_then(|lang| super::resolve::commands(lang, &c.text))
        };
        if let Some(commands) = resolved {
            for argv in commands {
                if argv.len() == 1 {
                    cx.script(&argv[0], &hop);
                } else {
                    let words = argv.iter().map(|s| Word::lit(s.as_str())).collect();
                    cx.command(words, &hop, Stdin::Inherited);
                }
            }
            continue;
        }
        cx.opaque(reason, &snippet(&c.text));
        literal_commands(cx, &c.text, &hop);
    }
}

/// Every string literal of program text analysed as a shell script (and a list of literals as
/// an argv), reported at `hop`.
pub(crate) fn literal_commands(cx: &mut Cx, code: &str, hop: &Frame) {
    for group in string_literals(code) {
        for lit in &group {
            // In an argv list, single words are only parts of the command below.
            if group.len() == 1 || lit.contains(char::is_whitespace) {
                cx.script(lit, hop);
            }
        }
        if group.len() > 1 {
            // An argv written as a list of literals: ["rm", "-rf", "/"].
            let words = group.iter().map(|s| Word::lit(s.as_str())).collect();
            cx.command(words, hop, Stdin::Inherited);
        }
    }
}

/// The string literals of program text, grouped into runs separated only by commas
/// (`["rm", "-rf", "/"]` is one group of three).
pub(crate) fn string_literals(code: &str) -> Vec<Vec<String>> {
    let b = code.as_bytes();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut comma_since_last = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' || c == b'`' {
            let triple = i + 2 < b.len() && b[i + 1] == c && b[i + 2] == c;
            let (open, close_len) = if triple { (3, 3) } else { (1, 1) };
            let mut j = i + open;
            let mut lit = Vec::new();
            let mut closed = false;
            while j < b.len() {
                if b[j] == b'\\' && j + 1 < b.len() {
                    lit.push(match b[j + 1] {
                        b'n' => b'\n',
                        b't' => b'\t',
                        other => other,
                    });
                    j += 2;
                    continue;
                }
                if b[j] == c && (!triple || (j + 2 < b.len() && b[j + 1] == c && b[j + 2] == c)) {
                    closed = true;
                    break;
                }
                lit.push(b[j]);
                j += 1;
            }
            let text = String::from_utf8_lossy(&lit).into_owned();
            if !(current.is_empty() || comma_since_last) {
                groups.push(std::mem::take(&mut current));
            }
            current.push(text);
            comma_since_last = false;
            i = if closed { j + close_len } else { b.len() };
            continue;
        }
        if c == b',' {
            comma_since_last = true;
        } else if !c.is_ascii_whitespace() && !current.is_empty() {
            groups.push(std::mem::take(&mut current));
            comma_since_last = false;
        }
        i += 1;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

fn awk(cx: &mut Cx, words: &[Word], frame: &Frame, name: &str) {
    let mut program: Vec<Word> = Vec::new();
    let mut from_file = false;
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if w.dynamic {
            break;
        }
        if t == "--" {
            i += 1;
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (opt, val) = match long.split_once('=') {
                Some((o, v)) => (o, Some(v.to_string())),
                None => (long, None),
            };
            let takes = matches!(
                opt,
                "file"
                    | "source"
                    | "assign"
                    | "field-separator"
                    | "include"
                    | "load"
                    | "exec"
                    | "dump-variables"
                    | "profile"
            );
            let value = match (&val, takes) {
                (Some(v), _) => Some(v.clone()),
                (None, true) => {
                    i += 1;
                    words.get(i).map(|w| w.text.clone())
                }
                (None, false) => None,
            };
            match opt {
                "file" | "exec" | "include" | "load" => from_file = true,
                "source" => program.extend(value.map(Word::lit)),
                _ => {}
            }
            i += 1;
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            let body = &t[1..];
            let c = body.chars().next().unwrap_or(' ');
            let rest = &body[c.len_utf8()..];
            if "FvfeEilW".contains(c) {
                let value = if rest.is_empty() {
                    i += 1;
                    words.get(i).cloned()
                } else {
                    Some(Word::lit(rest))
                };
                match c {
                    'f' | 'E' | 'i' | 'l' => from_file = true,
                    'e' => program.extend(value),
                    _ => {}
                }
            }
            i += 1;
            continue;
        }
        break;
    }
    if program.is_empty() && !from_file {
        if let Some(w) = words.get(i) {
            program.push(w.clone());
        }
    }
    cx.push(words.to_vec(), frame);
    if from_file {
        cx.opaque("runs a script file", &super::cx::join(words));
    }
    for p in &program {
        if p.dynamic {
            cx.opaque("awk program is an expansion", &super::cx::join(words));
        } else if awk_runs_commands(&p.text) {
            report_code(
                cx,
                std::slice::from_ref(p),
                frame,
                name,
                "awk program runs commands",
            );
        }
    }
}

/// `system(`, `print | "cmd"`, `print | cmd`, `"cmd" | getline`, gawk's `|&` co-processes.
/// A `|` in a regex (`/a|b/`) is none of these: it is followed by neither a string nor
/// `getline`, and no `print` stands before it in its statement.
fn awk_runs_commands(program: &str) -> bool {
    let b = program.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    let mut statement_start = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if matches!(c, b';' | b'{' | b'}' | b'\n') {
            statement_start = i + 1;
        } else if c == b'|' {
            if i + 1 < b.len() && b[i + 1] == b'|' {
                i += 2;
                continue;
            }
            let after = &b[i + 1..];
            let after = &after[after.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
            let before = &b[statement_start..i];
            if after.starts_with(b"&")
                || after.starts_with(b"\"")
                || after.starts_with(b"getline")
                || before.windows(5).any(|w| w == b"print")
            {
                return true;
            }
        } else if b[i..].starts_with(b"system") {
            let after = b[i + 6..].iter().find(|c| !c.is_ascii_whitespace());
            if after == Some(&b'(') {
                return true;
            }
        }
        i += 1;
    }
    false
}

fn sed(cx: &mut Cx, words: &[Word], frame: &Frame) {
    let mut scripts: Vec<Word> = Vec::new();
    let mut from_file = false;
    let mut positional: Option<Word> = None;
    let mut i = 1;
    let mut options_done = false;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if !options_done && !w.dynamic {
            if t == "--" {
                options_done = true;
                i += 1;
                continue;
            }
            if let Some(long) = t.strip_prefix("--") {
                let (opt, val) = match long.split_once('=') {
                    Some((o, v)) => (o, Some(v.to_string())),
                    None => (long, None),
                };
                match opt {
                    "expression" | "file" => {
                        let v = val.or_else(|| {
                            i += 1;
                            words.get(i).map(|w| w.text.clone())
                        });
                        if opt == "file" {
                            from_file = true;
                        } else if let Some(v) = v {
                            scripts.push(Word::lit(v));
                        }
                    }
                    "line-length" if val.is_none() => i += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if t.len() > 1 && t.starts_with('-') {
                for (j, c) in t[1..].char_indices() {
                    let rest = &t[1 + j + c.len_utf8()..];
                    match c {
                        'e' | 'f' | 'l' => {
                            let value = if rest.is_empty() {
                                i += 1;
                                words.get(i).cloned()
                            } else {
                                Some(Word::lit(rest))
                            };
                            if c == 'e' {
                                scripts.extend(value);
                            } else if c == 'f' {
                                from_file = true;
                            }
                            break;
                        }
                        'i' => break,
                        _ => {}
                    }
                }
                i += 1;
                continue;
            }
        }
        if positional.is_none() {
            positional = Some(w.clone());
        }
        i += 1;
    }
    if scripts.is_empty() && !from_file {
        scripts.extend(positional);
    }
    cx.push(words.to_vec(), frame);
    if from_file {
        cx.opaque("runs a script file", &super::cx::join(words));
    }
    for s in &scripts {
        if s.dynamic {
            cx.opaque("sed script is an expansion", &super::cx::join(words));
        } else if sed_executes(&s.text) {
            cx.opaque("sed script runs commands", &s.text);
        }
    }
}

/// Whether a sed script holds the GNU `e` command or the `s///e` flag. Anything it cannot
/// follow counts as executing: the answer must never be a false "no".
pub(crate) fn sed_executes(script: &str) -> bool {
    let c: Vec<char> = script.chars().collect();
    let n = c.len();
    let mut i = 0;
    // Skip a delimited part (regex or replacement) starting after the opening delimiter.
    let delimited = |mut i: usize, d: char| -> Option<usize> {
        while i < n {
            if c[i] == '\\' {
                i += 2;
                continue;
            }
            if c[i] == d {
                return Some(i + 1);
            }
            i += 1;
        }
        None
    };
    let to_eol = |mut i: usize| -> usize {
        while i < n && c[i] != '\n' {
            if c[i] == '\\' {
                i += 1;
            }
            i += 1;
        }
        i
    };
    loop {
        while i < n && (c[i].is_whitespace() || c[i] == ';') {
            i += 1;
        }
        if i >= n {
            return false;
        }
        // Addresses: N, $, /re/, \cREc, first~step, addr1,addr2, addr,+N, then `!`.
        for _ in 0..2 {
            if i < n && c[i].is_ascii_digit() {
                while i < n && (c[i].is_ascii_digit() || c[i] == '~') {
                    i += 1;
                }
            } else if i < n && c[i] == '$' {
                i += 1;
            } else if i < n && c[i] == '/' {
                match delimited(i + 1, '/') {
                    Some(j) => i = j,
                    None => return true,
                }
                while i < n && (c[i] == 'I' || c[i] == 'M') {
                    i += 1;
                }
            } else if i + 1 < n && c[i] == '\\' {
                match delimited(i + 2, c[i + 1]) {
                    Some(j) => i = j,
                    None => return true,
                }
            }
            while i < n && c[i] == ' ' {
                i += 1;
            }
            if i < n && c[i] == ',' {
                i += 1;
                while i < n && c[i] == ' ' {
                    i += 1;
                }
                if i < n && (c[i] == '+' || c[i] == '~') {
                    i += 1;
                }
                continue;
            }
            break;
        }
        while i < n && (c[i] == '!' || c[i] == ' ') {
            i += 1;
        }
        if i >= n {
            return false;
        }
        let cmd = c[i];
        i += 1;
        match cmd {
            '{' | '}' | '=' | 'd' | 'D' | 'g' | 'G' | 'h' | 'H' | 'n' | 'N' | 'p' | 'P' | 'x'
            | 'z' | 'F' => {}
            '#' | 'a' | 'i' | 'c' | 'r' | 'R' | 'w' | 'W' | ':' => {
                // Text, a file name or a label to the end of the line (a, i, c may continue).
                loop {
                    i = to_eol(i);
                    if i > 0 && i <= n && c[i - 1] == '\\' && i < n {
                        i += 1;
                        continue;
                    }
                    break;
                }
            }
            'b' | 't' | 'T' | 'v' => {
                while i < n && c[i] != ';' && c[i] != '\n' && c[i] != '}' {
                    i += 1;
                }
            }
            'q' | 'Q' | 'l' | 'L' => {
                while i < n && (c[i].is_ascii_digit() || c[i] == ' ') {
                    i += 1;
                }
            }
            'e' => return true,
            's' | 'y' => {
                if i >= n || c[i] == '\n' || c[i] == '\\' {
                    return true;
                }
                let d = c[i];
                let Some(j) = delimited(i + 1, d) else {
                    return true;
                };
                let Some(j) = delimited(j, d) else {
                    return true;
                };
                i = j;
                if cmd == 's' {
                    while i < n && c[i] != ';' && c[i] != '\n' && c[i] != '}' {
                        match c[i] {
                            'e' => return true,
                            'w' | 'W' => {
                                i = to_eol(i);
                                break;
                            }
                            _ => i += 1,
                        }
                    }
                }
            }
            _ => return true,
        }
    }
}

/// Split an `env -S` string into words: whitespace separates, `'…'` and `"…"` quote, backslash
/// escapes; `${VAR}` makes a word dynamic.
pub(crate) fn split_string(s: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut dynamic = false;
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(Word {
                        text: std::mem::take(&mut cur),
                        dynamic,
                    });
                    dynamic = false;
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('_') => cur.push(' '),
                            o => cur.extend(o),
                        },
                        '$' => {
                            dynamic = true;
                            cur.push('$');
                        }
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => match chars.next() {
                // `\_` outside double quotes separates arguments.
                Some('_') if in_word => {
                    words.push(Word {
                        text: std::mem::take(&mut cur),
                        dynamic,
                    });
                    dynamic = false;
                    in_word = false;
                }
                Some('_') => {}
                // `\c` ends the string.
                Some('c') => break,
                Some(o) => {
                    in_word = true;
                    cur.push(match o {
                        'n' => '\n',
                        't' => '\t',
                        o => o,
                    });
                }
                None => {}
            },
            '$' => {
                in_word = true;
                dynamic = true;
                cur.push('$');
            }
            '#' if !in_word => break,
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(Word { text: cur, dynamic });
    }
    words
}
