//! The shell parser side: a tree-sitter-bash tree walked down to its simple commands, with quote
//! removal for the words.

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use super::Origin;
use super::Word;
use super::cx::{Cx, Frame, Stdin};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn new_parser() -> Option<Parser> {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_bash::LANGUAGE.into()).ok()?;
    Some(p)
}

/// Parse `src`. The tree's byte offsets are valid in `src` itself.
fn parse(src: &str) -> Option<Tree> {
    let safe = parser_safe(src);
    PARSER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = new_parser();
            }
            slot.as_mut()?.parse(safe.as_ref(), None)
        }
        Err(_) => new_parser()?.parse(safe.as_ref(), None),
    })
}

/// tree-sitter-bash 0.25's scanner calls the C `isdigit` on the character after `{` (and after
/// digits and `..` in `{1..9}`); with a large code point that reads far outside the ctype table
/// and crashes the process (`{` followed by U+E0000 does). Such characters are replaced, for the
/// parser only, by as many `_` as they have bytes: the same byte offsets, and still word
/// characters as far as the shell grammar is concerned. Word texts are taken from the original.
fn parser_safe(src: &str) -> std::borrow::Cow<'_, str> {
    if src.is_ascii() {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut prev = ' ';
    for c in src.chars() {
        if !c.is_ascii() && (prev == '{' || prev == '.' || prev.is_ascii_digit()) {
            out.extend(std::iter::repeat_n('_', c.len_utf8()));
        } else {
            out.push(c);
        }
        prev = c;
    }
    std::borrow::Cow::Owned(out)
}

/// Parse `src` and report every simple command in it.
pub(crate) fn walk_script(cx: &mut Cx, src: &str, frame: &Frame) {
    if src.contains('\0') {
        cx.opaque("script contains a NUL byte", &src.replace('\0', "\\0"));
    }
    if !cx.spend(src) {
        return;
    }
    // More separators than the command budget could ever report: not worth parsing (the
    // grammar is slow on a pipeline of 50,000 `|`), and opaque anyway.
    let separators = memchr::memchr3_iter(b'|', b';', b'&', src.as_bytes()).count()
        + memchr::memchr_iter(b'\n', src.as_bytes()).count();
    if separators > 2 * super::cx::MAX_COMMANDS {
        cx.stop("too many commands to analyse", src);
        return;
    }
    let Some((src, tree)) = parse_blanking_prefixes(cx, src) else {
        cx.opaque("script does not parse", src);
        return;
    };
    let src = src.as_ref();
    let root = tree.root_node();
    if root.has_error() && frame.origin != Origin::InlineCode {
        cx.opaque("script does not parse", src);
    }
    let mut w = Walker {
        cx,
        src,
        frame,
        extra_for: None,
    };
    w.node(root, Stdin::Inherited);
    if let Some(dash) = dash_reading(src) {
        cx.dash_reading(&dash, frame);
    }
}

