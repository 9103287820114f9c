//! Arbitrary bytes as a shell script, and split on NUL as an argv: the analyser must never
//! panic, and every simple command it reports must have a program word.
#![no_main]

use gate::analyze::{Analysis, Wrappers, analyze_argv, analyze_script};
use libfuzzer_sys::fuzz_target;

fn check(analysis: &Analysis, what: &str, input: &str) {
    for cmd in &analysis.commands {
        assert!(
            !cmd.words.is_empty(),
            "{what}: SimpleCommand with empty words for input {input:?}: {cmd:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let wrappers = Wrappers::builtin();

    let script = analyze_script(&text, &wrappers);
    check(&script, "analyze_script", &text);

    let argv: Vec<String> = text.split('\0').map(str::to_string).collect();
    let argv_analysis = analyze_argv(&argv, &wrappers);
    check(&argv_analysis, "analyze_argv", &text);
});
