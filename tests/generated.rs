//! The committed completions and man page must match what the binary generates.
//! Regenerate with: GATE_UPDATE_GENERATED=1 cargo test --test generated

mod support;

use support::*;

fn check(args: &[&str], path: &str) {
    let env = Env::new();
    let out = env.gate().args(args).status(0).run();
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("GATE_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, &out.stdout_bytes).unwrap();
        return;
    }
    let committed = std::fs::read(&full).unwrap_or_default();
    assert!(
        committed == out.stdout_bytes,
        "{path} is stale: run `GATE_UPDATE_GENERATED=1 cargo test --test generated` and commit the result"
    );
}

#[test]
fn completions_are_current() {
    check(&["completions", "bash"], "completions/gate.bash");
    check(&["completions", "zsh"], "completions/_gate");
    check(&["completions", "fish"], "completions/gate.fish");
    check(&["completions", "elvish"], "completions/gate.elv");
    check(&["completions", "powershell"], "completions/_gate.ps1");
}

#[test]
fn man_page_is_current() {
    check(&["man"], "man/gate.1");
}
