//! Script files on disk (issue 12 items 11 and 12): what `bash x.sh`, `./x`, `python3 x.py`
//! and `npm run x` run is read and decided; a line that writes a file and runs it is opaque; a
//! symlinked program is decided as its target; `gate -- bash x.sh` runs exactly the bytes
//! analysed. Real files in a temp dir per test, each with its own HOME.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use support::http::{self, HttpRequest, HttpResponse};
use support::{Env, Output};

/// One rule of our own; `rm -rf /` and `rm -rf ~` are denied by gate's built-in protection of
/// its own state.
const PLAIN: &str = r#"
[[rule]]
id = "kubectl-delete"
command = "kubectl delete"
decision = "deny"
"#;

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, body).unwrap();
}

fn write_exec(dir: &Path, name: &str, body: &str) {
    write(dir, name, body);
    std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn run(env: &Env, args: &[&str]) -> Output {
    env.gate().args(args).run()
}

fn check(env: &Env, line: &str) -> Value {
    let out = run(env, &["check", "--json", "--shell", line]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --json for {line:?}: {e}: {}{}",
            out.stdout, out.stderr
        )
    })
}

fn decision(env: &Env, line: &str) -> (String, Value) {
    let v = check(env, line);
    (v["decision"].as_str().unwrap().to_string(), v)
}

fn reasons(v: &Value) -> String {
    v["opaque"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["reason"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn assert_decision(env: &Env, line: &str, want: &str) -> Value {
    let (got, v) = decision(env, line);
    assert_eq!(got, want, "{line:?}: {v}");
    v
}

// Item 12: scripts already on disk.

#[test]
fn a_harmless_script_file_is_allowed_and_runs_at_once() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "run-tests.sh", "echo ran \"$0\" \"$@\"\ntrue\n");
    assert_decision(&env, "bash ./run-tests.sh", "allow");
    // `$0` and `$@` are the script's, also when gate runs it from a sealed copy.
    env.gate()
        .args(["--", "bash", "./run-tests.sh", "a b", "c"])
        .status(0)
        .stdout("ran ./run-tests.sh a b c\n")
        .run();
}

#[test]
fn a_script_file_that_deletes_the_root_is_denied() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "deploy.sh", "set -e\necho deploying\nrm -rf /\n");
    for line in [
        "bash deploy.sh",
        "sh -e ./deploy.sh prod",
        "sudo bash deploy.sh",
    ] {
        let v = assert_decision(&env, line, "deny");
        assert!(v.to_string().contains("rm\",\"-rf\",\"/"), "{line}: {v}");
    }
    let out = run(&env, &["--", "bash", "deploy.sh"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("denied"), "{}", out.stderr);
}

#[test]
fn a_program_file_is_read_as_its_shebang_says() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write_exec(dir, "env-bash.sh", "#!/usr/bin/env bash\nrm -rf ~\n");
    write_exec(
        dir,
        "bin-bash.sh",
        "#!/bin/bash -e\nkubectl delete ns prod\n",
    );
    write_exec(dir, "no-shebang", "rm -rf /\n");
    write_exec(dir, "fine.sh", "#!/bin/sh\necho fine\n");
    assert_decision(&env, "./env-bash.sh", "deny");
    assert_decision(&env, "./bin-bash.sh --now", "deny");
    let abs = dir.join("bin-bash.sh").display().to_string();
    assert_decision(&env, &abs, "deny");
    // execve refuses a text file without a shebang; the calling shell runs it as a script.
    assert_decision(&env, "./no-shebang", "deny");
    assert_decision(&env, "./fine.sh", "allow");
    env.gate()
        .args(["--", "./fine.sh"])
        .status(0)
        .stdout("fine\n")
        .run();
}

