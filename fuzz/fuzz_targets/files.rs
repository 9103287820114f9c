//! Arbitrary text as the files gate reads commands from.
//!
//! gate has no reader of `package.json` or of script files yet (a script-file reader is being
//! built on another branch); until it lands this target feeds the text through the entry points
//! that exist and that such a reader will use: the text as a whole script file
//! (`analyze_script`, with and without a shebang, and as `bash -c`'s string), and, when it is
//! JSON, every string of its `scripts` object (what `npm run NAME` runs) as a script. Replace
//! the stand-ins with the real reader's functions when it is merged.
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

    // As a script file.
    check(&analyze_script(&text, &wrappers), "script file", &text);
    let with_shebang = format!("#!/bin/sh\nset -eu\n{text}\n");
    check(&analyze_script(&with_shebang, &wrappers), "shebang", &text);
    let argv = vec!["bash".to_string(), "-c".to_string(), text.to_string()];
    check(&analyze_argv(&argv, &wrappers), "bash -c", &text);

    // As a package.json.
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(scripts) = json.get("scripts").and_then(|s| s.as_object()) {
            for (name, body) in scripts {
                if let Some(body) = body.as_str() {
                    check(&analyze_script(body, &wrappers), name, body);
                }
            }
        }
    }
});
