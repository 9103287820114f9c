//! `gate hooks install|uninstall`: gate's entries merged into real settings files, and only
//! those removed; bad files refused, never rewritten.

mod support;

use serde_json::Value;
use support::*;

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn claude_code_settings_are_merged_idempotently_with_a_backup() {
    let env = Env::new();
    let settings = env.home().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = r#"{
  "model": "opus",
  "hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh"}]}]
  }
}
"#;
    std::fs::write(&settings, original).unwrap();

    // A dry run shows the change and makes none.
    let out = env
        .gate()
        .args(["hooks", "install", "claude-code", "--dry-run"])
        .status(0)
        .stdout_contains("+++")
        .run();
    assert!(out.stdout.contains("PostToolUseFailure"), "{}", out.stdout);
    assert_eq!(read(&settings), original);

    env.gate()
        .args(["hooks", "install", "claude-code"])
        .status(0)
        .stdout_contains("written")
        .run();
    let v: Value = serde_json::from_str(&read(&settings)).unwrap();
    assert_eq!(v["model"], "opus");
    let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2, "the user's hook stays: {v}");
    assert_eq!(pre[0]["hooks"][0]["command"], "audit.sh");
    for event in ["PreToolUse", "PostToolUse", "PostToolUseFailure"] {
        let command = v["hooks"][event].as_array().unwrap().last().unwrap()["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            command.ends_with("gate hook claude-code"),
            "{event}: {command}"
        );
        // The absolute path of the gate that installed it.
        assert!(command.starts_with('/'), "{command}");
    }
    assert_eq!(
        read(&settings.with_file_name("settings.json.gate-backup")),
        original
    );

    // Again: nothing changes.
    let before = read(&settings);
    env.gate()
        .args(["hooks", "install", "claude-code"])
        .status(0)
        .stdout_contains("already there")
        .run();
    assert_eq!(read(&settings), before);

    // The hook it wrote answers as gate does.
    let (rc, answer, _) = env.hook(&pre_tool_use("rm -rf /", "tu-1"));
    assert_eq!((rc, decision(&answer)), (0, "deny"));

    // Uninstall removes gate's entries and only those.
    env.gate()
        .args(["hooks", "uninstall", "claude-code"])
        .status(0)
        .run();
    let v: Value = serde_json::from_str(&read(&settings)).unwrap();
    assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["hooks"].get("PostToolUseFailure").is_none(), "{v}");
    assert!(!read(&settings).contains("gate hook"));
}

#[test]
fn codex_config_keeps_its_comments_and_says_how_to_trust_the_hooks() {
    let env = Env::new();
    let config = env.home().join(".codex/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "# mine\nmodel = \"o4-mini\" # keep this\n").unwrap();
    let out = env
        .gate()
        .args(["hooks", "install", "codex"])
        .status(0)
        .stdout_contains("--dangerously-bypass-hook-trust")
        .stdout_contains("/hooks")
        .run();
    assert!(
        out.stdout
            .contains(&format!("{}:pre_tool_use:0:0", config.display())),
        "the trust key Codex uses: {}",
        out.stdout
    );
    let text = read(&config);
    assert!(
        text.starts_with("# mine\nmodel = \"o4-mini\" # keep this\n"),
        "{text}"
    );
    let parsed: toml::Table = text.parse().unwrap();
    assert!(
        parsed["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with("gate hook codex")
    );
    assert!(parsed["hooks"]["PostToolUse"][0]["matcher"].as_str() == Some("Bash"));
    // Uninstalled, the file is what it was.
    env.gate()
        .args(["hooks", "uninstall", "codex"])
        .status(0)
        .run();
    assert_eq!(read(&config), "# mine\nmodel = \"o4-mini\" # keep this\n");
}

#[test]
fn gemini_settings_get_both_events_and_hooks_turned_on() {
    let env = Env::new();
    env.gate()
        .args(["hooks", "install", "gemini"])
        .status(0)
        .run();
    let v: Value = serde_json::from_str(&read(&env.home().join(".gemini/settings.json"))).unwrap();
    assert_eq!(v["hooksConfig"]["enabled"], true);
    assert_eq!(v["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"], 600_000);
    assert_eq!(v["hooks"]["AfterTool"][0]["matcher"], "run_shell_command");
}

#[test]
fn project_settings_go_in_the_project() {
    let env = Env::new();
    let project = env.work().join("proj");
    std::fs::create_dir_all(&project).unwrap();
    env.gate()
        .args(["hooks", "install", "claude-code", "--project"])
        .arg(&project)
        .status(0)
        .run();
    assert!(project.join(".claude/settings.json").is_file());
    assert!(!env.home().join(".claude/settings.json").exists());
}

#[test]
fn bad_settings_are_refused_and_left_as_they_are() {
    let env = Env::new();
    let settings = env.home().join(".gemini/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    // Not JSON: refused, untouched, no backup.
    std::fs::write(&settings, "{ \"theme\": \"dark\", ").unwrap();
    env.gate()
        .args(["hooks", "install", "gemini"])
        .status(78)
        .stderr_contains("not valid JSON")
        .stderr_contains("left as it is")
        .run();
    assert_eq!(read(&settings), "{ \"theme\": \"dark\", ");
    assert!(
        !settings
            .with_file_name("settings.json.gate-backup")
            .exists()
    );
    // `hooks` of the wrong shape: refused too.
    std::fs::write(&settings, r#"{"hooks": ["x"]}"#).unwrap();
    env.gate()
        .args(["hooks", "install", "gemini"])
        .status(78)
        .run();
    assert_eq!(read(&settings), r#"{"hooks": ["x"]}"#);

    // A symlinked settings file is edited where it points; the link stays a link.
    let target = env.work().join("dotfiles-settings.json");
    std::fs::write(&target, r#"{"theme": "dark"}"#).unwrap();
    std::fs::remove_file(&settings).unwrap();
    std::os::unix::fs::symlink(&target, &settings).unwrap();
    env.gate()
        .args(["hooks", "install", "gemini"])
        .status(0)
        .run();
    assert!(
        std::fs::symlink_metadata(&settings)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let v: Value = serde_json::from_str(&read(&target)).unwrap();
    assert_eq!(v["theme"], "dark");
    assert!(v["hooks"]["BeforeTool"].is_array());

    // A read-only file is not replaced.
    if !nix::unistd::getuid().is_root() {
        use std::os::unix::fs::PermissionsExt;
        let claude = env.home().join(".claude/settings.json");
        std::fs::create_dir_all(claude.parent().unwrap()).unwrap();
        std::fs::write(&claude, "{}").unwrap();
        std::fs::set_permissions(&claude, std::fs::Permissions::from_mode(0o444)).unwrap();
        env.gate()
            .args(["hooks", "install", "claude-code"])
            .stderr_contains("read-only")
            .run();
        assert_eq!(read(&claude), "{}");
    }
}