#[test]
fn files_gate_cannot_read_stay_opaque_with_the_reason() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    std::fs::write(dir.join("bin.sh"), b"echo hi\0\x01\x02").unwrap();
    write(dir, "big.sh", &"echo hi\n".repeat(40_000));
    write(dir, "secret.sh", "echo hi\n");
    std::fs::set_permissions(
        dir.join("secret.sh"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::create_dir(dir.join("adir")).unwrap();
    let cases = [
        ("bash missing.sh", "does not exist"),
        ("bash bin.sh", "not text"),
        ("bash big.sh", "larger than 256 KiB"),
        ("bash adir", "not a regular file"),
        ("bash \"$F\"", "expansion"),
        ("python3 missing.py", "does not exist"),
        ("bash /proc/self/fd/0", "device or process file"),
    ];
    for (line, why) in cases {
        let v = assert_decision(&env, line, "ask");
        assert!(reasons(&v).contains(why), "{line}: {v}");
    }
    // Root reads any file: the unreadable case only means something for other users.
    if !nix::unistd::geteuid().is_root() {
        let v = assert_decision(&env, "bash secret.sh", "ask");
        assert!(reasons(&v).contains("cannot be read"), "{v}");
    }
}

#[test]
fn python_files_are_read_like_inline_code() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(
        dir,
        "setup.py",
        "from setuptools import setup\nsetup(name=\"demo\", version=\"1.0\")\n",
    );
    write(dir, "evil.py", "import os\nos.system('rm -rf ~')\n");
    assert_decision(&env, "python3 setup.py --version", "allow");
    assert_decision(&env, "python3 evil.py", "deny");
    assert_decision(&env, "python -W ignore evil.py", "deny");
}

#[test]
fn package_scripts_are_read_with_their_pre_and_post_scripts() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(
        dir,
        "package.json",
        &json!({"scripts": {
            "build": "tsc -p .",
            "prelint": "rm -rf ~",
            "lint": "eslint .",
            "test": "bash ./t.sh",
            "start": "node server.js"
        }})
        .to_string(),
    );
    write(dir, "t.sh", "kubectl delete ns prod\n");
    assert_decision(&env, "npm run build", "allow");
    assert_decision(&env, "npm start", "allow");
    assert_decision(&env, "yarn build", "allow");
    assert_decision(&env, "npm run lint", "deny");
    assert_decision(&env, "pnpm run lint", "deny");
    // The test script runs a script file, which is read too.
    assert_decision(&env, "npm test", "deny");
    let v = assert_decision(&env, "npm --prefix ../other run build", "ask");
    assert!(reasons(&v).contains("cannot locate"), "{v}");
}

#[test]
fn nested_script_files_are_followed_a_bounded_depth() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "a.sh", "bash ./b.sh\n");
    write(dir, "b.sh", "sh ./c.sh\n");
    write(dir, "c.sh", "rm -rf /\n");
    assert_decision(&env, "bash a.sh", "deny");
    for i in 0..8 {
        write(dir, &format!("n{i}.sh"), &format!("bash ./n{}.sh\n", i + 1));
    }
    write(dir, "n8.sh", "echo bottom\n");
    let v = assert_decision(&env, "bash n0.sh", "ask");
    assert!(reasons(&v).contains("nested more than 4"), "{v}");
    // A script that runs itself ends at the same bound.
    write(dir, "self.sh", "bash ./self.sh\n");
    assert_decision(&env, "bash self.sh", "ask");
}

#[test]
fn a_script_file_after_cd_is_read_where_it_runs() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "x.sh", "echo harmless\n");
    write(dir, "sub/x.sh", "rm -rf ~\n");
    assert_decision(&env, "bash x.sh", "allow");
    assert_decision(&env, "cd sub && bash x.sh", "deny");
    let v = assert_decision(&env, "cd \"$D\" && bash x.sh", "ask");
    assert!(reasons(&v).contains("working directory"), "{v}");
}

#[test]
fn functions_exported_to_a_script_keep_it_opaque() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "x.sh", "f\n");
    assert_decision(&env, "bash x.sh", "allow");
    for line in [
        "f() { rm -rf /; }; export -f f; bash x.sh",
        "f() { rm -rf /; }; declare -fx f; bash x.sh",
    ] {
        let v = assert_decision(&env, line, "ask");
        assert!(reasons(&v).contains("exports shell functions"), "{v}");
    }
}

// Item 11: write then run in one line.

#[test]
fn a_line_that_writes_a_file_and_runs_it_is_opaque() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "run.sh", "echo old content\n");
    write(dir, "Makefile", "all:\n\techo ok\n");
    write(dir, "package.json", r#"{"scripts":{"build":"tsc"}}"#);
    std::fs::create_dir_all(dir.join(".git/hooks")).unwrap();
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let t = tmp.display();
    let lines = [
        "printf '#!/bin/sh\\nrm -rf ~\\n' > x && chmod +x x && ./x".to_string(),
        format!("cp /bin/rm {t}/r && {t}/r -rf ~"),
        format!("ln -sf \"$(command -v kubectl)\" {t}/k && {t}/k delete ns prod"),
        "cat > run.sh <<EOF\nrm -rf ~\nEOF\nbash run.sh".to_string(),
        "echo 'rm -rf ~' >> run.sh; bash ./run.sh".to_string(),
        "printf 'all:\\n\\trm -rf ~\\n' > Makefile && make".to_string(),
        "printf '#!/bin/sh\\nrm -rf ~\\n' > .git/hooks/pre-commit && git commit -m x".to_string(),
        "npm pkg set scripts.build='rm -rf ~' && npm run build".to_string(),
        "curl -o x.py https://example.com/x.py && python3 x.py".to_string(),
        "while true; do ./x; cp /bin/rm x; done".to_string(),
    ];
    for line in &lines {
        let (d, v) = decision(&env, line);
        assert_ne!(d, "allow", "{line:?}: {v}");
        assert!(
            reasons(&v).contains("this line writes"),
            "{line:?} should say it runs a file it writes: {v}"
        );
    }
}