/// The same script as dash (Debian's `/bin/sh`) reads it, where that differs from bash's
/// reading: `$'…'` and `$"…"` are a `$` followed by a quoted string, and `&>` is `&` (run in
/// the background) followed by `>`, and `function` is no keyword (`function g { …` is a command
/// named `function`). Written back in bash syntax, so the same grammar parses it (`\$'…'`,
/// `& >`, `\function`). `None` when the script holds none of these.
pub(crate) fn dash_reading(src: &str) -> Option<String> {
    if !(src.contains("$'")
        || src.contains("$\"")
        || src.contains("&>")
        || src.contains("function"))
    {
        return None;
    }
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 8);
    let mut changed = false;
    let mut i = 0;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let word_start = |i: usize| i == 0 || b"\t\n ;&|()<>".contains(&b[i - 1]);
    // Where we are: `None` for a double-quoted string, `Some((depth, cases))` for shell syntax
    // (the script itself, or a `$( … )` inside a string, `depth` counting its open parentheses
    // and `cases` its open `case` statements, whose patterns end in an unmatched `)`).
    let mut stack: Vec<Option<(usize, usize)>> = vec![Some((0, 0))];
    let keyword = |i: usize, k: &str| {
        word_start(i)
            && src[i..].starts_with(k)
            && b.get(i + k.len())
                .is_none_or(|c| b"\t\n ;&|()<>".contains(c))
    };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if stack.last() == Some(&None) {
            // Inside "…": only `$( … )` is shell syntax again (`$'` is literal in both shells).
            match c {
                b'\\' => {
                    let next_len = src[i + 1..].chars().next().map_or(0, char::len_utf8);
                    out.push_str(&src[i..i + 1 + next_len]);
                    i += 1 + next_len;
                }
                b'"' => {
                    stack.pop();
                    out.push('"');
                    i += 1;
                }
                b'$' if next == Some(b'(') && b.get(i + 2) != Some(&b'(') => {
                    stack.push(Some((1, 0)));
                    out.push_str("$(");
                    i += 2;
                }
                _ => {
                    let ch = src[i..].chars().next().unwrap_or(' ');
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
            continue;
        }
        let in_substitution = stack.len() > 1;
        if let (true, Some(Some((depth, cases)))) = (in_substitution, stack.last_mut()) {
            match c {
                b'(' => *depth += 1,
                b')' if *depth == 1 && *cases > 0 => {}
                b')' => {
                    *depth -= 1;
                    if *depth == 0 {
                        stack.pop();
                    }
                }
                b'c' if keyword(i, "case") => *cases += 1,
                b'e' if keyword(i, "esac") => *cases = cases.saturating_sub(1),
                _ => {}
            }
        }
        match c {
            b'\\' => {
                let next_len = src[i + 1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&src[i..i + 1 + next_len]);
                i += 1 + next_len;
                continue;
            }
            b'\'' => {
                let end = src[i + 1..].find('\'').map_or(b.len(), |e| i + 1 + e + 1);
                out.push_str(&src[i..end]);
                i = end;
                continue;
            }
            b'"' => {
                stack.push(None);
                out.push('"');
                i += 1;
                continue;
            }
            b'$' if matches!(next, Some(b'\'') | Some(b'"')) => {
                out.push_str("\\$");
                changed = true;
                i += 1;
                continue;
            }
            b'&' if next == Some(b'>') => {
                out.push_str("& ");
                changed = true;
                i += 1;
                continue;
            }
            b'f' if keyword(i, "function") && !function_with_parens(&src[i + 8..]) => {
                // dash has no `function` keyword: `function g { cmd $(x); }` runs a command
                // named `function` with the words (and substitutions) that follow.
                out.push_str("\\function");
                changed = true;
                i += "function".len();
                continue;
            }
            b'#' if word_start(i) => {
                let end = src[i..].find('\n').map_or(b.len(), |e| i + e);
                out.push_str(&src[i..end]);
                i = end;
                continue;
            }
            b'<' if next == Some(b'<') && b.get(i + 2) != Some(&b'<') => {
                // A here-document: its body is not shell syntax. Note its delimiter.
                let mut j = i + 2;
                let strip = b.get(j) == Some(&b'-');
                if strip {
                    j += 1;
                }
                while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                    j += 1;
                }
                let start = j;
                while j < b.len() && !b" \t\n;&|()<>".contains(&b[j]) {
                    j += 1;
                }
                let delim: String = src[start..j]
                    .chars()
                    .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                    .collect();
                if !delim.is_empty() {
                    heredocs.push((delim, strip));
                }
                out.push_str(&src[i..j]);
                i = j;
                continue;
            }
            b'\n' if !heredocs.is_empty() => {
                // Copy the pending here-document bodies as they are.
                out.push('\n');
                i += 1;
                for (delim, strip) in std::mem::take(&mut heredocs) {
                    while i < b.len() {
                        let end = src[i..].find('\n').map_or(b.len(), |e| i + e + 1);
                        let line = &src[i..end];
                        out.push_str(line);
                        i = end;
                        let body = line.trim_end_matches('\n');
                        let body = if strip {
                            body.trim_start_matches('\t')
                        } else {
                            body
                        };
                        if body == delim {
                            break;
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        let ch = src[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    changed.then_some(out)
}

/// Words that open a compound command.
const RESERVED: &[&str] = &[
    "{", "if", "for", "while", "until", "case", "select", "[[", "!", "function", "((",
];

/// After `function`: ` NAME ()` (dash rejects the line: nothing of it runs) rather than
/// ` NAME {` (dash runs a command named `function`).
fn function_with_parens(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    let name_end = rest
        .find(|c: char| c.is_whitespace() || "(){};&|<>".contains(c))
        .unwrap_or(rest.len());
    rest[name_end..]
        .trim_start_matches([' ', '\t'])
        .starts_with('(')
}

/// Whether a word opens a compound command. The grammar reads `time { { a; }; }`'s `{ {` as one
/// word.
fn opens_compound(t: &str) -> bool {
    RESERVED.contains(&t)
        || (t.starts_with('{') && t.chars().all(|c| c == '{' || c.is_whitespace()))
}

/// Parse `src`; where a `time` / `time -p` / `!` / `coproc [NAME]` prefix stands in front of a
/// compound command (`time { …; }`, `! if …`, `coproc NAME { …; }`), which the grammar reads
/// as a simple command named `time` whose arguments are `{`, `rm`, …, blank the prefix out (same
/// byte offsets) and parse again: the prefix only times, negates or backgrounds what follows.
fn parse_blanking_prefixes<'s>(
    cx: &mut Cx,
    src: &'s str,
) -> Option<(std::borrow::Cow<'s, str>, Tree)> {
    let mut text = std::borrow::Cow::Borrowed(src);
    let mut tree = parse(&text)?;
    // Only a script that names one of the prefixes needs the extra walk over its tree.
    if !(src.contains("time") || src.contains('!') || src.contains("coproc")) {
        return Some((text, tree));
    }
    for _ in 0..16 {
        let mut blanks = Vec::new();
        prefixes(tree.root_node(), &text, &mut blanks);
        if blanks.is_empty() {
            break;
        }
        let owned = text.to_mut();
        for (s, e) in blanks {
            if let Some(range) = owned.get(s..e) {
                let spaces = " ".repeat(range.len());
                owned.replace_range(s..e, &spaces);
            }
        }
        if !cx.spend(&text) {
            break;
        }
        tree = parse(&text)?;
    }
    Some((text, tree))
}

/// The byte ranges of the prefixes [`parse_blanking_prefixes`] removes.
fn prefixes(root: Node, src: &str, out: &mut Vec<(usize, usize)>) {
    let text = |n: Node| src.get(n.start_byte()..n.end_byte()).unwrap_or("");
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if out.len() > 64 {
            return;
        }
        match n.kind() {
            "command" => {
                let Some(name) = n.child_by_field_name("name") else {
                    continue;
                };
                let program = text(name);
                if program != "time" && program != "coproc" {
                    stack.extend(children(n).into_iter().map(|(_, k)| k));
                    continue;
                }
                let args: Vec<Node> = children(n)
                    .into_iter()
                    .filter(|(f, _)| *f == Some("argument"))
                    .map(|(_, k)| k)
                    .collect();
                let mut end = name.end_byte();
                let mut i = 0;
                if program == "time" {
                    while i < args.len() && matches!(text(args[i]), "-p" | "--" | "!") {
                        end = args[i].end_byte();
                        i += 1;
                    }
                } else if args.len() > i + 1
                    && !opens_compound(text(args[i]))
                    && opens_compound(text(args[i + 1]))
                {
                    end = args[i].end_byte();
                    i += 1;
                }
                // `time { …`, `coproc NAME { …`, or a bare `time` before `( … )`.
                let compound = args.get(i).is_some_and(|a| opens_compound(text(*a)));
                let bare = args.len() == i
                    && n.next_sibling().is_some_and(|s| s.kind() == "subshell")
                    && n.end_byte() == end;
                if compound || bare || (program == "time" && args.is_empty()) {
                    out.push((n.start_byte(), end));
                } else {
                    stack.extend(args);
                }
            }
            "negated_command" => {
                let kids = children(n);
                let compound = kids.iter().any(|(_, k)| {
                    k.kind() == "command"
                        && k.child_by_field_name("name")
                            .is_some_and(|name| opens_compound(text(name)))
                });
                match kids.first() {
                    Some((_, bang)) if compound && text(*bang) == "!" => {
                        out.push((bang.start_byte(), bang.end_byte()))
                    }
                    _ => stack.extend(kids.into_iter().map(|(_, k)| k)),
                }
            }
            _ => stack.extend(children(n).into_iter().map(|(_, k)| k)),
        }
    }
}

/// A word being evaluated: its text after quote removal and what it holds.
#[derive(Debug, Default)]
struct Ev {
    text: String,
    dynamic: bool,
    /// An unquoted glob character (`*`, `?`, `[`).
    glob: bool,
}

/// What a simple command carries besides its words: argument words found after an enclosing
/// redirection's target, the files its redirections write, and the text fed to its input
/// (`None`: not redirected; `Some(None)`: redirected from something unknown).
/// An argument word found after a redirection's target: (start, end, word).
type Extra = (usize, usize, Ev);

struct Pending {
    extra: Vec<(usize, usize, Ev)>,
    writes: Vec<(String, Word)>,
    fed: Option<Option<String>>,
}

struct Walker<'c, 'w, 's> {
    cx: &'c mut Cx<'w>,
    src: &'s str,
    frame: &'s Frame,
    /// Argument words the grammar gave to the redirection of an enclosing list or pipeline
    /// (`a && b >out arg`, `! a >out arg`): they belong to the simple command with this id, the
    /// last one of that list.
    extra_for: Option<(usize, Vec<Extra>)>,
}

fn children<'t>(n: Node<'t>) -> Vec<(Option<&'t str>, Node<'t>)> {
    let mut cursor = n.walk();
    let mut out = Vec::with_capacity(n.child_count() as usize);
    if cursor.goto_first_child() {
        loop {
            out.push((cursor.field_name(), cursor.node()));
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

impl<'s> Walker<'_, '_, 's> {
    fn text(&self, n: Node) -> &'s str {
        self.src.get(n.start_byte()..n.end_byte()).unwrap_or("")
    }

    fn enter(&mut self, n: Node) -> bool {
        let src = self.src;
        let (s, e) = (n.start_byte(), n.end_byte());
        self.cx
            .enter(self.frame, || src.get(s..e).unwrap_or("").to_string())
    }

    /// Any node in statement position: find the commands it runs.
    fn node(&mut self, n: Node, stdin: Stdin) {
        if !self.enter(n) {
            return;
        }
        self.node_inner(n, stdin);
        self.cx.leave();
    }

    fn node_inner(&mut self, n: Node, stdin: Stdin) {
        if matches!(
            n.kind(),
            "program"
                | "list"
                | "pipeline"
                | "redirected_statement"
                | "command"
                | "compound_statement"
                | "subshell"
                | "do_group"
                | "if_statement"
                | "while_statement"
                | "for_statement"
                | "case_statement"
                | "case_item"
                | "function_definition"
                | "command_substitution"
                | "process_substitution"
                | "negated_command"
                | "declaration_command"
        ) {
            self.check_gaps(n);
        }
        match n.kind() {
            "comment" => {}
            "variable_assignment" => {
                // `PAGER='…'; git log`: an exported variable keeps its export.
                let w = self.assignment(n);
                super::code_options::assignment(self.cx, &w, self.frame);
                super::evaluated::assigned_value(self.cx, &w, self.frame);
            }
            "compound_statement" if n.child(0).is_some_and(|k| k.kind() == "((") => {
                self.arithmetic_command(n);
                self.generic(n, stdin);
            }
            "test_command" => {
                self.test_command(n);
                self.generic(n, stdin);
            }
            "command" => match self.extra_for.take() {
                Some((id, extra)) if id == n.id() => self.command_with(n, stdin, extra),
                other => {
                    self.extra_for = other;
                    self.command(n, stdin)
                }
            },
            "declaration_command" | "unset_command" => self.declaration(n),
            "list" => {
                // `a && b && c` nests to the left; walk its spine without recursing on it.
                let mut items = Vec::new();
                let mut cur = n;
                loop {
                    let kids = children(cur);
                    let first_list = kids.iter().position(|(_, k)| k.is_named());
                    match first_list {
                        Some(p) if kids[p].1.kind() == "list" => {
                            items.extend(kids[p + 1..].iter().rev().map(|(_, k)| *k));
                            cur = kids[p].1;
                        }
                        _ => {
                            items.extend(kids.iter().rev().map(|(_, k)| *k));
                            break;
                        }
                    }
                }
                for k in items.into_iter().rev() {
                    if k.is_named() {
                        self.node(k, stdin);
                    }
                }
            }
            "pipeline" => {
                let mut first = true;
                // What the previous command writes, when the script shows it (`echo LITERAL`).
                let mut known: Option<String> = None;
                for (_, k) in children(n) {
                    if k.is_named() {
                        let before = self.cx.out.commands.len();
                        if first {
                            self.node(k, stdin);
                        } else {
                            let saved = std::mem::replace(&mut self.cx.stdin_text, known.take());
                            self.node(k, Stdin::Pipe);
                            self.cx.stdin_text = saved;
                        }
                        known = super::runners::known_output(&self.cx.out.commands[before..])
                            .filter(|_| {
                                !self.cx.overridden("echo") && !self.cx.overridden("printf")
                            });
                        first = false;
                    }
                }
            }
            "redirected_statement" => {
                let kids = children(n);
                let mut inner = stdin;
                for (field, k) in &kids {
                    if *field == Some("redirect") || k.kind().ends_with("_redirect") {
                        inner = redirect_stdin(*k, self.src).unwrap_or(inner);
                    }
                }
                // File redirections first: words the grammar gave a redirection after its
                // target (`cmd > out arg`) are the body command's arguments.
                let mut writes = Vec::new();
                let mut extra = Vec::new();
                let mut pos = None;
                for (_, k) in &kids {
                    // The grammar skips a lone `-` before a redirection (`cat - <<EOF`,
                    // `a - >/dev/null`): it is an argument of the command.
                    if let Some(p) = pos {
                        let gap = self.src.get(p..k.start_byte()).unwrap_or("");
                        if gap.trim() == "-" {
                            let at = p + gap.find('-').unwrap_or(0);
                            let dash = Ev {
                                text: "-".to_string(),
                                ..Ev::default()
                            };
                            extra.push((at, at + 1, dash));
                        }
                    }
                    pos = Some(k.end_byte());
                    if k.kind() == "file_redirect" {
                        extra.extend(self.file_redirect(*k, &mut writes));
                    }
                }
                let first = self.cx.out.commands.len();
                // `bash <<EOF … EOF`, `python3 - <<< '…'`: the text the body reads on its
                // standard input, for a program that runs it (unwrap.rs decides).
                // Only for a simple command: on a pipeline or list the redirection is the last
                // command's (`a | b <<EOF`), which would not be the one to take the text, so
                // the input stays unknown there.
                let saved = self.cx.stdin_text.clone();
                let body_is_command = kids
                    .iter()
                    .any(|(f, k)| *f == Some("body") && k.kind() == "command");
                if let Some(text) = kids
                    .iter()
                    .rev()
                    .find_map(|(_, k)| redirect_stdin(*k, self.src).map(|_| self.fed_text(*k)))
                {
                    self.cx.stdin_text = if body_is_command { text } else { None };
                }
                for (field, k) in kids {
                    if field == Some("body") {
                        if k.kind() == "command" && self.enter(k) {
                            self.command_with(k, inner, std::mem::take(&mut extra));
                            self.cx.leave();
                        } else if !extra.is_empty() {
                            // `a && b >out arg`, `a | b <in arg`, `! a >out arg`: the grammar
                            // wraps the whole list in the redirection; bash gives the words
                            // (and the redirection) to the last simple command.
                            match last_simple_command(k) {
                                Some(last) => {
                                    let saved = self
                                        .extra_for
                                        .replace((last.id(), std::mem::take(&mut extra)));
                                    self.node(k, inner);
                                    self.extra_for = saved;
                                }
                                None => {
                                    self.cx.opaque("script does not parse", self.text(n));
                                    self.node(k, inner);
                                }
                            }
                        } else {
                            self.node(k, inner);
                        }
                    } else if k.kind() == "heredoc_redirect" {
                        self.heredoc(k, stdin);
                    } else if k.is_named() && k.kind() != "file_redirect" {
                        self.node(k, stdin);
                    }
                }
                self.cx.stdin_text = saved;
                self.record_writes(writes, first);
            }
            "function_definition" => {
                // Recorded, and analysed where it is called.
                let name = n
                    .child_by_field_name("name")
                    .map(|k| self.text(k).to_string());
                let body = n
                    .child_by_field_name("body")
                    .map(|k| self.text(k).to_string());
                match (name, body) {
                    // bash calls these itself (for any command it cannot find): judged now.
                    (Some(name), Some(body))
                        if matches!(
                            name.as_str(),
                            "command_not_found_handle" | "command_not_found_handler"
                        ) =>
                    {
                        self.cx.functions.push((name, body));
                        self.generic(n, stdin);
                    }
                    (Some(name), Some(body)) => self.cx.functions.push((name, body)),
                    _ => self.generic(n, stdin),
                }
            }
            "subshell" => {
                // Functions defined in a subshell are gone when it ends.
                let defined = self.cx.functions.len();
                self.generic(n, stdin);
                self.cx.functions.truncate(defined);
            }
            "heredoc_redirect" => self.heredoc(n, stdin),
            "heredoc_body" => self.generic(n, stdin),
            _ => self.generic(n, stdin),
        }
    }

    fn generic(&mut self, n: Node, stdin: Stdin) {
        for (_, k) in children(n) {
            if k.is_named() || k.kind() == "ERROR" {
                self.node(k, stdin);
            }
        }
    }

    fn heredoc(&mut self, n: Node, stdin: Stdin) {
        let mut quoted = false;
        for (field, k) in children(n) {
            match k.kind() {
                "heredoc_start" => {
                    let t = self.text(k);
                    quoted = t.contains(['\'', '"', '\\']);
                }
                "heredoc_body" if !quoted => self.heredoc_body(k),
                "pipeline" => {
                    // `cat <<EOF | sh`: the pipeline's commands read the pipe.
                    self.node(k, Stdin::Pipe);
                }
                "heredoc_body" | "heredoc_end" | "heredoc_content" => {}
                _ if field == Some("right") => self.node(k, stdin),
                _ if k.is_named() => self.node(k, stdin),
                _ => {}
            }
        }
    }

    /// An unquoted here-document body is expanded like a double-quoted string. The grammar
    /// misses backticks there and substitutions on `<<-` lines, so the body is parsed again as
    /// such a string.
    fn heredoc_body(&mut self, n: Node) {
        let body = self.text(n);
        walk_expanded(self.cx, body, self.frame, "here-document does not parse");
    }

    /// Text between the children of a statement that the grammar skipped: it may hide a
    /// command, so it is opaque. (A lone `-` before a here-document is a known grammar quirk.)
    fn check_gaps(&mut self, n: Node) {
        let mut pos = n.start_byte();
        let mut skipped = false;
        for (_, k) in children(n) {
            if k.start_byte() > pos {
                skipped |= is_skipped_text(self.src.get(pos..k.start_byte()).unwrap_or(""));
            }
            pos = pos.max(k.end_byte());
        }
        if pos < n.end_byte() {
            skipped |= is_skipped_text(self.src.get(pos..n.end_byte()).unwrap_or(""));
        }
        if skipped {
            self.cx.opaque("script does not parse", self.text(n));
        }
    }

    /// `(( … ))` evaluates every variable it names as arithmetic, and a value such as
    /// `a[$(cmd)]` runs `cmd`. A variable this line does not set has a value gate cannot see.
    fn arithmetic_command(&mut self, n: Node) {
        let mut stack = vec![n];
        while let Some(k) = stack.pop() {
            if k.kind() == "variable_name" {
                let name = self.text(k);
                let after = self.src.get(k.end_byte()..).unwrap_or("").trim_start();
                let assigns = after.starts_with('=') && !after.starts_with("==");
                if !assigns && !self.cx.out.assigned.iter().any(|a| a == name) {
                    self.cx.opaque(
                        "arithmetic reads a variable gate cannot see (an array subscript in its value runs commands)",
                        self.text(n),
                    );
                    return;
                }
            }
            stack.extend(children(k).into_iter().map(|(_, c)| c));
        }
    }

    /// `[[ -v 'a[$(cmd)]' ]]` evaluates the subscript of the name it tests.
    fn test_command(&mut self, n: Node) {
        let mut stack = vec![n];
        while let Some(k) = stack.pop() {
            if matches!(k.kind(), "raw_string" | "string" | "word" | "concatenation") {
                let text = unquote_simple(self.text(k));
                super::evaluated::subscript(self.cx, &text, self.frame);
            } else {
                stack.extend(children(k).into_iter().map(|(_, c)| c));
            }
        }
    }

    fn declaration(&mut self, n: Node) {
        let mut words = Vec::new();
        for (_, k) in children(n) {
            if k.kind() == "variable_assignment" {
                // `export A='x y'`: quote removal in the value, as for any assignment.
                words.push(self.assignment(k));
            } else if k.is_named() {
                let ev = self.word(k);
                words.push(Word {
                    text: ev.text,
                    dynamic: ev.dynamic,
                });
            } else if words.is_empty() {
                words.push(Word::lit(self.text(k)));
            }
        }
        // `unset NAME` sets nothing.
        let sets = words.first().is_some_and(|w| w.text != "unset");
        for w in words
            .iter()
            .skip(1)
            .filter(|w| sets && !w.text.starts_with(['-', '+']))
        {
            let name = w.text.split_once('=').map_or(w.text.as_str(), |(n, _)| n);
            let name = name.strip_suffix('+').unwrap_or(name).to_string();
            self.cx.assigned(&name);
        }
        self.cx.command(words, self.frame, Stdin::Inherited);
    }

    fn command(&mut self, n: Node, stdin: Stdin) {
        self.command_with(n, stdin, Vec::new());
    }

    /// A simple command; `extra` are argument words found after the target of a redirection
    /// that encloses it (`cmd > out arg`).
    fn command_with(&mut self, n: Node, stdin: Stdin, extra: Vec<(usize, usize, Ev)>) {
        let mut stdin = stdin;
        // Leading `NAME=value` assignments: they go in front of the words, as in an argv.
        let mut assigns: Vec<Word> = Vec::new();
        // (start, end, word) of the name and arguments, to rejoin pieces the grammar splits.
        let mut parts: Vec<(usize, usize, Ev, bool)> = Vec::new();
        let mut writes = Vec::new();
        // The text standard input is redirected to, when known (`<<< '…'`); None: unknown.
        let mut fed: Option<Option<String>> = None;
        for (field, k) in children(n) {
            if field == Some("redirect") && redirect_stdin(k, self.src).is_some() {
                fed = Some(self.fed_text(k));
            }
            match field {
                Some("name") | Some("argument") => {
                    let is_dollar = !k.is_named() && k.kind() == "$";
                    let ev = self.word(k);
                    parts.push((k.start_byte(), k.end_byte(), ev, is_dollar));
                }
                Some("redirect") if k.kind() == "file_redirect" => {
                    stdin = redirect_stdin(k, self.src).unwrap_or(stdin);
                    // `rm -rf 2>/dev/null /`: the grammar reads `/` as a second target of
                    // the redirection; bash gives it to the command.
                    for (s, e, ev) in self.file_redirect(k, &mut writes) {
                        parts.push((s, e, ev, false));
                    }
                }
                Some("redirect") => {
                    stdin = redirect_stdin(k, self.src).unwrap_or(stdin);
                    self.node(k, stdin);
                }
                _ if k.kind() == "variable_assignment" => assigns.push(self.assignment(k)),
                _ => {
                    if k.is_named() {
                        self.node(k, stdin);
                    }
                }
            }
        }
        // The grammar lets a command's words run on over an unescaped newline after a
        // pipeline (`a | b | c` NEWLINE `rm -rf /` reads as `c rm -rf /`); a shell ends the
        // command there. The words after it form commands of their own.
        let src = self.src;
        let breaks_line = |from: usize, to: usize| {
            let gap = src.get(from..to).unwrap_or("");
            gap.replace("\\\n", "").contains('\n')
                && gap.chars().all(|c| c.is_whitespace() || c == '\\')
        };
        if let Some(cut) = (1..parts.len()).find(|&i| breaks_line(parts[i - 1].1, parts[i].0)) {
            let rest = parts.split_off(cut);
            self.finish_command(n, stdin, assigns, parts, Pending { extra, writes, fed });
            let words = self.join_parts(rest);
            if !words.is_empty() {
                let words = words
                    .into_iter()
                    .map(|e| Word {
                        text: e.text,
                        dynamic: e.dynamic,
                    })
                    .collect();
                self.cx.command(words, self.frame, Stdin::Inherited);
            }
            return;
        }
        self.finish_command(n, stdin, assigns, parts, Pending { extra, writes, fed });
    }

    /// Rejoin the pieces of words the grammar splits (`a"b"`, `$"…"`, continued lines).
    fn join_parts(&self, parts: Vec<(usize, usize, Ev, bool)>) -> Vec<Ev> {
        let mut words: Vec<Ev> = Vec::new();
        let mut last_end = usize::MAX;
        let mut prev_dollar = false;
        for (start, end, ev, is_dollar) in parts {
            let continued = last_end != usize::MAX
                && start > last_end
                && self.src.get(last_end..start) == Some("\\\n");
            if (start == last_end || continued) && !words.is_empty() {
                let w = words.last_mut().expect("not empty");
                if prev_dollar {
                    // `$"…"`: a translated string; the `$` is not part of the text.
                    w.text.pop();
                }
                w.text.push_str(&ev.text);
                w.dynamic |= ev.dynamic;
                w.glob |= ev.glob;
            } else {
                words.push(ev);
            }
            prev_dollar = is_dollar;
            last_end = end;
        }
        words
    }

    fn finish_command(
        &mut self,
        n: Node,
        stdin: Stdin,
        mut assigns: Vec<Word>,
        parts: Vec<(usize, usize, Ev, bool)>,
        pending: Pending,
    ) {
        let Pending { extra, writes, fed } = pending;
        let mut words = self.join_parts(parts);
        words.extend(extra.into_iter().map(|(_, _, ev)| ev));
        let first_command = self.cx.out.commands.len();
        let Some(first) = words.first() else {
            // A bare `> file` (or `VAR=x > file`) still opens the file.
            for w in assigns {
                self.cx.assigned_word(&w);
            }
            self.record_writes(writes, first_command);
            return;
        };
        if first.glob && !first.dynamic {
            self.cx
                .opaque("command word is a glob pattern", self.text(n));
            self.record_writes(writes, first_command);
            return;
        }
        assigns.extend(words.into_iter().map(|e| Word {
            text: e.text,
            dynamic: e.dynamic,
        }));
        let saved = fed.map(|t| std::mem::replace(&mut self.cx.stdin_text, t));
        self.cx.command(assigns, self.frame, stdin);
        if let Some(saved) = saved {
            self.cx.stdin_text = saved;
        }
        self.record_writes(writes, first_command);
    }

    /// The text of a here-document or here-string (None for a file redirection).
    fn fed_text(&self, n: Node) -> Option<String> {
        let mut text = None;
        for (_, k) in children(n) {
            match k.kind() {
                "heredoc_body" => text = Some(self.text(k).to_string()),
                "heredoc_start" | "heredoc_end" | "<<<" | "<<" | "<<-" => {}
                _ if k.is_named() && n.kind() == "herestring_redirect" => {
                    text = Some(unquote_simple(self.text(k)));
                }
                _ => {}
            }
        }
        text
    }

    /// A file redirection: the file it writes (added to `writes`), the commands in its target's
    /// substitutions, and any words after its target, which belong to the command.
    fn file_redirect(
        &mut self,
        n: Node,
        writes: &mut Vec<(String, Word)>,
    ) -> Vec<(usize, usize, Ev)> {
        let mut op = String::new();
        let mut groups: Vec<(usize, usize, Ev)> = Vec::new();
        for (field, k) in children(n) {
            if field == Some("destination") {
                let ev = self.word(k);
                let (s, e) = (k.start_byte(), k.end_byte());
                match groups.last_mut() {
                    Some(last) if last.1 == s => {
                        last.1 = e;
                        last.2.text.push_str(&ev.text);
                        last.2.dynamic |= ev.dynamic;
                        last.2.glob |= ev.glob;
                    }
                    _ => groups.push((s, e, ev)),
                }
            } else if field == Some("descriptor") {
            } else if !k.is_named() && op.is_empty() {
                op = k.kind().to_string();
            } else if k.is_named() {
                self.node(k, Stdin::Inherited);
            }
        }
        let mut groups = groups.into_iter();
        if let Some((_, _, target)) = groups.next() {
            let dup = op == ">&" && (target.text == "-" || target.text.parse::<u32>().is_ok());
            let opens_file = matches!(
                op.as_str(),
                ">" | ">>" | "&>" | "&>>" | ">|" | "<>" | ">&" | "<"
            );
            if opens_file && !dup {
                writes.push((
                    op,
                    Word {
                        text: target.text,
                        dynamic: target.dynamic,
                    },
                ));
            }
        }
        groups.collect()
    }

    fn record_writes(&mut self, writes: Vec<(String, Word)>, command: usize) {
        for (op, target) in writes {
            self.cx.out.redirects.push(crate::analyze::Redirect {
                op,
                target,
                command,
            });
        }
    }

    /// `NAME=value` (or `NAME+=value`) with quote removal in the value.
    fn assignment(&mut self, n: Node) -> Word {
        let mut text = String::new();
        let mut dynamic = false;
        for (field, k) in children(n) {
            match field {
                Some("name") => text.push_str(self.text(k)),
                Some("value") => {
                    let ev = self.word(k);
                    text.push_str(&ev.text);
                    dynamic |= ev.dynamic;
                }
                _ if !k.is_named() => text.push_str(self.text(k)),
                _ => {
                    self.node(k, Stdin::Inherited);
                    dynamic = true;
                }
            }
        }
        Word { text, dynamic }
    }

    /// Evaluate a word: quote removal, and the commands of any substitution in it.
    fn word(&mut self, n: Node) -> Ev {
        if !self.enter(n) {
            return Ev {
                text: self.text(n).to_string(),
                dynamic: true,
                glob: false,
            };
        }
        let ev = self.word_inner(n);
        self.cx.leave();
        ev
    }

    fn word_inner(&mut self, n: Node) -> Ev {
        match n.kind() {
            "word" => {
                let raw = self.text(n);
                // The grammar can read `ls` NEWLINE `\rm -rf /` as one command whose words hold
                // the newline; a shell ends the command there. Not a reading to trust.
                if has_unescaped_newline(raw) {
                    self.cx.opaque("script does not parse", raw);
                }
                let mut ev = unquoted(raw);
                if has_brace_expansion(raw) {
                    ev.dynamic = true;
                }
                ev
            }
            "raw_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix('\'')
                    .map(|s| s.strip_suffix('\'').unwrap_or(s))
                    .unwrap_or(t);
                Ev {
                    text: inner.to_string(),
                    ..Ev::default()
                }
            }
            "ansi_c_string" => Ev {
                text: ansi_c(self.text(n)),
                ..Ev::default()
            },
            "string" => self.dquoted(n),
            "translated_string" => {
                let mut ev = Ev::default();
                for (_, k) in children(n) {
                    if k.kind() == "string" {
                        let e = self.dquoted(k);
                        ev.text.push_str(&e.text);
                        ev.dynamic |= e.dynamic;
                    }
                }
                ev
            }
            "concatenation" | "command_name" => {
                let mut ev = Ev::default();
                let mut pos = n.start_byte();
                let mut unquoted_raw = String::new();
                for (_, k) in children(n) {
                    if k.start_byte() > pos {
                        let gap = self.src.get(pos..k.start_byte()).unwrap_or("");
                        let g = unquoted(gap);
                        unquoted_raw.push_str(gap);
                        ev.text.push_str(&g.text);
                        ev.glob |= g.glob;
                    }
                    if k.kind() == "word" {
                        unquoted_raw.push_str(self.text(k));
                    }
                    let e = self.word(k);
                    ev.text.push_str(&e.text);
                    ev.dynamic |= e.dynamic;
                    ev.glob |= e.glob;
                    pos = pos.max(k.end_byte());
                }
                if pos < n.end_byte() {
                    let gap = self.src.get(pos..n.end_byte()).unwrap_or("");
                    unquoted_raw.push_str(gap);
                    let g = unquoted(gap);
                    ev.text.push_str(&g.text);
                    ev.glob |= g.glob;
                }
                if has_brace_expansion(&unquoted_raw) {
                    ev.dynamic = true;
                }
                ev
            }
            "simple_expansion" | "expansion" | "arithmetic_expansion" | "brace_expression" => {
                self.generic(n, Stdin::Inherited);
                Ev {
                    text: self.text(n).to_string(),
                    dynamic: true,
                    glob: false,
                }
            }
            "command_substitution" | "process_substitution" => {
                if backticks_misread(n, self.src) {
                    self.backticks_again(n);
                    return Ev {
                        text: self.text(n).to_string(),
                        dynamic: true,
                        glob: false,
                    };
                }
                self.generic(n, Stdin::Inherited);
                // `$(echo hello)`: the output of an echo of plain words is known. Only a
                // single word is taken (unquoted, a longer output would be split).
                if n.kind() == "command_substitution"
                    && let Some(out) = self.echo_output(n)
                    && !out.is_empty()
                    && !out.contains(|c: char| c.is_whitespace() || "*?[]{}~$`\\'\"".contains(c))
                {
                    return Ev {
                        text: out,
                        ..Ev::default()
                    };
                }
                Ev {
                    text: self.text(n).to_string(),
                    dynamic: true,
                    glob: false,
                }
            }
            _ => {
                // number, regex, extglob_pattern, test operators, `$`, `==`, ERROR pieces, …
                self.generic(n, Stdin::Inherited);
                Ev {
                    text: self.text(n).to_string(),
                    dynamic: holds_expansion(n),
                    glob: false,
                }
            }
        }
    }

    /// What `$(echo WORD…)` prints, when it is one `echo` of literal words without options.
    fn echo_output(&self, n: Node) -> Option<String> {
        let inner: Vec<Node> = children(n)
            .into_iter()
            .map(|(_, k)| k)
            .filter(|k| k.is_named())
            .collect();
        let [cmd] = inner.as_slice() else {
            return None;
        };
        if cmd.kind() != "command" {
            return None;
        }
        let mut words = Vec::new();
        for (field, k) in children(*cmd) {
            match (field, k.kind()) {
                (Some("name"), _) => {
                    if self.text(k) != "echo" || self.cx.overridden("echo") {
                        return None;
                    }
                }
                (Some("argument"), "word") => words.push(self.text(k).to_string()),
                _ => return None,
            }
        }
        if words.first().is_some_and(|w| w.starts_with('-')) {
            return None;
        }
        Some(words.join(" "))
    }

    /// Backticks the grammar misread (see [`backticks_misread`]): split the text at the
    /// unescaped backticks; the pieces between an opening and a closing one are scripts, the
    /// pieces between two substitutions are read as the inside of a double-quoted string.
    fn backticks_again(&mut self, n: Node) {
        let text = self.text(n);
        let mut pieces = vec![String::new()];
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let last = pieces.last_mut().expect("never empty");
                    last.push(c);
                    if let Some(next) = chars.next() {
                        last.push(next);
                    }
                }
                '`' => pieces.push(String::new()),
                _ => pieces.last_mut().expect("never empty").push(c),
            }
        }
        if pieces.len() % 2 == 0 {
            // An unclosed backtick: the shell would not run this.
            self.cx.opaque("script does not parse", text);
        }
        for (i, piece) in pieces.iter().enumerate() {
            if i % 2 == 1 {
                self.cx.script(&backtick_unescape(piece), self.frame);
            } else if !piece.is_empty() {
                walk_expanded(self.cx, piece, self.frame, "script does not parse");
            }
        }
    }

    /// A double-quoted string: `\` escapes only `$`, `` ` ``, `"`, `\` and newline.
    fn dquoted(&mut self, n: Node) -> Ev {
        let mut ev = Ev::default();
        let end = n.end_byte();
        let mut pos = n.start_byte();
        let kids = children(n);
        for (_, k) in &kids {
            let k = *k;
            if k.start_byte() > pos {
                let gap = self.src.get(pos..k.start_byte()).unwrap_or("");
                ev.text.push_str(&dq_unescape(gap));
            }
            pos = pos.max(k.end_byte());
            match k.kind() {
                "\"" => {}
                "string_content" => ev.text.push_str(&dq_unescape(self.text(k))),
                _ => {
                    let e = self.word(k);
                    ev.text.push_str(&e.text);
                    ev.dynamic |= e.dynamic;
                }
            }
        }
        if pos < end {
            let gap = self.src.get(pos..end).unwrap_or("");
            ev.text.push_str(&dq_unescape(gap));
        }
        ev
    }
}

