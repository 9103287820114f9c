//! Grammar-aware fuzzing of the shell analyser: the input bytes choose fragments of the syntax
//! gate claims to understand (functions defined and called, `time {`, `coproc`, arithmetic,
//! `${x@P}`, `mapfile -C`, here-documents, `$'…'`, `&>`, nested `bash -c`, `$( )`, backticks,
//! quotes, …) and glue them into a script, so that libFuzzer explores combinations of real
//! constructs instead of mostly unparsable bytes. The analyser must never panic, every command it
//! reports has a program word, and analysing the same script twice gives the same answer.
#![no_main]

use gate::analyze::{Analysis, Wrappers, analyze_script};
use libfuzzer_sys::fuzz_target;

/// Fragments; `@` is replaced by a nested fragment (up to a small depth), `%` by a word.
const FRAGMENTS: &[&str] = &[
    "a @",
    "@; @",
    "@ && @",
    "@ || @",
    "@ | @",
    "@ |\n@",
    "@ & @",
    "@\n@",
    "( @ )",
    "{ @; }",
    "if @; then @; elif @; then @; else @; fi",
    "for x in % %; do @; done",
    "while @; do @; break; done",
    "until @; do @; done",
    "case % in %) @;; *) @;; esac",
    "f() { @; }; f %",
    "function g { @; }; g",
    "f() ( @ ); f",
    "time { @; }",
    "time -p @",
    "! @",
    "coproc @",
    "coproc NAME { @; }",
    "echo $(( % + 1 ))",
    "(( x = % ))",
    "echo $[ 1 + 2 ]",
    "x='$(@)'; echo ${x@P}",
    "PS1='`@`' echo ${PS1@P}",
    "mapfile -C '@' -c 1 arr < /dev/null",
    "readarray -C @ arr",
    "cat <<E\n$(@)\nE\n",
    "cat <<'E'\n$(@)\nE\n",
    "cat <<-\tE\n\t`@`\n\tE\n",
    "bash <<E\n@\nE\n",
    "a <<E1 <<E2\n%\nE1\n$(@)\nE2\n",
    "$'r\\x6d' -rf %",
    "a $'%\\'' %",
    "@ &> /dev/null",
    "@ &>> log",
    "@ 2>&1 >/dev/null",
    "@ >| f",
    "a % 2>/dev/null %",
    "bash -c '@'",
    "sh -c \"@\"",
    "bash -euo pipefail -c '@' arg0",
    "env X=1 nice -n 5 timeout 5 @",
    "xargs -I{} @ {}",
    "sudo -u root @",
    "echo $(@)",
    "echo `@`",
    "echo \"$(@) and `@`\"",
    "a <(@) >(@)",
    "a <<< \"$(@)\"",
    "X=$(@) a",
    "export Y=\"$(@)\"",
    "local z=$(@)",
    "declare -x PAGER='@'",
    "trap '@' EXIT",
    "eval '@'",
    "${x:-$(@)}",
    "a ${x:+\"$(@)\"}",
    "[[ -n $(@) ]]",
    "k'ube'ctl %",
    "\\rm %",
    "\"rmx\" %",
    "a \\\n%",
    "# comment $(@)\n@",
    "exec @",
    "command @",
    "builtin @",
    "select x in %; do @; break; done",
];

const WORDS: &[&str] = &[
    "x", "-rf", "/", "'p q'", "\"$v\"", "$v", "${v}", "~", "*", "{a,b}", "$'\\t'", "''", "--",
    "$((2*3))", "\"$@\"", "$#", "=", "a=b", "2>", ";;", "\\;", "é", "`b`",
];

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = self.data.get(self.pos).copied();
        self.pos += 1;
        b
    }
}

fn build(input: &mut Input, out: &mut String, depth: usize) {
    let Some(b) = input.byte() else {
        out.push('a');
        return;
    };
    // A byte past the fragment table is a literal byte of text: the fuzzer can still break
    // the syntax anywhere.
    let Some(frag) = FRAGMENTS.get(b as usize) else {
        out.push(char::from(b));
        return;
    };
    for c in frag.chars() {
        match c {
            '@' if depth < 6 => build(input, out, depth + 1),
            '@' => out.push('b'),
            '%' => {
                let w = input.byte().unwrap_or(0) as usize;
                out.push_str(WORDS[w % WORDS.len()]);
            }
            c => out.push(c),
        }
    }
}

fn check(analysis: &Analysis, script: &str) {
    for cmd in &analysis.commands {
        assert!(
            !cmd.words.is_empty(),
            "SimpleCommand with empty words for {script:?}: {cmd:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data, pos: 0 };
    let mut script = String::new();
    while input.pos < data.len() && script.len() < 64 * 1024 {
        build(&mut input, &mut script, 0);
    }
    let wrappers = Wrappers::builtin();
    let first = analyze_script(&script, &wrappers);
    check(&first, &script);
    let again = analyze_script(&script, &wrappers);
    assert_eq!(first, again, "two analyses of {script:?} differ");
});
