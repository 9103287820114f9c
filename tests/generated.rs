//! The committed completions, man page and JSON Schemas must match what the binary generates.
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

/// `schemas/NAME.schema.json` for every shape `gate schema` names, and nothing else there.
#[test]
fn json_schemas_are_current() {
    let env = Env::new();
    let names = env.gate().arg("schema").status(0).run().stdout;
    let names: Vec<&str> = names.lines().collect();
    assert!(
        names.contains(&"check") && names.contains(&"error"),
        "{names:?}"
    );
    let mut wanted = Vec::new();
    for name in &names {
        let file = format!("{name}.schema.json");
        check(&["schema", name], &format!("schemas/{file}"));
        wanted.push(file);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().to_string_lossy().into_owned();
        if wanted.contains(&file) {
            continue;
        }
        if std::env::var_os("GATE_UPDATE_GENERATED").is_some() {
            std::fs::remove_file(entry.path()).unwrap();
        } else {
            panic!(
                "schemas/{file} is no shape of gate's: run `GATE_UPDATE_GENERATED=1 cargo test --test generated` and commit the result"
            );
        }
    }
}
