//! Every example in the README is exercised: each TOML block is a valid policy whose inline
//! tests pass, each JSON block parses, and the quick start names the two set-up commands.

mod support;

use support::*;

fn blocks(lang: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("closed fence");
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

#[test]
fn every_toml_example_is_a_valid_policy_whose_tests_pass() {
    let env = Env::new();
    let toml = blocks("toml");
    assert!(toml.len() >= 5, "expected the README's policy examples");
    for (i, block) in toml.iter().enumerate() {
        let file = env.work().join(format!("example{i}.toml"));
        std::fs::write(&file, block).unwrap();
        let out = env.gate().args(["rules", "lint"]).arg(&file).run();
        assert_eq!(
            out.code, 0,
            "README toml block {i} fails lint:\n{block}\n{}{}",
            out.stdout, out.stderr
        );
    }
}

#[test]
fn every_json_example_parses() {
    for block in blocks("json") {
        serde_json::from_str::<serde_json::Value>(&block)
            .unwrap_or_else(|e| panic!("{e}:\n{block}"));
    }
}

#[test]
fn the_readme_examples_behave_as_described() {
    let env = Env::new();
    // gate -- rm -rf /: denied, never runs.
    env.gate()
        .args(["check", "--", "rm", "-rf", "/"])
        .status(2)
        .run();
    env.gate()
        .args(["check", "--", "git", "push", "--force", "origin", "main"])
        .status(1)
        .run();
    env.gate()
        .args(["check", "--", "kubectl", "delete", "ns", "prod"])
        .status(1)
        .run();
    let shell = |line: &str| env.gate().args(["check", "--shell", line]);
    shell("cd /srv && sudo bash -lc \"rm -rf /\"")
        .status(2)
        .run();
    shell("python3 -c \"import os; os.system('rm -rf /')\"")
        .status(2)
        .run();
    for harmless in [
        "echo \"rm -rf /\"",
        "git commit -m \"kubectl delete ns prod\"",
        "grep 'rm -rf' notes.md",
        "rm -rf ./build",
    ] {
        shell(harmless).status(0).run();
    }
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let quick = &readme[readme.find("## Quick start").unwrap()..];
    let first_block = &quick[quick.find("```sh\n").unwrap()..];
    let first_block = &first_block[..first_block[6..].find("```").unwrap()];
    assert!(first_block.contains("./install.sh") && first_block.contains("gate -- echo hello"));
    assert!(first_block.contains("cargo test"));
}

/// The agent hook recipes name `gate hook` commands gate accepts, for the tool names each agent
/// sends (the hooks themselves are exercised in tests/agents.rs).
#[test]
fn the_agent_hook_recipes_register_the_right_commands() {
    let env = Env::new();
    let accepted = |cmd: &str| {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(&words[..2], ["gate", "hook"], "{cmd}");
        let out = env.gate().args(&words[1..]).arg("--help").run();
        assert!(out.status.success(), "{cmd}: {}", out.stderr);
    };
    // Claude Code and Gemini CLI: JSON settings.
    let mut seen = Vec::new();
    for block in blocks("json") {
        let v: serde_json::Value = serde_json::from_str(&block).unwrap();
        let Some(hooks) = v.get("hooks").and_then(|h| h.as_object()) else {
            continue;
        };
        for (event, entries) in hooks {
            for entry in entries.as_array().unwrap() {
                for h in entry["hooks"].as_array().unwrap() {
                    let cmd = h["command"].as_str().unwrap();
                    accepted(cmd);
                    let matcher = entry["matcher"].as_str().unwrap();
                    match cmd {
                        // PreToolUse also sees the file tools, so they cannot write gate's files.
                        "gate hook claude-code" if event == "PreToolUse" => {
                            assert_eq!(matcher, "Bash|Write|Edit|MultiEdit|NotebookEdit")
                        }
                        "gate hook claude-code" => assert_eq!(matcher, "Bash"),
                        "gate hook gemini" if event == "BeforeTool" => {
                            assert_eq!(matcher, "run_shell_command|write_file|replace");
                        }
                        "gate hook gemini" => {
                            assert_eq!(event, "AfterTool");
                            assert_eq!(matcher, "run_shell_command");
                        }
                        other => panic!("unexpected hook command {other}"),
                    }
                    seen.push(cmd.to_string());
                }
            }
        }
    }
    // Codex CLI: TOML in ~/.codex/config.toml.
    let codex = blocks("toml codex");
    assert_eq!(codex.len(), 1);
    let v: toml::Value = toml::from_str(&codex[0]).expect("the Codex recipe is TOML");
    for (event, matcher) in [("PreToolUse", "Bash|apply_patch"), ("PostToolUse", "Bash")] {
        let entry = &v["hooks"][event][0];
        assert_eq!(entry["matcher"].as_str(), Some(matcher));
        let cmd = entry["hooks"][0]["command"].as_str().unwrap();
        assert_eq!(cmd, "gate hook codex");
        accepted(cmd);
        seen.push(cmd.to_string());
    }
    for want in [
        "gate hook claude-code",
        "gate hook gemini",
        "gate hook codex",
    ] {
        assert!(seen.iter().any(|s| s == want), "no recipe registers {want}");
    }
}

/// What the README shows for each agent is what `gate hooks install` writes (with `gate` for
/// the absolute path).
#[test]
fn the_readme_recipes_are_what_hooks_install_writes() {
    let env = Env::new();
    for agent in ["claude-code", "gemini", "codex"] {
        env.gate().args(["hooks", "install", agent]).status(0).run();
    }
    let exe = |cmd: &str| {
        let (program, rest) = cmd.split_once(" hook ").unwrap();
        assert!(
            program.starts_with('/') && program.ends_with("gate"),
            "{cmd}"
        );
        format!("gate hook {rest}")
    };
    let hooks_of = |v: &serde_json::Value| -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (event, entries) in v["hooks"].as_object().unwrap() {
            for entry in entries.as_array().unwrap() {
                for h in entry["hooks"].as_array().unwrap() {
                    out.push((
                        event.clone(),
                        entry["matcher"].as_str().unwrap().to_string(),
                        h["command"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        out.sort();
        out
    };
    let readme_json: Vec<serde_json::Value> = blocks("json")
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .filter(|v: &serde_json::Value| v.get("hooks").is_some())
        .collect();
    for (file, needle) in [
        (".claude/settings.json", "gate hook claude-code"),
        (".gemini/settings.json", "gate hook gemini"),
    ] {
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(env.home().join(file)).unwrap()).unwrap();
        let written: Vec<_> = hooks_of(&written)
            .into_iter()
            .map(|(e, m, c)| (e, m, exe(&c)))
            .collect();
        let shown = readme_json
            .iter()
            .find(|v| v.to_string().contains(needle))
            .unwrap();
        assert_eq!(written, hooks_of(shown), "{file}");
    }
    let written: toml::Value =
        toml::from_str(&std::fs::read_to_string(env.home().join(".codex/config.toml")).unwrap())
            .unwrap();
    let shown: toml::Value = toml::from_str(&blocks("toml codex")[0]).unwrap();
    for event in ["PreToolUse", "PostToolUse"] {
        let w = &written["hooks"][event][0];
        let s = &shown["hooks"][event][0];
        assert_eq!(w["matcher"], s["matcher"], "{event}");
        assert_eq!(
            exe(w["hooks"][0]["command"].as_str().unwrap()),
            s["hooks"][0]["command"].as_str().unwrap()
        );
        assert_eq!(
            w["hooks"][0]["timeout"], s["hooks"][0]["timeout"],
            "{event}"
        );
    }
}