/// Walk `text` as the inside of a double-quoted string: the commands of its substitutions
/// (`$(…)`, backticks) run when the shell expands it. Used for unquoted here-document bodies and
/// for values bash evaluates later (prompt strings, `${x@P}`, array subscripts, `compgen -W`).
pub(crate) fn walk_expanded(cx: &mut Cx, text: &str, frame: &Frame, unparsed: &str) {
    if !text.contains(['`', '$']) || !cx.spend(text) {
        return;
    }
    let synthetic = format!(": \"{}\"", escape_dquotes(text));
    let Some(tree) = parse(&synthetic) else {
        return cx.opaque("script does not parse", text);
    };
    if tree.root_node().has_error() {
        cx.opaque(unparsed, text);
    }
    let mut w = Walker {
        cx,
        src: &synthetic,
        frame,
        extra_for: None,
    };
    // The first string in the synthetic `: "…"` is the text.
    let mut cursor = tree.root_node().walk();
    'search: loop {
        if cursor.node().kind() == "string" {
            w.word(cursor.node());
            return;
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'search;
            }
        }
    }
    w.cx.opaque(unparsed, text);
}

/// Make a here-document body the inside of a double-quoted string: an unescaped `"` gets a
/// backslash (in a here-document it is an ordinary character).
fn escape_dquotes(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let mut backslashes = 0;
    for c in body.chars() {
        if c == '"' && backslashes % 2 == 0 {
            out.push('\\');
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        out.push(c);
    }
    if backslashes % 2 == 1 {
        out.push('\\');
    }
    out
}

/// tree-sitter-bash reads `` `a` `b` `` (two backtick substitutions with only blanks between
/// them) as one substitution whose text holds a "``" token: `a` and `b` would be lost in a
/// command named `` a` `b ``. Such a node is split again by [`Walker::backticks_again`].
fn backticks_misread(n: Node, src: &str) -> bool {
    if !src
        .get(n.start_byte()..)
        .is_some_and(|t| t.starts_with('`'))
    {
        return false;
    }
    any_below(n, |k| k.kind() == "``")
}

/// Inside backticks a backslash escapes only `$`, `` ` `` and `\`.
fn backtick_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('$' | '`' | '\\')) {
            out.push(chars.next().expect("peeked"));
        } else {
            out.push(c);
        }
    }
    out
}

