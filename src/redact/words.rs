//! The word reading: an argv, or a shell script split into simple commands and words roughly as
//! a shell would, read in order so that an option masks its value (`--token X`) and a program
//! name says which options are secrets.

use std::ops::Range;

use super::Spans;
use super::names::{is_identifier, is_secret_config_key, is_secret_name};
use super::options::{
    Prog, Takes, Value, is_long_option_without_value, is_option_name, long_option, program,
    short_option, value_spans,
};

/// Read `words` as one command (an argv, or one simple command of a script) and `mark` the
/// secret part of each word.
pub(super) fn scan_words<W: AsRef<str>>(words: &[W], mark: &mut dyn FnMut(usize, Range<usize>)) {
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

pub(super) fn scan_shell_words(s: &str, out: &mut Spans) {
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