#[test]
fn look_alike_lines_stay_allowed() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    write(dir, "run-tests.sh", "cargo test\n");
    write_exec(dir, "configure", "#!/bin/sh\necho configured\n");
    write(dir, "setup.py", "print(\"1.0\")\n");
    write(dir, "Makefile", "all:\n\techo ok\n");
    for line in [
        "cargo build && ./target/debug/app --help",
        "echo hi > out.txt && cat out.txt",
        "bash ./run-tests.sh",
        "bash ./run-tests.sh > test.log 2>&1",
        "./configure && make",
        "python3 setup.py --version",
        "./configure; shellcheck configure",
        "rm -f out.txt && ./configure",
        "npm pkg get name",
    ] {
        assert_decision(&env, line, "allow");
    }
}

#[test]
fn a_symlinked_program_is_decided_as_its_target() {
    let env = Env::with_policy(PLAIN);
    let dir = &env.work();
    // A stand-in kubectl: a binary, so gate does not read it as a script.
    std::fs::create_dir(dir.join("bin")).unwrap();
    std::fs::write(dir.join("bin/kubectl"), b"\x7fELF\0\0\0").unwrap();
    std::fs::set_permissions(
        dir.join("bin/kubectl"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.join("bin/kubectl"), dir.join("k")).unwrap();
    let v = assert_decision(&env, "./k delete ns prod", "deny");
    assert!(v.to_string().contains("symlink"), "{v}");
    assert_decision(&env, "./k get pods", "allow");
}

// Exactly the bytes analysed run.

/// A webhook that, when asked to approve, first rewrites `file` to `swap` and then approves:
/// the file changes after gate decided and before it runs the command.
fn swapping_webhook(file: std::path::PathBuf, swap: &'static str) -> String {
    http::serve(Arc::new(move |req: &HttpRequest| {
        if req.method == "POST" {
            std::fs::write(&file, swap).unwrap();
        }
        HttpResponse::json(200, json!({"decision": "approve", "approver": "alice"}))
    }))
}

fn webhook_policy(url: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["webhook"]
timeout = "10s"

[webhook]
url = "{url}/hook"
poll_interval = "100ms"

[[rule]]
id = "echo-ask"
command = "echo"
decision = "ask"
risk = "high"
"#
    )
}

#[test]
fn the_script_that_runs_is_the_one_analysed_even_if_the_file_changes() {
    for (argv, body) in [
        (
            vec!["bash", "script.sh", "x"],
            "echo ORIGINAL \"$0\" \"$1\"\n",
        ),
        (
            vec!["sh", "-e", "script.sh", "x"],
            "echo ORIGINAL \"$0\" \"$1\"\n",
        ),
        (
            vec!["./script.sh", "x"],
            "#!/bin/sh -e\necho ORIGINAL \"$0\" \"$1\"\n",
        ),
    ] {
        let env = Env::with_policy(PLAIN).var("GATE_WEBHOOK_SECRET", "s3cret");
        let script = env.work().join("script.sh");
        let url = swapping_webhook(script.clone(), "#!/bin/sh\necho SWAPPED\n");
        env.policy(&webhook_policy(&url));
        write_exec(&env.work(), "script.sh", body);
        let out = run(&env, &[&["--"], &argv[..]].concat());
        assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
        assert_eq!(
            out.stdout,
            format!("ORIGINAL {} x\n", argv[argv.len() - 2]),
            "{argv:?}"
        );
        // The file did change: a run without the sealed copy would have printed SWAPPED.
        assert!(
            std::fs::read_to_string(&script)
                .unwrap()
                .contains("SWAPPED"),
            "{argv:?}: the webhook did not swap the file"
        );
    }
}
