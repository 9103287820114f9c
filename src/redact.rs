//! Secret detection and masking (SPEC §8): a password, token or key in a command never reaches
//! the ledger, Slack or a webhook. Pure: no I/O.
//!
//! Two readings find what to mask:
//! - a *word* reading of an argv (or of the words of a shell script), in order, so that an
//!   option such as `--token` masks the next element, and `-p` is a password only for the
//!   programs where it is one (`mysql -pSECRET`), never for `ssh -p 2222` or `ls -p`;
//! - a *text* reading of every element (and of free text): `NAME=value`, `"name": "value"` and
//!   `name: value` assignments, credentials and secret query parameters in URLs,
//!   `Authorization`/`Cookie` headers, well-known key formats (AWS, GitHub, Slack, Stripe, Google,
//!   JWT, private-key blocks, npm, OpenAI/Anthropic, …), and the policy's `[redact] patterns`.
//!
//! Only the secret itself is replaced by [`MASK`]; the option, the user name, the header name,
//! the key's well-known prefix stay, so that an approver still sees what the command does
//! (`mysql -u root -p***`, `Authorization: Bearer ***`, `https://user:***@host/path`, `ghp_***`).
//! Masking is idempotent: masking a masked argv changes nothing.
//!
//! Cost. This runs on every `gate -- cmd`, whose whole process must finish in a couple of
//! milliseconds, and almost every argv holds no secret. Compiling a regex costs far more than
//! reading a short argv: 50 to 150 µs for a small ASCII one, about half a millisecond for one
//! with case folding and Unicode classes. So nothing is compiled up front:
//! - the word reading, assignments, URLs, form data, `Authorization`/`Cookie` headers, `Bearer`
//!   tokens and private-key blocks are plain byte scans, no regex at all;
//! - each key-format regex sits behind a substring test (`ghp_`, `AKIA`, `xoxb-`, …) and in its
//!   own `LazyLock`, so it is compiled only the first time a string holds its prefix, that is
//!   when a key of that kind is almost surely there. A clean argv compiles none of them (a test
//!   holds everyday commands to that).
//!
//! `Redactor::new(&[])` allocates nothing, and a clean five-word argv costs a few microseconds.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Finds and masks secrets in argvs and free text.
#[derive(Debug)]
pub struct Redactor {
    /// The policy's `[redact] patterns`.
    extra: Vec<Regex>,
}

/// Byte ranges of one string to replace by [`MASK`]; they may overlap.
type Spans = Vec<Range<usize>>;

impl Redactor {
    /// `extra` are the policy's `[redact] patterns` (regexes; the whole match, or capture group 1
    /// if present, is masked).
    pub fn new(extra: &[String]) -> Result<Self, regex::Error> {
        let extra = extra
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<_, _>>()?;
        Ok(Self { extra })
    }

    /// Mask an argv (as a whole: an option like `--token` masks the NEXT element). Same length
    /// as input.
    pub fn argv(&self, argv: &[String]) -> Vec<String> {
        fixpoint(
            argv.to_vec(),
            |a| self.argv_pass(a),
            || vec![MASK.to_owned(); argv.len()],
        )
    }

    /// Mask free text (a shell script, a reason, a message).
    pub fn text(&self, s: &str) -> String {
        fixpoint(s.to_owned(), |t| self.text_pass(t), || MASK.to_owned())
    }

    /// true if `argv(...)` would change anything.
    pub fn is_sensitive(&self, argv: &[String]) -> bool {
        self.argv_pass(argv).is_some()
    }

    /// One reading of `argv`: the masked argv, or `None` when nothing changes.
    fn argv_pass(&self, argv: &[String]) -> Option<Vec<String>> {
        let mut spans: Vec<Spans> = vec![Vec::new(); argv.len()];
        scan_words(argv, &mut |i, r| spans[i].push(r));
        for (arg, out) in argv.iter().zip(&mut spans) {
            // The element was read above as one word among its neighbours; one with blanks in
            // it may be a whole script (`sh -c '…'`) whose own words need reading.
            let script = arg.bytes().any(|b| b.is_ascii_whitespace());
            self.scan_text(arg, script, out);
        }
        if !self.extra.is_empty() {
            self.scan_extra_line(argv, &mut spans);
        }
        if spans.iter().all(Vec::is_empty) {
            return None;
        }
        let masked: Vec<String> = argv
            .iter()
            .zip(&mut spans)
            .map(|(arg, out)| apply(arg, out))
            .collect();
        (masked != argv).then_some(masked)
    }

    fn text_pass(&self, s: &str) -> Option<String> {
        let mut out = Vec::new();
        self.scan_text(s, true, &mut out);
        if out.is_empty() {
            return None;
        }
        let masked = apply(s, &mut out);
        (masked != s).then_some(masked)
    }

    fn scan_text(&self, s: &str, words: bool, out: &mut Spans) {
        if words {
            scan_shell_words(s, out);
        }
        scan_assignments(s, out);
        scan_urls(s, out);
        scan_headers(s, out);
        scan_bearer(s, out);
        scan_private_keys(s, out);
        for p in &PATTERNS {
            if (p.pre)(s) {
                p.scan(s, out);
            }
        }
        for re in &self.extra {
            scan_extra(re, s, out);
        }
    }

    /// A user pattern may span several elements (`--vault-pass\s+(\S+)`): it is also matched
    /// against the command line (elements joined by one space, as `regex` rules see it), and
    /// what it covers is masked in each element it touches.
    fn scan_extra_line(&self, argv: &[String], spans: &mut [Spans]) {
        let line = argv.join(" ");
        let mut found = Vec::new();
        for re in &self.extra {
            scan_extra(re, &line, &mut found);
        }
        let mut start = 0;
        for (arg, out) in argv.iter().zip(spans) {
            let end = start + arg.len();
            for r in &found {
                let (lo, hi) = (r.start.max(start), r.end.min(end));
                if lo < hi {
                    out.push(lo - start..hi - start);
                }
            }
            start = end + 1;
        }
    }
}

/// How many readings may change a value before it is masked whole.
const MAX_PASSES: usize = 8;

/// Apply `pass` until it changes nothing. Masking a secret can change how the rest reads (a
/// quote or a `;` inside it is gone), so a second reading may find more; stopping only when a
/// reading finds nothing new is what makes masking idempotent. Almost always the first reading
/// changes nothing, or it masks and the second confirms. Should readings keep changing the value,
/// it is masked whole: failing closed, and still stable.
fn fixpoint<T>(mut value: T, pass: impl Fn(&T) -> Option<T>, whole: impl FnOnce() -> T) -> T {
    for _ in 0..MAX_PASSES {
        match pass(&value) {
            Some(next) => value = next,
            None => return value,
        }
    }
    whole()
}

