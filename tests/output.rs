//! What gate shows a person: colour decided per stream, one error style, `--channel` checked.

mod support;

use std::os::fd::AsFd;

use support::*;

/// Colour is decided for each stream: `--color` wins, then NO_COLOR, then CLICOLOR_FORCE, then
/// whether that stream is a terminal.
#[test]
fn colour_is_decided_per_stream() {
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    let escapes = |out: &str| out.contains('\x1b');
    // Piped (the harness sets NO_COLOR=1).
    let out = env.gate().args(["log"]).run();
    assert!(!escapes(&out.stdout), "{:?}", out.stdout);
    let out = env.gate().args(["--color", "always", "log"]).run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
    let out = env.gate().args(["log", "--color=always"]).run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
    let out = env
        .gate()
        .args(["log", "--color", "never"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .run();
    assert!(!escapes(&out.stdout), "{:?}", out.stdout);
    let forced = |value: &str| {
        env.gate()
            .args(["log", "--bogus"])
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", value)
            .status(64)
            .run()
            .stderr
    };
    assert!(escapes(&forced("1")), "CLICOLOR_FORCE=1");
    assert!(!escapes(&forced("0")), "CLICOLOR_FORCE=0");
    assert!(!escapes(&forced("")), "CLICOLOR_FORCE=");
    let both = env
        .gate()
        .arg("log")
        .env("CLICOLOR_FORCE", "1")
        .run()
        .stdout;
    assert!(
        !escapes(&both),
        "NO_COLOR wins over CLICOLOR_FORCE: {both:?}"
    );
    let out = env
        .gate()
        .args(["--color", "always", "check", "--", "rm", "-rf", "/"])
        .status(2)
        .run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
}

/// `gate log > file` from a terminal: stderr is the terminal, stdout the file, which gets no
/// escape codes; the terminal does, for an error.
#[test]
fn a_log_redirected_to_a_file_has_no_escape_codes() {
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    let pty = nix::pty::openpty(None, None).unwrap();
    let file = env.work().join("log.txt");
    let run = |args: &[&str]| {
        let mut cmd = env.gate().args(args).env_remove("NO_COLOR").command();
        cmd.stdout(std::fs::File::create(&file).unwrap())
            .stderr(std::fs::File::from(pty.slave.try_clone().unwrap()))
            .stdin(std::process::Stdio::null());
        cmd.status().unwrap()
    };
    assert!(run(&["log"]).success());
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("STATUS"), "{written}");
    assert!(!written.contains('\x1b'), "{written:?}");
    // The terminal on stderr is coloured.
    assert_eq!(run(&["log", "--bogus"]).code(), Some(64));
    let mut buf = [0u8; 4096];
    let n = nix::unistd::read(pty.master.as_fd(), &mut buf).unwrap();
    let shown = String::from_utf8_lossy(&buf[..n]);
    assert!(shown.contains("\x1b["), "{shown:?}");
    assert!(shown.contains("gate: error:"), "{shown:?}");
}

/// Every error line reads `gate: error: …`, clap's usage errors (exit 64, with its tips) as
/// gate's own; help and version go to stdout with exit 0.
#[test]
fn one_error_style() {
    let env = Env::new();
    let out = env.gate().args(["log", "--limt", "3"]).status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: unexpected argument '--limt' found"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--limit"),
        "clap's suggestion: {}",
        out.stderr
    );
    assert!(out.stderr.contains("Usage: gate log"), "{}", out.stderr);
    let out = env
        .gate()
        .args(["--color", "sometimes", "log"])
        .status(64)
        .run();
    assert!(
        out.stderr
            .starts_with("gate: error: invalid value 'sometimes'"),
        "{}",
        out.stderr
    );
    let out = env.gate().args(["--reason", "x", "log"]).status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: --reason goes with a command to run"),
        "{}",
        out.stderr
    );
    env.gate()
        .args(["--color", "never", "lgo"])
        .status(64)
        .stderr_contains("gate: error: `lgo` is not a gate command: did you mean `gate log`?")
        .run();
    let out = env.gate().arg("rules").status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: a subcommand is needed"),
        "{}",
        out.stderr
    );
    // gate's own errors.
    env.gate().args(["--", "true"]).status(0).run();
    let out = env.gate().args(["show", "zzzzzz"]).status(1).run();
    assert!(
        out.stderr.starts_with("gate: error: no request `zzzzzz`"),
        "{}",
        out.stderr
    );
    for out in [
        env.gate().args(["log", "--bogus"]).run(),
        env.gate().args(["show"]).run(),
        env.gate().args(["check", "--nope"]).run(),
    ] {
        assert_eq!(out.code, 64, "{}", out.stderr);
        assert!(
            out.stderr.lines().all(|l| !l.starts_with("error:")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.starts_with("gate: error: "), "{}", out.stderr);
    }
    for args in [
        &["--help"][..],
        &["--version"],
        &["log", "--help"],
        &["help", "log"],
    ] {
        let out = env.gate().args(args).status(0).run();
        assert!(!out.stdout.is_empty() && out.stderr.is_empty(), "{args:?}");
    }
}

/// `--channel` names a channel gate has; a near miss gets a suggestion. Nothing runs.
#[test]
fn unknown_channels_are_usage_errors() {
    let env = Env::new();
    env.gate()
        .args(["--channel", "foo", "--", "true"])
        .status(64)
        .stderr_contains(
            "gate: error: unknown channel `foo`: the channels are terminal, local, slack, webhook",
        )
        .run();
    env.gate()
        .args(["--channel", "local", "--channel", "slak", "--", "true"])
        .status(64)
        .stderr_contains("did you mean `slack`?")
        .run();
    env.gate()
        .args(["run", "--channel", "Terminal", "--", "true"])
        .status(64)
        .stderr_contains("did you mean `terminal`?")
        .run();
    env.gate()
        .args(["shell", "--channel", "hook", "-c", "true"])
        .status(64)
        .stderr_contains("unknown channel `hook`")
        .run();
    assert!(!env.ledger().exists(), "nothing was recorded");
    // Known channels pass.
    env.gate()
        .args(["--channel", "local", "--", "true"])
        .status(0)
        .run();
}