/// The simple command that ends a list or pipeline (`a && b | c` -> `c`), if it ends with one.
fn last_simple_command(n: Node) -> Option<Node> {
    let mut cur = n;
    loop {
        match cur.kind() {
            "command" => return Some(cur),
            "list" | "pipeline" | "negated_command" => {
                let count = cur.named_child_count();
                cur = cur.named_child(u32::try_from(count.checked_sub(1)?).ok()?)?;
            }
            _ => return None,
        }
    }
}

/// Whether unquoted text holds a newline that no backslash escapes.
fn has_unescaped_newline(raw: &str) -> bool {
    let mut backslashes = 0;
    for c in raw.chars() {
        if c == '\n' && backslashes % 2 == 0 {
            return true;
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    false
}

fn is_skipped_text(gap: &str) -> bool {
    let rest = gap.replace("\\\n", "");
    let rest = rest.trim();
    !(rest.is_empty() || rest == "-")
}

/// Whether any node below `n` is an expansion or substitution (iterative: no recursion).
fn holds_expansion(n: Node) -> bool {
    let expansion = |k: Node| {
        matches!(
            k.kind(),
            "simple_expansion"
                | "expansion"
                | "command_substitution"
                | "process_substitution"
                | "arithmetic_expansion"
        )
    };
    expansion(n) || any_below(n, expansion)
}

/// Whether `pred` holds for any node below `n` (not `n` itself), walked without recursion.
fn any_below(n: Node, pred: impl Fn(Node) -> bool) -> bool {
    let mut cursor = n.walk();
    let mut depth = 0usize;
    loop {
        if depth > 0 && pred(cursor.node()) {
            return true;
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                return false;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            depth -= 1;
        }
    }
}

/// Where a redirection points standard input, if it does.
fn redirect_stdin(n: Node, src: &str) -> Option<Stdin> {
    let descriptor_is_stdin = |n: Node| {
        children(n)
            .iter()
            .find(|(f, _)| *f == Some("descriptor"))
            .is_none_or(|(_, d)| src.get(d.start_byte()..d.end_byte()) == Some("0"))
    };
    match n.kind() {
        "heredoc_redirect" if descriptor_is_stdin(n) => Some(Stdin::Heredoc),
        "herestring_redirect" if descriptor_is_stdin(n) => Some(Stdin::Herestring),
        "file_redirect" if descriptor_is_stdin(n) => {
            let op = children(n)
                .into_iter()
                .find(|(_, k)| !k.is_named())
                .map(|(_, k)| k.kind());
            matches!(op, Some("<") | Some("<>")).then_some(Stdin::File)
        }
        _ => None,
    }
}

/// The text of a simple quoted word (`'…'`, `"…"`), or the word as it is.
fn unquote_simple(src: &str) -> String {
    for q in ['\'', '"'] {
        if let Some(inner) = src.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    src.to_string()
}

/// Quote removal for unquoted text: `\x` is `x`, `\<newline>` disappears.
fn unquoted(raw: &str) -> Ev {
    let mut ev = Ev::default();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(o) => ev.text.push(o),
            },
            '*' | '?' | '[' => {
                ev.glob = true;
                ev.text.push(c);
            }
            _ => ev.text.push(c),
        }
    }
    ev
}