/// Replace the spans of `s` by [`MASK`]; overlapping or touching spans become one mask.
fn apply(s: &str, spans: &mut Spans) -> String {
    if spans.is_empty() {
        return s.to_owned();
    }
    for r in spans.iter_mut() {
        // Widen to whole characters: a mask never splits one, and never leaks half of one.
        r.end = r.end.min(s.len());
        while !s.is_char_boundary(r.end) {
            r.end += 1;
        }
        r.start = r.start.min(r.end);
        while !s.is_char_boundary(r.start) {
            r.start -= 1;
        }
    }
    spans.sort_unstable_by_key(|r| r.start);
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    let mut cur: Option<Range<usize>> = None;
    for r in spans.iter().filter(|r| !r.is_empty()) {
        match &mut cur {
            Some(c) if r.start <= c.end => c.end = c.end.max(r.end),
            _ => {
                if let Some(c) = cur.replace(r.clone()) {
                    out.push_str(&s[done..c.start]);
                    out.push_str(MASK);
                    done = c.end;
                }
            }
        }
    }
    if let Some(c) = cur {
        out.push_str(&s[done..c.start]);
        out.push_str(MASK);
        done = c.end;
    }
    out.push_str(&s[done..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Words: options and their values, read in order.

/// The program whose options are being read: some options are a password for one program only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prog {
    Other,
    /// mysql, mariadb and their tools: `-pSECRET`, `-p SECRET`.
    MySql,
    /// mongosh and the mongo tools: `-p SECRET`.
    Mongo,
    /// sshpass while its own options are read (`-p SECRET`); then the command it runs.
    SshPass,
    /// `-u user:password`, `-d` form data, `-b` cookies.
    Curl,
    /// HTTPie and xh: `-a user:password`.
    Httpie,
    /// redis-cli: `-a SECRET`.
    Redis,
    /// `-pass pass:SECRET`, `-passin`, `-passout`, `enc -k SECRET`.
    OpenSsl,
    /// ssh-keygen: `-N` new and `-P` old passphrase.
    SshKeygen,
    /// 7z: `-pSECRET` (attached only).
    SevenZip,
    /// zip, unzip: `-P SECRET`.
    Zip,
    /// docker, podman, helm, az, oc, …: `-p` is a password after their `login` subcommand only.
    LoginCli,
    LoginCmd,
}

fn program(word: &str) -> Option<Prog> {
    let base = word.rsplit('/').next().unwrap_or(word);
    Some(match base {
        "mysql" | "mariadb" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlcheck"
        | "mysqlshow" | "mysqlpump" | "mysqlslap" | "mysqlbinlog" | "mariadb-dump"
        | "mariadb-admin" | "mariadb-import" | "mariadb-check" | "mariadb-show"
        | "mariadb-slap" | "mariadb-binlog" => Prog::MySql,
        "mongo" | "mongosh" | "mongodump" | "mongorestore" | "mongoexport" | "mongoimport"
        | "mongostat" | "mongotop" | "mongofiles" => Prog::Mongo,
        "sshpass" => Prog::SshPass,
        "curl" => Prog::Curl,
        "http" | "https" | "xh" | "xhs" => Prog::Httpie,
        "redis-cli" | "valkey-cli" | "keydb-cli" => Prog::Redis,
        "openssl" => Prog::OpenSsl,
        "ssh-keygen" => Prog::SshKeygen,
        "7z" | "7za" | "7zr" => Prog::SevenZip,
        "zip" | "unzip" => Prog::Zip,
        "docker" | "podman" | "nerdctl" | "buildah" | "skopeo" | "helm" | "oras" | "az" | "cf"
        | "oc" => Prog::LoginCli,
        _ => return None,
    })
}

/// What the value of an option is.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// A secret, unless the next word is clearly another option (`--token --verbose`).
    Secret,
    /// A secret, but the value is optional (`mysql -p -u root`): a word starting with `-` is
    /// the next option.
    OptionalSecret,
    /// `user:password` (`curl -u`): what follows the first colon.
    UserPass,
    /// `a=1&password=x` form data (`curl -d`): the values of secret fields.
    Form,
    /// `name=value; …` (`curl -b`): the values; a word without `=` is a cookie file.
    Cookie,
    /// openssl's `pass:SECRET`; `env:VAR`, `file:path`, `fd:N` and `stdin` only say where it is.
    OpenSslPass,
    /// `key=value` of a Kubernetes secret literal (`--from-literal`): the value.
    Literal,
    /// Not a secret, but not a program name either (`sshpass -f file`).
    Skip,
}

/// Push the secret parts of `v`, the value of an option; `attached` when it came in the same
/// word (`--token=x`, `-pSECRET`). false when `v` is not the option's value after all.
fn value_spans(kind: Value, v: &str, attached: bool, out: &mut Spans) -> bool {
    match kind {
        Value::Secret if !attached && v.len() > 2 && v.starts_with("--") => return false,
        Value::OptionalSecret if !attached && v.len() > 1 && v.starts_with('-') => return false,
        Value::Secret | Value::OptionalSecret => out.push(0..v.len()),
        Value::UserPass => {
            if let Some(c) = v.find(':') {
                out.push(c + 1..v.len());
            }
        }
        Value::Form => scan_form(v, out),
        Value::Cookie => {
            if v.contains('=') {
                cookie_values(v, 0, out);
            }
        }
        Value::OpenSslPass => {
            if v.starts_with("pass:") {
                out.push(5..v.len());
            } else if !(["env:", "file:", "fd:"].iter().any(|p| v.starts_with(p)) || v == "stdin") {
                out.push(0..v.len());
            }
        }
        Value::Literal => {
            if let Some(eq) = v.find('=') {
                out.push(eq + 1..v.len());
            }
        }
        Value::Skip => {}
    }
    true
}

/// The value of `--name`, if it is one we mask or must look into.
fn long_option(prog: Prog, name: &str) -> Option<Value> {
    if is_secret_option(name) {
        // mysql's and mongosh's `--password` prompt when no value is attached.
        return Some(match prog {
            Prog::MySql | Prog::Mongo => Value::OptionalSecret,
            _ => Value::Secret,
        });
    }
    Some(match (prog, name) {
        (_, "from-literal") => Value::Literal,
        (_, "auth") | (Prog::Curl, "user" | "proxy-user") => Value::UserPass,
        (
            Prog::Curl,
            "data" | "data-raw" | "data-binary" | "data-ascii" | "data-urlencode" | "form"
            | "form-string",
        ) => Value::Form,
        (Prog::Curl, "cookie") => Value::Cookie,
        _ => return None,
    })
}

/// Where the value of a short option is.
enum Takes {
    /// In the next word.
    Next(Value),
    /// In this word, from this byte on.
    Here(Value, usize),
}

/// curl's short options that take a value (`-sSu user:pw` bundles flags before one of these).
const CURL_VALUE_OPTIONS: &[u8] = b"AbcCdDeEFHKmoPQrTtuUwxXyYz";

/// The value of a single-dash option `w` (`-p`, `-pSECRET`, `-sSu`, `-storepass`).
fn short_option(prog: Prog, w: &str) -> Option<Takes> {
    let body = &w[1..];
    let at = |kind: Value, from: usize| {
        if w.len() > from {
            Takes::Here(kind, from)
        } else {
            Takes::Next(kind)
        }
    };
    let first = body.as_bytes()[0];
    let found = match (prog, first) {
        (Prog::MySql | Prog::Mongo, b'p') => Some(at(Value::OptionalSecret, 2)),
        (Prog::SshPass, b'p') => Some(at(Value::Secret, 2)),
        (Prog::SshPass, b'f' | b'd' | b'P') => Some(at(Value::Skip, 2)),
        (Prog::Redis, b'a') => Some(at(Value::Secret, 2)),
        // `7z -p` alone prompts: only an attached value is the password.
        (Prog::SevenZip, b'p') if w.len() > 2 => Some(Takes::Here(Value::Secret, 2)),
        (Prog::LoginCmd, b'p') | (Prog::Zip, b'P') => Some(at(Value::Secret, 2)),
        (Prog::SshKeygen, b'N' | b'P') => Some(at(Value::Secret, 2)),
        (Prog::Httpie, b'a') => Some(at(Value::UserPass, 2)),
        (Prog::OpenSsl, _) => match body {
            "pass" | "passin" | "passout" => Some(Takes::Next(Value::OpenSslPass)),
            "k" => Some(Takes::Next(Value::Secret)),
            _ => None,
        },
        (Prog::Curl, _) => body.bytes().enumerate().find_map(|(k, c)| {
            let kind = match c {
                b'u' | b'U' => Value::UserPass,
                b'd' | b'F' => Value::Form,
                b'b' => Value::Cookie,
                c if CURL_VALUE_OPTIONS.contains(&c) => Value::Skip,
                _ => return None,
            };
            Some(at(kind, k + 2))
        }),
        _ => None,
    };
    if found.is_some() {
        return found;
    }
    // A single-dash long option: keytool's `-storepass x`, Go's `-token=x`. Four letters at
    // least, so that a bundle of short flags is not read as a word.
    let (name, from) = match body.split_once('=') {
        Some((name, _)) => (name, Some(name.len() + 2)),
        None => (body, None),
    };
    if name.len() >= 4 && is_option_name(name) && is_secret_option(name) {
        return Some(match from {
            Some(from) => Takes::Here(Value::OptionalSecret, from),
            None => Takes::Next(Value::OptionalSecret),
        });
    }
    None
}

/// Option names are words: `--password mysql"…` in one element is no option.
fn is_option_name(name: &str) -> bool {
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `--name` without `=value`: the next word is most likely its value, not a program.
fn is_long_option_without_value(w: &str) -> bool {
    w.len() > 2 && w.starts_with("--") && !w.contains('=')
}

fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// A configuration key given as a word (`git config user.password X`, `aws configure set
/// aws_secret_access_key X`, `npm config set //registry.npmjs.org/:_authToken X`). It must look
/// like a key (dotted, snake or camel case, a path) so that prose ("set password policy") is not
/// read as one.
fn is_secret_config_key(w: &str) -> bool {
    let structured = w.contains(['.', '_', '/', ':'])
        || w.as_bytes()
            .windows(2)
            .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase());
    let tail = w.rsplit(['.', '/', ':']).next().unwrap_or(w);
    structured && !w.contains('=') && is_secret_name(tail)
}

/// Read `words` as one command (an argv, or one simple command of a script) and `mark` the
/// secret part of each word.
fn scan_words<W: AsRef<str>>(words: &[W], mark: &mut dyn FnMut(usize, Range<usize>)) {
    let mut prog = Prog::Other;
    let mut next: Option<Value> = None;
    let mut prev_operand = "";
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let w = word.as_ref();
        let prev = if i > 0 { words[i - 1].as_ref() } else { "" };
        found.clear();
        let mut from = 0;
        if let Some(kind) = next.take() {
            if value_spans(kind, w, false, &mut found) {
                for r in found.drain(..) {
                    mark(i, r);
                }
                continue;
            }
        }
        if w == "--" {
            continue;
        }
        if let Some(opt) = w.strip_prefix("--") {
            let (name, value) = match opt.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (opt, None),
            };
            let kind = if is_option_name(name) {
                long_option(prog, name)
            } else {
                None
            };
            match (kind, value) {
                (Some(kind), Some(value)) => {
                    from = w.len() - value.len();
                    value_spans(kind, value, true, &mut found);
                }
                (Some(kind), None) => next = Some(kind),
                (None, _) => {}
            }
        } else if w.len() > 1 && w.starts_with('-') {
            match short_option(prog, w) {
                Some(Takes::Here(kind, at)) => {
                    from = at;
                    value_spans(kind, &w[at..], true, &mut found);
                }
                Some(Takes::Next(kind)) => next = Some(kind),
                None => {}
            }
        } else {
            // An operand: a program, a subcommand, an assignment, or plain data.
            match program(w) {
                Some(p) if i == 0 || !is_long_option_without_value(prev) => prog = p,
                _ if prog == Prog::SshPass => prog = Prog::Other,
                _ if prog == Prog::LoginCli && w == "login" => prog = Prog::LoginCmd,
                _ if matches!(prev_operand, "set" | "config") && is_secret_config_key(w) => {
                    next = Some(Value::Secret);
                }
                _ => {
                    if let Some((name, _)) = w.split_once('=') {
                        if is_identifier(name) && is_secret_name(name) {
                            found.push(name.len() + 1..w.len());
                        }
                    }
                }
            }
            prev_operand = w;
        }
        for r in found.drain(..) {
            mark(i, r.start + from..r.end + from);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The words of a shell script.

/// One word of a script, quotes and escapes removed.
struct Word {
    text: String,
    /// For each byte of `text`, the bytes of the script it came from. An escaped character
    /// includes its backslash, so that masking it leaves no dangling escape. Quotes are never
    /// masked, so that a masked script still splits into the same words: a quoting one is in
    /// no byte's source, a literal one (no closing mate) has an empty source.
    src: Vec<Range<usize>>,
}

impl AsRef<str> for Word {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

#[derive(Default)]
struct Lexer {
    commands: Vec<Vec<Word>>,
    command: Vec<Word>,
    bytes: Vec<u8>,
    src: Vec<Range<usize>>,
    open: bool,
}

impl Lexer {
    fn push(&mut self, byte: u8, src: Range<usize>) {
        self.bytes.push(byte);
        self.src.push(src);
        self.open = true;
    }

    fn end_word(&mut self) {
        if std::mem::take(&mut self.open) {
            let src = std::mem::take(&mut self.src);
            // Only ASCII quotes and backslashes are dropped, so the text stays UTF-8.
            if let Ok(text) = String::from_utf8(std::mem::take(&mut self.bytes)) {
                self.command.push(Word { text, src });
            }
        }
        self.bytes.clear();
        self.src.clear();
    }

    fn end_command(&mut self) {
        self.end_word();
        if !self.command.is_empty() {
            self.commands.push(std::mem::take(&mut self.command));
        }
    }
}

/// The closing `"` of a double-quoted string whose content starts at `from`.
fn closing_double_quote(b: &[u8], from: usize) -> Option<usize> {
    let mut k = from;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// Split a script into simple commands and words, roughly as a shell would: enough to read
/// options and their values. A quote without its closing mate is taken literally, so that
/// prose ("don't") does not swallow the rest of a text. The analyser (`analyze`) does this
/// for real; this reading only has to find where secrets are.
fn shell_commands(s: &str) -> Vec<Vec<Word>> {
    let b = s.as_bytes();
    let mut lx = Lexer::default();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' => {
                lx.end_word();
                i += 1;
            }
            b'&' if (i > 0 && matches!(b[i - 1], b'>' | b'<')) || b.get(i + 1) == Some(&b'>') => {
                lx.push(b'&', i..i + 1);
                i += 1;
            }
            b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'`' => {
                lx.end_command();
                i += 1;
            }
            b'\'' => match b[i + 1..].iter().position(|&c| c == b'\'') {
                Some(n) => {
                    for (k, &c) in b.iter().enumerate().skip(i + 1).take(n) {
                        lx.push(c, k..k + 1);
                    }
                    lx.open = true;
                    i += n + 2;
                }
                None => {
                    lx.push(b'\'', i..i);
                    i += 1;
                }
            },
            b'"' => match closing_double_quote(b, i + 1) {
                Some(end) => {
                    let mut k = i + 1;
                    while k < end {
                        if b[k] == b'\\' && matches!(b[k + 1], b'"' | b'\\' | b'$' | b'`') {
                            lx.push(b[k + 1], k..k + 2);
                            k += 2;
                        } else {
                            lx.push(b[k], k..k + 1);
                            k += 1;
                        }
                    }
                    lx.open = true;
                    i = end + 1;
                }
                None => {
                    lx.push(b'"', i..i);
                    i += 1;
                }
            },
            b'\\' if i + 1 < b.len() => {
                if b[i + 1] != b'\n' {
                    lx.push(b[i + 1], i..i + 2);
                }
                i += 2;
            }
            c => {
                lx.push(c, i..i + 1);
                i += 1;
            }
        }
    }
    lx.end_command();
    lx.commands
}

fn scan_shell_words(s: &str, out: &mut Spans) {
    for command in shell_commands(s) {
        scan_words(&command, &mut |i, r| source_runs(&command[i].src[r], out));
    }
}

/// The script bytes behind some bytes of a word, as contiguous runs (a quote splits a run).
fn source_runs(src: &[Range<usize>], out: &mut Spans) {
    let mut cur: Option<Range<usize>> = None;
    for r in src {
        match &mut cur {
            _ if r.is_empty() => out.extend(cur.take()),
            Some(c) if c.end == r.start => c.end = r.end,
            _ => out.extend(cur.replace(r.clone())),
        }
    }
    out.extend(cur);
}

// ---------------------------------------------------------------------------------------------
// Names: which keys, options and parameters hold secrets.

/// Words of a name: `_ - . [ ] / :` separate them, and so does camel case
/// (`trustStorePassword`, `APIKey`, `_authToken`).
fn name_words(name: &str) -> Vec<&str> {
    let b = name.as_bytes();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 0..=b.len() {
        if i == b.len() || matches!(b[i], b'_' | b'-' | b'.' | b'[' | b']' | b'/' | b':') {
            if start < i {
                words.push(&name[start..i]);
            }
            start = i + 1;
        } else if i > start
            && b[i].is_ascii_uppercase()
            && (b[i - 1].is_ascii_lowercase()
                || b[i - 1].is_ascii_digit()
                || (b[i - 1].is_ascii_uppercase()
                    && b.get(i + 1).is_some_and(u8::is_ascii_lowercase)))
        {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words
}

fn is_one_of(word: &str, set: &[&str]) -> bool {
    set.iter().any(|s| word.eq_ignore_ascii_case(s))
}

fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len()
        && word.as_bytes()[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len()
        && hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The name of a variable, key or field whose value is a secret: `*_TOKEN`, `*_SECRET`,
/// `*_KEY`, `*PASSWORD*`, `*PASSWD*`, `*_PASS`, `*_PWD`, `*_AUTH`, in any case and spelling
/// (`GITHUB_TOKEN`, `apiKey`, `spring.datasource.password`). `KEY_PATH` and `PASSWORD_FILE`
/// name where a secret is, not the secret.
fn is_secret_name(name: &str) -> bool {
    let words = name_words(name);
    let Some(&last) = words.last() else {
        return false;
    };
    if words
        .iter()
        .any(|w| contains_ci(w, "password") || contains_ci(w, "passwd"))
    {
        return !is_one_of(last, &["file", "path", "dir"]);
    }
    let multi = words.len() > 1;
    ends_with_ci(last, "token")
        || ends_with_ci(last, "secret")
        || is_one_of(
            last,
            &[
                "pass",
                "passphrase",
                "apikey",
                "secretkey",
                "privatekey",
                "accesskey",
            ],
        )
        || (multi && is_one_of(last, &["key", "pwd", "auth"]))
        || (multi && last.eq_ignore_ascii_case("base") && {
            // Rails' SECRET_KEY_BASE
            words[words.len() - 2].eq_ignore_ascii_case("key")
        })
}

/// An option (without its dashes) whose value is a secret: `password`, `token`, `api-key`,
/// `client-secret`, `private-key`, `db-password`, … but not `password-file`, `key` (curl's key
/// file), `ask-pass` or `with-token` (flags).
fn is_secret_option(name: &str) -> bool {
    let words = name_words(name);
    let (Some(&first), Some(&last)) = (words.first(), words.last()) else {
        return false;
    };
    let flag_prefixes = [
        "no", "ask", "with", "prompt", "skip", "disable", "enable", "show", "generate", "random",
        "require", "use",
    ];
    if words.len() > 1 && is_one_of(first, &flag_prefixes) {
        return false;
    }
    let secret_last = [
        "password",
        "passwd",
        "pass",
        "passphrase",
        "apikey",
        "secretkey",
        "privatekey",
        "accesskey",
        // keytool
        "storepass",
        "keypass",
        "srcstorepass",
        "deststorepass",
        "srckeypass",
        "destkeypass",
    ];
    let key_kinds = [
        "api",
        "secret",
        "access",
        "private",
        "account",
        "auth",
        "master",
        "license",
        "encryption",
    ];
    is_one_of(last, &secret_last)
        || ends_with_ci(last, "token")
        || ends_with_ci(last, "secret")
        || (words.len() > 1
            && last.eq_ignore_ascii_case("key")
            && is_one_of(words[words.len() - 2], &key_kinds))
}

/// A URL query or form field whose value is a secret: any secret name, plus the short names
/// that URLs use (`key`, `sig`, `signature`, `X-Amz-Credential`, …).
fn is_secret_param(name: &str) -> bool {
    if is_secret_name(name) || is_one_of(name, &["key", "auth"]) {
        return true;
    }
    name_words(name)
        .last()
        .is_some_and(|last| is_one_of(last, &["sig", "signature", "credential"]))
}

// ---------------------------------------------------------------------------------------------
// Assignments: `NAME=value`, `name = value`, `"name": "value"`, `name: value`.

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']')
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn scan_assignments(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(n) = b[i..].iter().position(|&c| c == b'=' || c == b':') {
        let sep = i + n;
        i = sep + 1;
        if let Some(v) = assignment_value(b, sep) {
            // Do not read the masked value again: the result must not depend on what it held.
            i = i.max(v.end);
            out.push(v);
        }
    }
}

/// Where a key may stand before an unquoted `name:` (YAML, a header, an object literal): at the
/// start of a line (after indentation or a YAML `- `), or after `{ , ( [ = ' "`. In the middle
/// of prose ("fix token: refresh"), `:` is punctuation.
fn is_key_position(b: &[u8], start: usize) -> bool {
    let mut k = start;
    while k > 0 && is_blank(b[k - 1]) {
        k -= 1;
    }
    if k > 0 && b[k - 1] == b'-' && (k == 1 || b[k - 2].is_ascii_whitespace()) {
        k -= 1;
        while k > 0 && is_blank(b[k - 1]) {
            k -= 1;
        }
    }
    k == 0
        || matches!(
            b[k - 1],
            b'\n' | b'{' | b',' | b'(' | b'[' | b'=' | b'"' | b'\''
        )
}

/// The value assigned at the separator `b[sep]` (`=` or `:`), if its name is a secret's.
fn assignment_value(b: &[u8], sep: usize) -> Option<Range<usize>> {
    let colon = b[sep] == b':';
    let mut v = sep + 1;
    match (colon, b.get(v)) {
        // `==`, `::`, `scheme://`
        (false, Some(b'=')) | (true, Some(b':' | b'/')) => return None,
        // Go's `:=`
        (true, Some(b'=')) => v += 1,
        _ => {}
    }
    let mut k = sep;
    while k > 0 && is_blank(b[k - 1]) {
        k -= 1;
    }
    let spaced = k < sep;
    let quote = match k.checked_sub(1).map(|j| b[j]) {
        Some(q @ (b'"' | b'\'')) => {
            k -= 1;
            Some(q)
        }
        _ => None,
    };
    let end = k;
    while k > 0 && is_name_byte(b[k - 1]) {
        k -= 1;
    }
    let start = k;
    if start == end {
        return None;
    }
    if let Some(q) = quote {
        if start == 0 || b[start - 1] != q {
            return None;
        }
    } else if start > 0 && matches!(b[start - 1], b'?' | b'&') {
        // A query or form field: `scan_query` reads those, knowing where a URL value ends.
        return None;
    } else if colon && start > 0 && b[start - 1] == b'/' {
        // `https://x-access-token:…@host` is a user name: `scan_userinfo` reads those.
        return None;
    }
    if colon && quote.is_none() {
        // `Header:value` holds together; `name: value` must stand where a key can.
        let tight = !spaced && b.get(v).is_some_and(|c| !c.is_ascii_whitespace());
        if !tight && !is_key_position(b, start) {
            return None;
        }
    }
    // The name is ASCII (name bytes only), so this cannot fail.
    let name = std::str::from_utf8(&b[start..end]).ok()?;
    if !is_secret_name(name) {
        return None;
    }
    if spaced || colon {
        while v < b.len() && is_blank(b[v]) {
            v += 1;
        }
    }
    // A quoted key or `key:` is JSON, YAML or an object literal, where `,` `}` `]` end a value.
    value_span(b, v, quote.is_some() || colon)
}

fn is_value_end(c: u8, structured: bool) -> bool {
    c.is_ascii_whitespace()
        || matches!(
            c,
            b'"' | b'\'' | b'&' | b';' | b'|' | b'<' | b'>' | b'(' | b')' | b'`'
        )
        || (structured && matches!(c, b',' | b'}' | b']'))
}

/// The value starting at `b[v]`: the inside of a quoted string (to the end of the line if it
/// is not closed), or a bare word.
fn value_span(b: &[u8], v: usize, structured: bool) -> Option<Range<usize>> {
    let first = *b.get(v)?;
    let r = if first == b'"' || first == b'\'' {
        let mut k = v + 1;
        while k < b.len() && b[k] != first && b[k] != b'\n' {
            if first == b'"' && b[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        v + 1..k.min(b.len())
    } else {
        let mut k = v;
        while k < b.len() && !is_value_end(b[k], structured) {
            k += 1;
        }
        v..k
    };
    (!r.is_empty()).then_some(r)
}

// ---------------------------------------------------------------------------------------------
// URLs, form data, cookies.

fn scan_urls(s: &str, out: &mut Spans) {
    if s.contains("://") {
        scan_userinfo(s, out);
    }
    if s.contains('=') && s.contains(['?', '&']) {
        scan_query(s, out);
    }
}

/// `scheme://user:password@host`: the password.
fn scan_userinfo(s: &str, out: &mut Spans) {
    let mut from = 0;
    while let Some(n) = s[from..].find("://") {
        let auth = from + n + 3;
        let len = s[auth..]
            .find(|c: char| c.is_whitespace() || "/?#'\"<>".contains(c))
            .unwrap_or(s.len() - auth);
        // The last `@` ends the user info (curl and browsers read it so).
        if let Some(at) = s[auth..auth + len].rfind('@') {
            if let Some(colon) = s[auth..auth + at].find(':') {
                out.push(auth + colon + 1..auth + at);
            }
        }
        from = auth;
    }
}

fn is_param_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'%')
}

/// `?name=value` and `&name=value` where `name` is a secret parameter: the value.
fn scan_query(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    for (p, _) in s.match_indices(['?', '&']) {
        let name_end = p + 1 + b[p + 1..].iter().take_while(|&&c| is_param_byte(c)).count();
        if name_end == p + 1
            || b.get(name_end) != Some(&b'=')
            || !is_secret_param(&s[p + 1..name_end])
        {
            continue;
        }
        let v = name_end + 1;
        let len = b[v..]
            .iter()
            .take_while(|&&c| !c.is_ascii_whitespace() && !matches!(c, b'&' | b'#' | b'\'' | b'"'))
            .count();
        out.push(v..v + len);
    }
}

/// `a=1&password=x` form data: the values of secret fields.
fn scan_form(v: &str, out: &mut Spans) {
    let mut at = 0;
    for field in v.split('&') {
        if let Some((name, _)) = field.split_once('=') {
            if is_secret_param(name) {
                out.push(at + name.len() + 1..at + field.len());
            }
        }
        at += field.len() + 1;
    }
}

/// `name=value; name2=value2`: the values (a part without `=` is masked whole).
fn cookie_values(v: &str, base: usize, out: &mut Spans) {
    let mut at = base;
    for part in v.split(';') {
        let r = match part.find('=') {
            Some(eq) => at + eq + 1..at + part.len(),
            None => at..at + part.len(),
        };
        out.push(trim_span(v, base, r));
        at += part.len() + 1;
    }
}

/// `r` (a range of the string of which `v` starts at `base`) without blanks at either end.
fn trim_span(v: &str, base: usize, mut r: Range<usize>) -> Range<usize> {
    let b = v.as_bytes();
    while r.start < r.end && b[r.start - base].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && b[r.end - 1 - base].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Headers, `Bearer` tokens and private-key blocks. Byte scans rather than regexes: they fire on
// common commands (`curl -H "Authorization: …"`), and a regex with case folding and Unicode
// classes costs about half a millisecond to compile.

/// The next ASCII-case-insensitive occurrence of `needle` in `b`, from `from` on.
fn find_ci(b: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let last = b.len().checked_sub(needle.len())?;
    (from..=last).find(|&i| b[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

fn skip_space(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    k
}

fn is_quote(c: u8) -> bool {
    c == b'"' || c == b'\''
}

/// After a header name ending at `k`: `: `, `=` (one of `seps`), or the JSON form `": "`.
/// Where its value starts.
fn header_value_start(b: &[u8], k: usize, seps: &[u8]) -> Option<usize> {
    let quoted = b.get(k).copied().is_some_and(is_quote);
    let k = skip_space(b, k + usize::from(quoted));
    if !b.get(k).is_some_and(|c| seps.contains(c)) {
        return None;
    }
    let k = skip_space(b, k + 1);
    if quoted {
        b.get(k).copied().filter(|&c| is_quote(c)).map(|_| k + 1)
    } else {
        Some(k)
    }
}

fn is_credential_byte(c: u8) -> bool {
    !c.is_ascii_whitespace() && !is_quote(c) && c != b','
}

fn count_while(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    b.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| pred(c)).count())
}

/// `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, `authorization=token x`,
/// `"Authorization": "…"`, an AWS SigV4 list: the credential after the scheme. `Cookie:` and
/// `Set-Cookie:`: each value, keeping the cookie names.
fn scan_headers(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = find_ci(b, b"authorization", from) {
        from = p + 1;
        let Some(k) = header_value_start(b, p + 13, b":=") else {
            continue;
        };
        // A scheme is a word followed by blanks and more; alone, the word is the credential.
        let word = count_while(b, k, |c| {
            c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
        });
        let after = k + word + count_while(b, k + word, is_blank);
        let scheme = word > 0
            && b[k].is_ascii_alphabetic()
            && after > k + word
            && b.get(after).is_some_and(|&c| is_credential_byte(c));
        let start = if scheme { after } else { k };
        // The credential, with the rest of a comma-separated list (SigV4's `Credential=…,
        // SignedHeaders=…, Signature=…`).
        let mut end = start;
        loop {
            end += count_while(b, end, is_credential_byte);
            let next = end + 1 + count_while(b, end + 1, is_blank);
            if b.get(end) == Some(&b',') && b.get(next).is_some_and(|&c| is_credential_byte(c)) {
                end = next;
            } else {
                break;
            }
        }
        if end > start {
            out.push(start..end);
        }
    }
    from = 0;
    while let Some(p) = find_ci(b, b"cookie", from) {
        from = p + 1;
        let Some(k) = header_value_start(b, p + 6, b":") else {
            continue;
        };
        if b.get(k)
            .is_some_and(|&c| !c.is_ascii_whitespace() && !is_quote(c))
        {
            let len = count_while(b, k, |c| c != b'\r' && c != b'\n' && !is_quote(c));
            cookie_values(&s[k..k + len], k, out);
        }
    }
}

/// `Bearer <token>` anywhere, when the token looks random.
fn scan_bearer(s: &str, out: &mut Spans) {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = find_ci(b, b"bearer", from) {
        from = p + 1;
        let boundary = p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_');
        let k = skip_space(b, p + 6);
        if !boundary || k == p + 6 {
            continue;
        }
        let len = count_while(b, k, |c| {
            c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c)
        });
        if looks_random(&s[k..k + len]) {
            out.push(k..k + len);
        }
    }
}

/// Private-key blocks (PEM, OpenSSH, PGP): the body between the BEGIN and END lines, or to the
/// end when the END line is missing (a truncated key is still a secret).
fn scan_private_keys(s: &str, out: &mut Spans) {
    let mut from = 0;
    while let Some(n) = s[from..].find("-----BEGIN") {
        let label = from + n + 10;
        from = label;
        let Some(len) = s[label..].find("-----") else {
            break;
        };
        let kind = &s[label..label + len];
        let kind = kind.strip_suffix(" BLOCK").unwrap_or(kind);
        let plain = kind
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ');
        if !plain || !kind.ends_with("PRIVATE KEY") {
            continue;
        }
        let body = label + len + 5;
        let end = s[body..].find("-----END").map_or(s.len(), |n| body + n);
        out.push(trim_span(s, 0, body..end));
        from = end;
    }
}

// ---------------------------------------------------------------------------------------------
// Well-known key formats: regexes, each compiled only once a cheap test says it may match (see
// the module documentation). ASCII word boundaries: Unicode ones cost more to compile.

struct Pattern {
    /// A cheap test that must pass before the regex is compiled or run.
    pre: fn(&str) -> bool,
    /// The secret is the group named `s`, or the whole match.
    re: LazyLock<Regex>,
    /// A last look at the candidate secret.
    check: fn(&str) -> bool,
}

impl Pattern {
    fn scan(&self, s: &str, out: &mut Spans) {
        for caps in self.re.captures_iter(s) {
            let Some(m) = caps.name("s").or_else(|| caps.get(0)) else {
                continue;
            };
            let r = trim_span(s, 0, m.range());
            if !r.is_empty() && (self.check)(&s[r.clone()]) {
                out.push(r);
            }
        }
    }
}

fn rx(pattern: &str) -> Regex {
    // The builtin patterns are constants, all compiled by the tests: a failure is a bug here.
    Regex::new(pattern).expect("builtin redaction pattern")
}

fn any(_: &str) -> bool {
    true
}

fn has(s: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| s.contains(n))
}

/// A generic token after `Bearer` looks random: a digit, or mixed case when long. "Bearer
/// authentication" is prose.
fn looks_random(t: &str) -> bool {
    let digit = t.bytes().any(|c| c.is_ascii_digit());
    let upper = t.bytes().any(|c| c.is_ascii_uppercase());
    let lower = t.bytes().any(|c| c.is_ascii_lowercase());
    (t.len() >= 8 && digit) || (t.len() >= 16 && upper && lower)
}

/// `sk-…` keys are random mixed-case alphanumerics; a branch name like `sk-feature-…` is not.
fn mixed_alnum(t: &str) -> bool {
    t.bytes().any(|c| c.is_ascii_digit())
        && t.bytes().any(|c| c.is_ascii_uppercase())
        && t.bytes().any(|c| c.is_ascii_lowercase())
}

static PATTERNS: [Pattern; 14] = [
    // AWS access key ids.
    Pattern {
        pre: |s| has(s, &["AKIA", "ASIA"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:AKIA|ASIA)(?P<s>[A-Z0-9]{16})(?-u:\b)")),
        check: any,
    },
    // GitHub tokens.
    Pattern {
        pre: |s| has(s, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:gh[pousr]|github_pat)_(?P<s>[A-Za-z0-9_]{20,})")),
        check: any,
    },
    // GitLab personal access tokens.
    Pattern {
        pre: |s| s.contains("glpat-"),
        re: LazyLock::new(|| rx(r"(?-u:\b)glpat-(?P<s>[A-Za-z0-9_-]{20,})")),
        check: any,
    },
    // Slack tokens.
    Pattern {
        pre: |s| has(s, &["xox", "xapp-"]),
        re: LazyLock::new(|| rx(r"(?-u:\b)(?:xox[abposr]|xapp)-(?P<s>[A-Za-z0-9-]{10,})")),
        check: any,
    },
    // Slack incoming webhooks and workflow triggers.
    Pattern {
        pre: |s| s.contains("hooks.slack.com"),
        re: LazyLock::new(|| {
            rx(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]+)")
        }),
        check: any,
    },
    // Stripe keys and webhook secrets.
    Pattern {
        pre: |s| has(s, &["_live_", "_test_", "whsec_"]),
        re: LazyLock::new(|| {
            rx(r"(?-u:\b)(?:(?:sk|rk|pk)_(?:live|test)|whsec)_(?P<s>[A-Za-z0-9]{10,})")
        }),
        check: any,
    },
    // Google API keys.
    Pattern {
        pre: |s| s.contains("AIza"),
        re: LazyLock::new(|| rx(r"(?-u:\b)AIza(?P<s>[0-9A-Za-z_-]{35,})")),
        check: any,
    },
    // Google OAuth access tokens.
    Pattern {
        pre: |s| s.contains("ya29."),
        re: LazyLock::new(|| rx(r"(?-u:\b)ya29\.(?P<s>[0-9A-Za-z_-]{20,})")),
        check: any,
    },
    // JWTs (and JWEs): the whole token.
    Pattern {
        pre: |s| s.contains("eyJ"),
        re: LazyLock::new(|| {
            rx(
                r"(?-u:\b)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}",
            )
        }),
        check: any,
    },
    // npm tokens.
    Pattern {
        pre: |s| s.contains("npm_"),
        re: LazyLock::new(|| rx(r"(?-u:\b)npm_(?P<s>[A-Za-z0-9]{30,})")),
        check: any,
    },
    // OpenAI (`sk-`, `sk-proj-`) and Anthropic (`sk-ant-api03-`) keys.
    Pattern {
        pre: |s| s.contains("sk-"),
        re: LazyLock::new(|| {
            rx(r"(?-u:\b)sk-(?:ant-[a-z]+[0-9]*-|proj-|svcacct-|admin-)?(?P<s>[A-Za-z0-9_-]{20,})")
        }),
        check: mixed_alnum,
    },
    // HashiCorp Vault tokens.
    Pattern {
        pre: |s| has(s, &["hvs.", "hvb.", "hvr."]),
        re: LazyLock::new(|| rx(r"(?-u:\b)hv[sbr]\.(?P<s>[A-Za-z0-9_-]{20,})")),
        check: any,
    },
    // PyPI upload tokens.
    Pattern {
        pre: |s| s.contains("pypi-"),
        re: LazyLock::new(|| rx(r"(?-u:\b)pypi-(?P<s>[A-Za-z0-9_-]{50,})")),
        check: any,
    },
    // SendGrid keys.
    Pattern {
        pre: |s| s.contains("SG."),
        re: LazyLock::new(|| rx(r"(?-u:\b)SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")),
        check: any,
    },
];

fn scan_extra(re: &Regex, s: &str, out: &mut Spans) {
    for caps in re.captures_iter(s) {
        if let Some(m) = caps.get(1).or_else(|| caps.get(0)) {
            out.push(m.range());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn redactor() -> Redactor {
        Redactor::new(&[]).unwrap()
    }

    /// (what, argv, masked argv)
    #[rustfmt::skip]
    const MASKED_ARGV: &[(&str, &[&str], &[&str])] = &[
        // Option values.
        ("--password=X", &["psql", "--password=hunter2"], &["psql", "--password=***"]),
        ("--password X", &["tool", "--password", "hunter2", "x"], &["tool", "--password", "***", "x"]),
        ("--passwd", &["tool", "--passwd", "hunter2"], &["tool", "--passwd", "***"]),
        ("--pass", &["tool", "--pass=hunter2"], &["tool", "--pass=***"]),
        ("--token", &["kubectl", "--token", "abc123", "get", "pods"], &["kubectl", "--token", "***", "get", "pods"]),
        ("--api-key", &["tool", "--api-key", "k1"], &["tool", "--api-key", "***"]),
        ("--apikey", &["tool", "--apikey=k1"], &["tool", "--apikey=***"]),
        ("--secret", &["tool", "--secret", "s1"], &["tool", "--secret", "***"]),
        ("--client-secret", &["az", "--client-secret", "s1"], &["az", "--client-secret", "***"]),
        ("--auth-token", &["tool", "--auth-token=t1"], &["tool", "--auth-token=***"]),
        ("--access-token", &["tool", "--access-token", "t1"], &["tool", "--access-token", "***"]),
        ("--private-key", &["tool", "--private-key", "0xdeadbeef"], &["tool", "--private-key", "***"]),
        ("--db-password", &["tool", "--db-password", "p"], &["tool", "--db-password", "***"]),
        ("--github-token", &["tool", "--github-token=t"], &["tool", "--github-token=***"]),
        ("--aws-secret-access-key", &["tool", "--aws-secret-access-key", "k"], &["tool", "--aws-secret-access-key", "***"]),
        ("-storepass (keytool)", &["keytool", "-list", "-storepass", "changeit"], &["keytool", "-list", "-storepass", "***"]),
        ("-token=X (Go flags)", &["tool", "-token=abc"], &["tool", "-token=***"]),
        // -p for the programs where it is a password.
        ("mysql -pSECRET", &["mysql", "-u", "root", "-phunter2", "db"], &["mysql", "-u", "root", "-p***", "db"]),
        ("mysql -p X", &["mysql", "-u", "root", "-p", "hunter2"], &["mysql", "-u", "root", "-p", "***"]),
        ("mariadb", &["mariadb", "-psecret"], &["mariadb", "-p***"]),
        ("mysqldump by path", &["/usr/bin/mysqldump", "-uroot", "-psecret", "db"], &["/usr/bin/mysqldump", "-uroot", "-p***", "db"]),
        ("mysqladmin", &["mysqladmin", "-psecret", "status"], &["mysqladmin", "-p***", "status"]),
        ("mysql --password X", &["mysql", "--password", "hunter2"], &["mysql", "--password", "***"]),
        ("mysql behind sudo", &["sudo", "-u", "deploy", "mysql", "-psecret"], &["sudo", "-u", "deploy", "mysql", "-p***"]),
        ("mysql in docker exec", &["docker", "exec", "-it", "db", "mysql", "-psecret"], &["docker", "exec", "-it", "db", "mysql", "-p***"]),
        ("mongosh -p", &["mongosh", "-u", "admin", "-p", "pw"], &["mongosh", "-u", "admin", "-p", "***"]),
        ("PGPASSWORD=", &["PGPASSWORD=s3cret", "psql", "-h", "db"], &["PGPASSWORD=***", "psql", "-h", "db"]),
        ("sshpass -p X", &["sshpass", "-p", "pw", "ssh", "-p", "2222", "host"], &["sshpass", "-p", "***", "ssh", "-p", "2222", "host"]),
        ("sshpass -pX", &["sshpass", "-ppw", "ssh", "host"], &["sshpass", "-p***", "ssh", "host"]),
        ("redis-cli -a", &["redis-cli", "-a", "pw", "ping"], &["redis-cli", "-a", "***", "ping"]),
        ("docker login -p", &["docker", "login", "-u", "me", "-p", "pw", "ghcr.io"], &["docker", "login", "-u", "me", "-p", "***", "ghcr.io"]),
        ("openssl -passin pass:", &["openssl", "rsa", "-in", "k.pem", "-passin", "pass:pw"], &["openssl", "rsa", "-in", "k.pem", "-passin", "pass:***"]),
        ("ssh-keygen -N", &["ssh-keygen", "-t", "ed25519", "-N", "phrase"], &["ssh-keygen", "-t", "ed25519", "-N", "***"]),
        ("7z -p", &["7z", "a", "-psecret", "x.7z", "dir"], &["7z", "a", "-p***", "x.7z", "dir"]),
        ("zip -P", &["zip", "-P", "pw", "x.zip", "f"], &["zip", "-P", "***", "x.zip", "f"]),
        ("oc login -p", &["oc", "login", "-u", "dev", "-p", "pw", "https://api:6443"], &["oc", "login", "-u", "dev", "-p", "***", "https://api:6443"]),
        // Headers.
        ("-H Authorization: Bearer", &["curl", "-H", "Authorization: Bearer abc", "https://x"], &["curl", "-H", "Authorization: Bearer ***", "https://x"]),
        ("--header=Authorization: Basic", &["curl", "--header=Authorization: Basic dXNlcjpwYXNz", "https://x"], &["curl", "--header=Authorization: Basic ***", "https://x"]),
        ("-H attached", &["curl", "-HAuthorization: token ghx", "https://x"], &["curl", "-HAuthorization: token ***", "https://x"]),
        ("Authorization without scheme", &["curl", "-H", "authorization:abc", "u"], &["curl", "-H", "authorization:***", "u"]),
        ("Proxy-Authorization", &["curl", "-H", "Proxy-Authorization: Basic Zm9v", "u"], &["curl", "-H", "Proxy-Authorization: Basic ***", "u"]),
        ("SigV4 Authorization", &["curl", "-H", "Authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=ab12", "u"], &["curl", "-H", "Authorization: AWS4-HMAC-SHA256 ***", "u"]),
        ("X-Api-Key", &["curl", "-H", "X-Api-Key: abc", "u"], &["curl", "-H", "X-Api-Key: ***", "u"]),
        ("X-Api-Key tight", &["curl", "-H", "x-api-key:abc", "u"], &["curl", "-H", "x-api-key:***", "u"]),
        ("Cookie", &["curl", "-H", "Cookie: session=abc; theme=dark", "u"], &["curl", "-H", "Cookie: session=***; theme=***", "u"]),
        ("curl -b", &["curl", "-b", "sid=abc", "u"], &["curl", "-b", "sid=***", "u"]),
        // curl credentials and form data.
        ("curl -u user:pass", &["curl", "-u", "alice:pw", "https://x"], &["curl", "-u", "alice:***", "https://x"]),
        ("curl -uuser:pass", &["curl", "-ualice:pw", "https://x"], &["curl", "-ualice:***", "https://x"]),
        ("curl -sSu bundled", &["curl", "-sSu", "alice:pw", "https://x"], &["curl", "-sSu", "alice:***", "https://x"]),
        ("curl --user", &["curl", "--user", "alice:pw", "u"], &["curl", "--user", "alice:***", "u"]),
        ("curl -d password=", &["curl", "-d", "user=bob&password=hunter2&x=1", "u"], &["curl", "-d", "user=bob&password=***&x=1", "u"]),
        ("curl --data token=", &["curl", "--data", "token=abc", "u"], &["curl", "--data", "token=***", "u"]),
        ("curl -d key=", &["curl", "-d", "key=abc&q=1", "u"], &["curl", "-d", "key=***&q=1", "u"]),
        ("curl -d JSON", &["curl", "-d", r#"{"user":"bob","password":"hunter2"}"#, "u"], &["curl", "-d", r#"{"user":"bob","password":"***"}"#, "u"]),
        ("httpie -a", &["http", "-a", "bob:pw", "example.org"], &["http", "-a", "bob:***", "example.org"]),
        // URLs.
        ("user:pass@host", &["git", "clone", "https://user:tok3n@github.com/org/repo.git"], &["git", "clone", "https://user:***@github.com/org/repo.git"]),
        ("DSN", &["psql", "postgres://app:p%40ss@db:5432/app"], &["psql", "postgres://app:***@db:5432/app"]),
        ("empty user", &["redis-cli", "-u", "redis://:pw@host:6379"], &["redis-cli", "-u", "redis://:***@host:6379"]),
        ("?token=", &["curl", "https://x/cb?token=abc&state=1"], &["curl", "https://x/cb?token=***&state=1"]),
        ("?access_token=", &["curl", "https://x/?access_token=abc"], &["curl", "https://x/?access_token=***"]),
        ("&api_key=", &["curl", "https://x/?q=1&api_key=abc#top"], &["curl", "https://x/?q=1&api_key=***#top"]),
        ("?apikey=", &["curl", "https://x/?apikey=abc"], &["curl", "https://x/?apikey=***"]),
        ("?key=", &["curl", "https://maps/api?key=abc&q=x"], &["curl", "https://maps/api?key=***&q=x"]),
        ("?secret=", &["curl", "https://x/?secret=abc"], &["curl", "https://x/?secret=***"]),
        ("?password=", &["curl", "https://x/?password=abc"], &["curl", "https://x/?password=***"]),
        ("SAS sig", &["curl", "https://a.blob.core.windows.net/c/b?sv=2020&sig=abc%3D"], &["curl", "https://a.blob.core.windows.net/c/b?sv=2020&sig=***"]),
        ("&signature=", &["curl", "https://x/?a=1&signature=abc"], &["curl", "https://x/?a=1&signature=***"]),
        ("presigned S3", &["curl", "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F2024&X-Amz-Signature=f00d"], &["curl", "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***"]),
        // Assignments.
        ("*_TOKEN=", &["env", "GITHUB_TOKEN=abc", "gh"], &["env", "GITHUB_TOKEN=***", "gh"]),
        ("*_SECRET=", &["env", "CLIENT_SECRET=abc", "x"], &["env", "CLIENT_SECRET=***", "x"]),
        ("*_KEY=", &["env", "OPENAI_API_KEY=abc", "x"], &["env", "OPENAI_API_KEY=***", "x"]),
        ("*_ACCESS_KEY=", &["env", "MINIO_ACCESS_KEY=abc", "x"], &["env", "MINIO_ACCESS_KEY=***", "x"]),
        ("AWS_SECRET_ACCESS_KEY=", &["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "aws", "s3", "ls"], &["AWS_SECRET_ACCESS_KEY=***", "aws", "s3", "ls"]),
        ("*PASSWORD*=", &["docker", "run", "-e", "MYSQL_ROOT_PASSWORD=pw", "mysql"], &["docker", "run", "-e", "MYSQL_ROOT_PASSWORD=***", "mysql"]),
        ("lower-case passwd", &["env", "db_passwd=pw a&b", "x"], &["env", "db_passwd=***", "x"]),
        ("MYSQL_PWD", &["env", "MYSQL_PWD=pw", "mysql"], &["env", "MYSQL_PWD=***", "mysql"]),
        ("--env=NAME=value", &["docker", "run", "--env=API_TOKEN=abc", "img"], &["docker", "run", "--env=API_TOKEN=***", "img"]),
        ("-D java property", &["java", "-Djavax.net.ssl.trustStorePassword=pw", "-jar", "x"], &["java", "-Djavax.net.ssl.trustStorePassword=***", "-jar", "x"]),
        ("helm --set", &["helm", "install", "x", "--set", "auth.rootPassword=pw"], &["helm", "install", "x", "--set", "auth.rootPassword=***"]),
        ("--from-literal", &["kubectl", "create", "secret", "generic", "s", "--from-literal=user=pw"], &["kubectl", "create", "secret", "generic", "s", "--from-literal=user=***"]),
        // Config keys given as words.
        ("aws configure set", &["aws", "configure", "set", "aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], &["aws", "configure", "set", "aws_secret_access_key", "***"]),
        ("git config user.password", &["git", "config", "--global", "user.password", "pw"], &["git", "config", "--global", "user.password", "***"]),
        ("npm config set _authToken", &["npm", "config", "set", "//registry.npmjs.org/:_authToken", "t"], &["npm", "config", "set", "//registry.npmjs.org/:_authToken", "***"]),
        // Well-known formats.
        ("AWS access key id", &["echo", "AKIAIOSFODNN7EXAMPLE"], &["echo", "AKIA***"]),
        ("AWS STS key id", &["echo", "id=ASIAIOSFODNN7EXAMPLE"], &["echo", "id=ASIA***"]),
        ("ghp_", &["echo", "ghp_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghp_***"]),
        ("gho_", &["echo", "gho_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "gho_***"]),
        ("ghu_", &["echo", "ghu_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghu_***"]),
        ("ghs_", &["echo", "ghs_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghs_***"]),
        ("ghr_", &["echo", "ghr_0123456789abcdefghijABCDEFGHIJ012345"], &["echo", "ghr_***"]),
        ("github_pat_", &["echo", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"], &["echo", "github_pat_***"]),
        ("token as URL password", &["git", "push", "https://x-access-token:ghs_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r"], &["git", "push", "https://x-access-token:***@github.com/o/r"]),
        ("token in URL user", &["git", "push", "https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r"], &["git", "push", "https://ghp_***@github.com/o/r"]),
        ("glpat-", &["echo", "glpat-abcdefghij0123456789"], &["echo", "glpat-***"]),
        ("xoxb-", &["echo", "xoxb-1234-5678-abcdefgh"], &["echo", "xoxb-***"]),
        ("xoxp-", &["echo", "xoxp-1234-5678-abcdefgh"], &["echo", "xoxp-***"]),
        ("xoxa-", &["echo", "xoxa-2-1234-abcdefgh"], &["echo", "xoxa-***"]),
        ("xoxr-", &["echo", "xoxr-1234-abcdefghij"], &["echo", "xoxr-***"]),
        ("xoxs-", &["echo", "xoxs-1234-abcdefghij"], &["echo", "xoxs-***"]),
        ("xapp-", &["echo", "xapp-1-A0123-4567-abcdef"], &["echo", "xapp-***"]),
        ("Slack webhook", &["curl", "https://hooks.slack.com/services/T000/B000/XXXXabcd"], &["curl", "https://hooks.slack.com/services/***"]),
        ("sk_live_", &["echo", "sk_live_abcdefghij0123456789"], &["echo", "sk_live_***"]),
        ("rk_live_", &["echo", "rk_live_abcdefghij0123456789"], &["echo", "rk_live_***"]),
        ("sk_test_", &["echo", "sk_test_abcdefghij0123456789"], &["echo", "sk_test_***"]),
        ("pk_live_", &["echo", "pk_live_abcdefghij0123456789"], &["echo", "pk_live_***"]),
        ("whsec_", &["echo", "whsec_abcdefghij0123456789"], &["echo", "whsec_***"]),
        ("AIza", &["echo", "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"], &["echo", "AIza***"]),
        ("ya29.", &["echo", "ya29.a0AfH6SMBabcdefghijklmnop"], &["echo", "ya29.***"]),
        ("JWT", &["echo", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"], &["echo", "***"]),
        ("npm_", &["echo", "npm_abcdefghijklmnopqrstuvwxyz0123456789"], &["echo", "npm_***"]),
        ("sk- (OpenAI)", &["echo", "sk-proj-Abcdefghij0123456789XYZabc"], &["echo", "sk-proj-***"]),
        ("sk-ant- (Anthropic)", &["echo", "sk-ant-api03-Abcdefghij0123456789_XYZ-abc"], &["echo", "sk-ant-api03-***"]),
        ("hvs.", &["vault", "login", "hvs.CAESIabcdefghij0123456789"], &["vault", "login", "hvs.***"]),
        ("Bearer", &["echo", "Bearer 0a1b2c3d4e5f"], &["echo", "Bearer ***"]),
        ("private key", &["echo", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"], &["echo", "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----"]),
        ("private key, no END", &["echo", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz"], &["echo", "-----BEGIN OPENSSH PRIVATE KEY-----\n***"]),
        ("PGP private key", &["echo", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY\n-----END PGP PRIVATE KEY BLOCK-----"], &["echo", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n***\n-----END PGP PRIVATE KEY BLOCK-----"]),
        // Scripts inside an argv.
        ("sh -c mysql", &["sh", "-c", "mysql -u root -psecret db && echo ok"], &["sh", "-c", "mysql -u root -p*** db && echo ok"]),
        ("bash -c export", &["bash", "-c", "export API_TOKEN=abc; deploy"], &["bash", "-c", "export API_TOKEN=***; deploy"]),
        ("ssh remote command", &["ssh", "-p", "2222", "host", "mysql", "-psecret"], &["ssh", "-p", "2222", "host", "mysql", "-p***"]),
    ];

    /// (what, argv) that must come out unchanged.
    #[rustfmt::skip]
    const KEPT_ARGV: &[(&str, &[&str])] = &[
        ("--password-file", &["tool", "--password-file", "/run/secrets/db"]),
        ("--token-file", &["tool", "--token-file=/run/t"]),
        ("commit message", &["git", "commit", "-m", "fix token refresh"]),
        ("commit message with password", &["git", "commit", "-m", "password reset: use the new flow"]),
        ("ls -p", &["ls", "-p"]),
        ("ssh -p", &["ssh", "-p", "2222", "host"]),
        ("ssh -p attached", &["ssh", "-p2222", "host"]),
        ("ps -p", &["ps", "-p", "123"]),
        ("nc -p", &["nc", "-l", "-p", "1234"]),
        ("docker -p", &["docker", "run", "-p", "3306:3306", "mysql:8"]),
        ("docker --name mysql -p", &["docker", "run", "--name", "mysql", "-p", "3306:3306", "mysql:8"]),
        ("rsync -avp", &["rsync", "-avp", "src", "dst"]),
        ("mysql -p prompts", &["mysql", "-p", "-u", "root"]),
        ("mysql -P port", &["mysql", "-P", "3306", "-h", "db"]),
        ("KEY_PATH=", &["env", "KEY_PATH=/x", "cmd"]),
        ("PASSWORD_FILE=", &["env", "DB_PASSWORD_FILE=/run/secrets/db", "cmd"]),
        ("GIT_ASKPASS=", &["env", "GIT_ASKPASS=/usr/bin/true", "git", "fetch"]),
        ("KEY=", &["docker", "run", "-e", "KEY=value", "img"]),
        ("grep password", &["grep", "password", "file.txt"]),
        ("grep -r token", &["grep", "-rn", "token:", "src/"]),
        ("curl -u user only", &["curl", "-u", "alice", "https://x"]),
        ("docker --user uid:gid", &["docker", "run", "--user", "1000:1000", "img"]),
        ("plain URL", &["curl", "https://example.com/search?q=token&page=2"]),
        ("ssh URL", &["git", "clone", "ssh://git@github.com/o/r.git"]),
        ("scp-like", &["git", "clone", "git@github.com:o/r.git"]),
        ("kubectl", &["kubectl", "get", "pods", "-n", "prod", "--output=json"]),
        ("git log format", &["git", "log", "--format=%H %s"]),
        ("bearer prose", &["echo", "Bearer authentication"]),
        ("authorization prose", &["grep", "-i", "authorization:", "log"]),
        ("--ask-pass", &["ansible-playbook", "--ask-pass", "site.yml"]),
        ("--with-token", &["gh", "auth", "login", "--with-token"]),
        ("--no-password", &["psql", "--no-password", "-h", "db"]),
        ("--key (a file)", &["curl", "--key", "client.pem", "https://x"]),
        ("--client-key", &["kubectl", "--client-key", "k.pem", "get", "ns"]),
        ("sk- branch", &["git", "checkout", "desk-feature-branch-long-name"]),
        ("tokenizer", &["python", "train.py", "--tokenizer", "bert"]),
        ("openssl env:", &["openssl", "rsa", "-passin", "env:PW", "-in", "k.pem"]),
        ("7z -p prompts", &["7z", "a", "-p", "x.7z", "dir"]),
        ("oc without login", &["oc", "port-forward", "-p", "db-0", "5432"]),
        ("curl -b file", &["curl", "-b", "cookies.txt", "https://x"]),
        ("set prose", &["echo", "set", "password", "policy"]),
        ("empty", &[]),
    ];

    #[test]
    fn argv_masks() {
        let r = redactor();
        for (what, input, want) in MASKED_ARGV {
            assert_eq!(r.argv(&strings(input)), strings(want), "{what}");
            assert!(r.is_sensitive(&strings(input)), "{what}");
        }
    }

    #[test]
    fn argv_keeps() {
        let r = redactor();
        for (what, input) in KEPT_ARGV {
            assert_eq!(r.argv(&strings(input)), strings(input), "{what}");
            assert!(!r.is_sensitive(&strings(input)), "{what}");
        }
    }

    /// (what, text, masked text)
    #[rustfmt::skip]
    const TEXT: &[(&str, &str, &str)] = &[
        ("export", "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\ngh pr list", "export GITHUB_TOKEN=***\ngh pr list"),
        ("export quoted", "export DB_PASSWORD=\"a b c\"; run", "export DB_PASSWORD=\"***\"; run"),
        ("mysql quoted", "mysql -u root -p'se cret' db", "mysql -u root -p'***' db"),
        ("mysql in pipeline", "cat dump.sql | mysql -uroot -psecret db", "cat dump.sql | mysql -uroot -p*** db"),
        ("--token in script", "deploy --token \"abc def\" --env prod", "deploy --token \"***\" --env prod"),
        ("escaped value", r"deploy --password a\ b", r"deploy --password ***"),
        ("curl header", "curl -H 'Authorization: Bearer abc.def' https://x", "curl -H 'Authorization: Bearer ***' https://x"),
        ("curl -u in script", "curl -u bob:pw https://x && echo ok", "curl -u bob:*** https://x && echo ok"),
        ("sshpass in script", "sshpass -p 'pw' ssh -p 2222 host", "sshpass -p '***' ssh -p 2222 host"),
        ("JSON", r#"{"password": "hunter2", "user": "bob"}"#, r#"{"password": "***", "user": "bob"}"#),
        ("JSON escaped", r#"{"apiKey":"a\"b","n":1}"#, r#"{"apiKey":"***","n":1}"#),
        ("JSON header", r#"{"Authorization": "Bearer abc"}"#, r#"{"Authorization": "Bearer ***"}"#),
        ("YAML", "db:\n  user: app\n  password: hunter2\n", "db:\n  user: app\n  password: ***\n"),
        ("YAML list", "- client_secret: abc\n", "- client_secret: ***\n"),
        ("ini", "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n", "[default]\naws_secret_access_key = ***\n"),
        ("Go", "token := \"abc\"", "token := \"***\""),
        ("URL", "pushed to https://bot:tok@git.example.com/r", "pushed to https://bot:***@git.example.com/r"),
        ("private key", "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcC\nAQEE\n-----END EC PRIVATE KEY-----\nrest", "key:\n-----BEGIN EC PRIVATE KEY-----\n***\n-----END EC PRIVATE KEY-----\nrest"),
        ("reason with key", "use AKIAIOSFODNN7EXAMPLE for now", "use AKIA*** for now"),
        ("Set-Cookie", "Set-Cookie: sid=abc; Path=/\nok", "Set-Cookie: sid=***; Path=***\nok"),
        ("JSON cookie", r#"{"Cookie": "sid=abc"}"#, r#"{"Cookie": "sid=***"}"#),
        ("ssh-keygen -N ''", "ssh-keygen -t ed25519 -N 'pass phrase' -f k", "ssh-keygen -t ed25519 -N '***' -f k"),
    ];

    #[rustfmt::skip]
    const KEPT_TEXT: &[(&str, &str)] = &[
        ("prose", "rotate the token because it leaked"),
        ("prose with colon", "fix token: refresh before expiry"),
        ("apostrophe", "don't touch prod; password reset is tomorrow"),
        ("grep", "grep -rn 'password' src/ | wc -l"),
        ("comparison", "if [ \"$token\" == \"\" ]; then exit 1; fi"),
        ("ssh port", "ssh -p 2222 deploy@host uptime"),
        ("path", "KEY_PATH=/etc/ssl/k.pem ./run"),
        ("certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
        ("cookie prose", "grep -i \"cookie: \" access.log"),
        ("JSON non-secret", r#"{"user": "bob", "tokens": 3}"#),
    ];

    #[test]
    fn text_masks() {
        let r = redactor();
        for (what, input, want) in TEXT {
            assert_eq!(r.text(input), *want, "{what}");
        }
    }

    #[test]
    fn text_keeps() {
        let r = redactor();
        for (what, input) in KEPT_TEXT {
            assert_eq!(r.text(input), *input, "{what}");
        }
    }

    #[test]
    fn extra_patterns() {
        let r = Redactor::new(&[
            r"corp-[0-9a-f]{8}".to_owned(),
            r"--vault-pass\s+(\S+)".to_owned(),
            r"ticket=(T-\d+)".to_owned(),
        ])
        .unwrap();
        assert_eq!(
            r.argv(&strings(&["deploy", "--id", "corp-deadbeef"])),
            strings(&["deploy", "--id", "***"])
        );
        assert_eq!(
            r.argv(&strings(&[
                "ansible",
                "--vault-pass",
                "hunter2",
                "site.yml"
            ])),
            strings(&["ansible", "--vault-pass", "***", "site.yml"])
        );
        assert_eq!(r.text("see ticket=T-42 now"), "see ticket=*** now");
        assert_eq!(r.text("nothing here"), "nothing here");
        assert!(Redactor::new(&["(unclosed".to_owned()]).is_err());
    }

    #[test]
    fn builtin_patterns_compile() {
        for p in &PATTERNS {
            LazyLock::force(&p.re);
        }
    }

    /// The hot path: the commands gate wraps every day trip no regex prefilter, so no builtin
    /// regex is ever compiled for them.
    #[test]
    fn clean_commands_compile_no_regex() {
        let commands: &[&[&str]] = &[
            &["kubectl", "delete", "ns", "prod", "--dry-run=client"],
            &["git", "commit", "-m", "fix token refresh"],
            &["git", "push", "origin", "HEAD:refs/heads/main"],
            &[
                "terraform",
                "apply",
                "-auto-approve",
                "-var",
                "region=eu-west-1",
            ],
            &["docker", "run", "--rm", "-p", "8080:80", "nginx:1.27"],
            &[
                "curl",
                "-fsSL",
                "https://example.com/install.sh?version=2&os=linux",
            ],
            &["rm", "-rf", "/tmp/build"],
            &["sh", "-c", "cd /srv && ./deploy.sh --env prod | tee log"],
        ];
        for argv in commands {
            for arg in *argv {
                for p in &PATTERNS {
                    assert!(
                        !(p.pre)(arg),
                        "{arg:?} trips a prefilter for {}",
                        p.re.as_str()
                    );
                }
            }
            assert!(!redactor().is_sensitive(&strings(argv)), "{argv:?}");
        }
    }

    #[test]
    fn masks_never_split_characters() {
        let r = redactor();
        assert_eq!(r.text("PASSWORD=héllo wörld"), "PASSWORD=*** wörld");
        assert_eq!(
            r.argv(&strings(&["--token", "ünïcödé"])),
            strings(&["--token", "***"])
        );
    }

    /// Words that make up plausible argvs and scripts, secrets and near misses alike.
    const FRAGMENTS: &[&str] = &[
        "mysql",
        "-p",
        "-psecret",
        "-u",
        "root",
        "curl",
        "-H",
        "-d",
        "-b",
        "sshpass",
        "ssh",
        "docker",
        "login",
        "--password",
        "--password=x",
        "--token",
        "--password-file",
        "-storepass",
        "Authorization: Bearer abc123def",
        "Authorization:",
        "Bearer",
        "Cookie: a=b; c=d",
        "https://u:p@h/x?token=abc&a=1",
        "://",
        "@",
        "?key=",
        "&sig=",
        "user:pw",
        "A_TOKEN=x y",
        "PASSWORD=",
        "=",
        ":",
        "\"password\": \"x\"",
        "password: x",
        "'",
        "\"",
        "\\",
        ";",
        "&",
        "|",
        "\n",
        " ",
        "$(",
        ")",
        "`",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_0123456789abcdefghijABCD",
        "eyJhbGciOi.eyJzdWIiOi.sig",
        "xoxb-1234567890",
        "sk-Abcdefghij0123456789XYZ",
        "set",
        "config",
        "user.password",
        "***",
        "é",
        "a=1&password=2",
        "bash",
        "-c",
    ];

    fn element() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,24}",
            prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
            prop::collection::vec(
                (
                    prop::sample::select(FRAGMENTS),
                    prop::sample::select(&[" ", "", "=", "'", "\""][..])
                ),
                1..6,
            )
            .prop_map(|parts| parts.into_iter().flat_map(|(a, b)| [a, b]).collect()),
        ]
    }

    proptest! {
        #[test]
        fn argv_is_total_and_idempotent(argv in prop::collection::vec(element(), 0..8)) {
            let r = redactor();
            let once = r.argv(&argv);
            prop_assert_eq!(once.len(), argv.len());
            let twice = r.argv(&once);
            prop_assert_eq!(&twice, &once);
            prop_assert!(!r.is_sensitive(&once));
        }

        #[test]
        fn text_is_total_and_idempotent(parts in prop::collection::vec(element(), 0..6)) {
            let r = redactor();
            let text = parts.join(" ");
            let once = r.text(&text);
            prop_assert_eq!(r.text(&once), once);
        }
    }
}
