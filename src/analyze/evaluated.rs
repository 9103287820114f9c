//! bash features that execute data: text that looks inert where it is written but that bash
//! evaluates later. An array subscript is arithmetic, and arithmetic expands `$(…)`, so
//! `let 'a[$(cmd)]'`, `test -v 'a[$(cmd)]'`, `printf -v 'a[$(cmd)]'`, `read 'a[$(cmd)]'`,
//! `declare`, `unset`, `mapfile`, and a variable holding `a[$(cmd)]` read by `$((x))` all run
//! `cmd`; prompt strings (`PS4` under `set -x`, `${x@P}`) run their substitutions; `mapfile -C`,
//! `compgen -C`/`complete -C` run a command string and `-F` a function; `compgen -W` expands its
//! word list. Each such text is analysed as what bash makes of it (it can only add commands).

use super::Word;
use super::cx::{Cx, Frame, Stdin};
use super::shell::walk_expanded;

const UNPARSED: &str = "text bash evaluates does not parse";

/// A value assigned literally (`x='$(cmd)'`, `PS4='$(cmd)'`): bash may expand it later (a prompt,
/// `${x@P}`, an arithmetic context, an array subscript), so its substitutions are judged.
pub(crate) fn assigned_value(cx: &mut Cx, w: &Word, frame: &Frame) {
    let Some((name, value)) = w.text.split_once('=') else {
        return;
    };
    // Prompt strings are judged wherever they are set, by `code_options::assignment`.
    if matches!(name, "PS0" | "PS1" | "PS2" | "PS4") {
        return;
    }
    if !w.dynamic {
        expanded_later(cx, value, frame);
    }
}

/// The command substitutions (`$(…)`, backticks) of a value bash expands later: a prompt
/// string, `BASH_ENV`, a value read by `${x@P}` or in arithmetic.
pub(crate) fn expanded_later(cx: &mut Cx, value: &str, frame: &Frame) {
    if value.contains("$(") || value.contains('`') {
        walk_expanded(
            cx,
            value,
            &frame.hop_script("value bash may evaluate"),
            UNPARSED,
        );
    }
}

/// A name that may carry an array subscript (`a[$(cmd)]`): the subscript is evaluated.
pub(crate) fn subscript(cx: &mut Cx, text: &str, frame: &Frame) {
    let Some(open) = text.find('[') else {
        return;
    };
    let inner = &text[open..];
    if inner.contains("$(") || inner.contains('`') {
        walk_expanded(cx, inner, &frame.hop_script("array subscript"), UNPARSED);
    }
}

/// Builtins whose arguments bash evaluates. Called for every command before it is recorded.
pub(crate) fn builtin(cx: &mut Cx, words: &[Word], frame: &Frame, name: &str) {
    let args = &words[1..];
    let literal = |w: &&Word| !w.dynamic;
    match name {
        // Every argument is an arithmetic expression or a name (`let`, `unset`, `read`,
        // `declare`/`typeset`/`local`/`export`/`readonly NAME[=VALUE]`).
        "let" | "unset" | "read" => {
            for w in args.iter().filter(literal) {
                subscript(cx, &w.text, frame);
            }
        }
        "declare" | "typeset" | "local" | "export" | "readonly" => {
            for w in args.iter().filter(literal) {
                let name = w.text.split_once('=').map_or(w.text.as_str(), |(n, _)| n);
                subscript(cx, name, frame);
                assigned_value(cx, w, frame);
            }
        }
        "test" | "[" => {
            for pair in args.windows(2) {
                if pair[0].text == "-v" && !pair[1].dynamic {
                    subscript(cx, &pair[1].text, frame);
                }
            }
        }
        "printf" => {
            if let [flag, var, ..] = args
                && flag.text == "-v"
            {
                subscript(cx, &var.text, frame);
            }
        }
        "mapfile" | "readarray" => {
            let mut i = 0;
            while i < args.len() {
                let t = args[i].text.as_str();
                match t {
                    "-C" => {
                        if let Some(code) = args.get(i + 1) {
                            callback(cx, code, frame, name);
                        }
                        i += 2;
                    }
                    "-d" | "-n" | "-O" | "-s" | "-u" | "-c" => i += 2,
                    _ => {
                        if let Some(code) = t.strip_prefix("-C").filter(|c| !c.is_empty()) {
                            callback(cx, &Word::lit(code), frame, name);
                        } else if !t.starts_with('-') {
                            subscript(cx, t, frame);
                        }
                        i += 1;
                    }
                }
            }
        }
        "compgen" | "complete" => {
            let mut i = 0;
            while i < args.len() {
                let value = args.get(i + 1);
                match (args[i].text.as_str(), value) {
                    ("-C", Some(code)) => callback(cx, code, frame, name),
                    ("-F", Some(func)) => {
                        let hop = frame.hop(&format!("{name} -F"));
                        cx.command(vec![func.clone()], &hop, Stdin::Inherited);
                    }
                    ("-W", Some(list)) if !list.dynamic => {
                        walk_expanded(cx, &list.text, &frame.hop_script("compgen -W"), UNPARSED)
                    }
                    ("-A" | "-G" | "-P" | "-S" | "-X" | "-o" | "-W", Some(_)) => {}
                    _ => {
                        i += 1;
                        continue;
                    }
                }
                i += 2;
            }
        }
        _ => {}
    }
}

/// A command string bash runs (`mapfile -C`, `compgen -C`, `complete -C`).
fn callback(cx: &mut Cx, code: &Word, frame: &Frame, name: &str) {
    if code.dynamic {
        cx.opaque("command string is an expansion", &code.text);
    }
    cx.script(&code.text, &frame.hop_script(&format!("{name} -C")));
}