fn dq_unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('$' | '`' | '"' | '\\') => out.extend(chars.next()),
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `{a,b}` or `{1..3}` outside quotes: brace expansion makes several words.
fn has_brace_expansion(raw: &str) -> bool {
    let Some(open) = raw.find('{') else {
        return false;
    };
    let rest = &raw[open + 1..];
    match rest.find('}') {
        Some(close) => {
            let inner = &rest[..close];
            inner.contains(',') || inner.contains("..")
        }
        None => false,
    }
}

/// Decode a `$'…'` ANSI-C string (the text includes `$'` and `'`).
pub(crate) fn ansi_c(raw: &str) -> String {
    let inner = raw.strip_prefix("$'").unwrap_or(raw);
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    let b = inner.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16);
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let e = b[i + 1];
        i += 2;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(27),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' | b'\'' | b'"' | b'?' => out.push(e),
            b'0'..=b'7' => {
                let mut v: u32 = (e - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push((v & 0xff) as u8);
            }
            b'x' | b'u' | b'U' => {
                let max = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                let mut k = 0;
                while k < max && i < b.len() {
                    match hex(b[i]) {
                        Some(d) => {
                            v = v.wrapping_mul(16).wrapping_add(d);
                            i += 1;
                            k += 1;
                        }
                        None => break,
                    }
                }
                if k == 0 {
                    out.push(b'\\');
                    out.push(e);
                } else if e == b'x' {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            b'c' => {
                if i < b.len() {
                    out.push(b[i] & 0x1f);
                    i += 1;
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    // bash ends the string at a NUL byte.
    if let Some(p) = out.iter().position(|&c| c == 0) {
        out.truncate(p);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parse tree of `src` as an S-expression (a development aid: `GATE_TREE='…' cargo test
/// --lib dump_tree -- --ignored --nocapture`).
#[cfg(test)]
pub(crate) fn sexp(src: &str) -> String {
    parse(src).map_or_else(|| "(no tree)".into(), |t| t.root_node().to_sexp())
}
