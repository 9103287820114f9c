//! Commands as a person reads them: each argument shell-quoted, so that what is shown is what
//! runs (`sh -c 'exit 3'`, not `sh -c exit 3`), and every control or bidi character written as
//! an escape inside `$'…'`, so that no argument can redraw the screen or pass itself off as
//! another command. Pasted into bash or zsh, the line is the same argv.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself.
fn hidden(c: char) -> bool {
    c.is_control() || crate::ui::is_bidi(c)
}

/// One argument, quoted for a POSIX shell when it needs to be.
pub fn word(arg: &str) -> Cow<'_, str> {
    if arg.chars().any(hidden) {
        return Cow::Owned(ansi_c(arg));
    }
    // shlex quotes everything a shell would read specially (and refuses only NUL, which
    // `ansi_c` above has already taken).
    shlex::try_quote(arg).unwrap_or_else(|_| Cow::Owned(ansi_c(arg)))
}

/// An argument that reads the same to a shell unquoted (`--x=1`, `a/b:c`, `user@host`).
fn plain(arg: &str) -> bool {
    !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b))
}

/// The argument at position `i` of a line: the program's word is quoted when it holds `=`
/// (a shell would take `a=b` there for an assignment).
fn word_at(i: usize, arg: &str) -> Cow<'_, str> {
    if plain(arg) && (i > 0 || !arg.contains('=')) {
        Cow::Borrowed(arg)
    } else {
        word(arg)
    }
}

/// An argv as one line.
pub fn line<S: AsRef<str>>(argv: &[S]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&word_at(i, a.as_ref()));
    }
    out
}

/// An argv as one line, from its masked text (`masked[i]` is `argv[i]` as text, secrets
/// masked), except that an argument that is not UTF-8 and held no secret is shown as its bytes
/// (`$'caf\xe9'`), not as the replacement characters its text has.
pub fn line_of(argv: &[std::ffi::OsString], masked: &[String]) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for (i, m) in masked.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match argv.get(i) {
            Some(a) if a.to_str().is_none() && a.to_string_lossy() == m.as_str() => {
                out.push_str(&bytes(a.as_bytes()));
            }
            _ => out.push_str(&word_at(i, m)),
        }
    }
    out
}

/// Bytes that are not UTF-8, in `$'…'`: the valid parts as text, the rest as `\xHH`.
fn bytes(mut b: &[u8]) -> String {
    let mut text = String::new();
    let mut out = String::from("$'");
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                text.push_str(s);
                break;
            }
            Err(e) => {
                let (good, rest) = b.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                push_escaped(&mut out, &text);
                text.clear();
                for byte in &rest[..bad] {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
                b = &rest[bad..];
            }
        }
    }
    push_escaped(&mut out, &text);
    out.push('\'');
    out
}

/// `$'…'`: bash, zsh and ksh's quoting with escapes.
fn ansi_c(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 8);
    out.push_str("$'");
    push_escaped(&mut out, arg);
    out.push('\'');
    out
}

/// `text` escaped for the inside of `$'…'`.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// At most `max` characters of `text` for a screen: the start and the end, with how much of the
/// middle is not shown. What is recorded is never cut; this is only what a prompt draws.
pub fn elide(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let tail = max / 4;
    let head = max - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    Cow::Owned(format!(
        "{start} [… {} characters not shown …] {end}",
        count - head - tail
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_as_they_are() {
        assert_eq!(line(&["rm", "-rf", "/"]), "rm -rf /");
        assert_eq!(
            line(&["git", "push", "origin", "a/b-c.d_e"]),
            "git push origin a/b-c.d_e"
        );
    }

    #[test]
    fn arguments_with_spaces_or_quotes_are_quoted() {
        assert_eq!(line(&["sh", "-c", "exit 3"]), "sh -c 'exit 3'");
        assert_eq!(line(&["mysql", "-e", "select 1"]), "mysql -e 'select 1'");
        assert_eq!(line(&["echo", "it's"]), r#"echo "it's""#);
        assert_eq!(line(&["echo", ""]), "echo ''");
        assert_eq!(line(&["echo", "$HOME", "*"]), "echo '$HOME' '*'");
        assert_eq!(
            line(&["tool", "--x=1", "a:b,c@d%e+f"]),
            "tool --x=1 a:b,c@d%e+f"
        );
        assert_eq!(line(&["A=1", "x"]), "'A=1' x");
    }

    #[test]
    fn control_and_bidi_characters_become_escapes() {
        let spoof = "main\r\x1b[2K  command   git status";
        let shown = line(&["git", "push", "--force", "origin", spoof]);
        assert_eq!(
            shown,
            r"git push --force origin $'main\r\x1b[2K  command   git status'"
        );
        assert!(!shown.chars().any(hidden));
        assert_eq!(word("a\u{202e}b"), r"$'a\u202eb'");
        assert_eq!(word("x\0y"), r"$'x\x00y'");
        assert_eq!(word("it's\n"), r"$'it\'s\n'");
    }

    #[test]
    fn the_quoted_line_is_the_same_argv_in_bash() {
        let Ok(bash) = which("bash") else { return };
        let argv = [
            "printf",
            "[%s]",
            "exit 3",
            "it's",
            "a\tb\nc",
            "\x1b[2K",
            "$x `y` \\z",
            "",
            "é\u{202e}",
        ];
        let out = std::process::Command::new(bash)
            .args(["-c", &line(&argv)])
            .output()
            .unwrap();
        let want: String = argv[2..].iter().map(|a| format!("[{a}]")).collect();
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    }

    fn which(name: &str) -> Result<std::path::PathBuf, ()> {
        ["/bin", "/usr/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(name))
            .find(|p| p.exists())
            .ok_or(())
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_bytes() {
        use std::os::unix::ffi::OsStringExt;
        let argv = vec![
            std::ffi::OsString::from("touch"),
            std::ffi::OsString::from_vec(b"caf\xe9 it's".to_vec()),
        ];
        let masked: Vec<String> = argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(line_of(&argv, &masked), r"touch $'caf\xe9 it\'s'");
        // A masked argument stays masked.
        let masked = vec!["touch".to_string(), "***".to_string()];
        assert_eq!(line_of(&argv, &masked), "touch '***'");
    }

    #[test]
    fn long_text_keeps_its_start_and_end() {
        let long = "a".repeat(1000) + "END";
        let shown = elide(&long, 100);
        assert!(shown.chars().count() < 150, "{shown}");
        assert!(shown.ends_with("END"));
        assert!(shown.contains("characters not shown"));
        assert_eq!(elide("short", 100), "short");
    }
}
