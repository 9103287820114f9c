//! `gate man`: the whole manual in one page, gate(1). The name, synopsis, description and
//! options come from the command line definition (clap_mangen); every subcommand is a part of
//! COMMANDS, generated from the same definition; the policy syntax, FILES, ENVIRONMENT, EXIT
//! STATUS and EXAMPLES are written here, naming the constants the code uses, so the page cannot
//! point at pages that do not exist or at files gate does not read.

use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};

use crate::cli::Cli;
use crate::env_vars as env;

/// The man page as roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    commands(&mut roff, &cmd);
    policy(&mut roff);
    files(&mut roff);
    environment(&mut roff);
    exit_status(&mut roff);
    examples(&mut roff);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        roman("The README in gate's source has the whole guide; "),
        bold("gate rules list"),
        roman(" shows every rule in force; "),
        bold("gate doctor"),
        roman(" says what to fix. "),
        bold("sudo"),
        roman("(8), "),
        bold("sh"),
        roman("(1)."),
    ]);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(format!("v{}", env!("CARGO_PKG_VERSION")))]);
    roff.to_writer(&mut out)?;
    Ok(out)
}

/// One part per subcommand, nested ones under their parent: usage, what it does, its options.
fn commands(roff: &mut Roff, root: &clap::Command) {
    roff.control("SH", ["COMMANDS"]);
    roff.text([roman(
        "Without a subcommand, gate runs the COMMAND after -- under the policy. The subcommands (each also takes -h for a summary):",
    )]);
    let mut stack: Vec<(String, &clap::Command)> = root
        .get_subcommands()
        .map(|c| (format!("gate {}", c.get_name()), c))
        .collect();
    stack.reverse();
    while let Some((name, cmd)) = stack.pop() {
        if cmd.is_hide_set() {
            continue;
        }
        let subs: Vec<&clap::Command> =
            cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
        roff.control("SS", [name.as_str()]);
        let mut usage = cmd.clone().bin_name(&name);
        let usage = usage.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").to_string();
        roff.control("nf", []);
        roff.text([bold(usage)]);
        roff.control("fi", []);
        let about = cmd
            .get_long_about()
            .or(cmd.get_about())
            .map(|s| s.to_string())
            .unwrap_or_default();
        for para in about.split("\n\n") {
            roff.control("PP", []);
            roff.text([roman(para.replace('\n', " "))]);
        }
        for arg in cmd.get_arguments() {
            if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            roff.control("TP", []);
            roff.text(arg_spec(arg));
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|s| s.to_string())
                .unwrap_or_default();
            let values = if arg.get_action().takes_values() {
                arg.get_possible_values()
            } else {
                Vec::new()
            };
            let values: Vec<String> = values
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            let mut text = help.replace('\n', " ");
            if !values.is_empty() && !text.contains(&values.join(", ")) {
                text.push_str(&format!(" [one of: {}]", values.join(", ")));
            }
            roff.text([roman(text)]);
        }
        for sub in subs.into_iter().rev() {
            stack.push((format!("{name} {}", sub.get_name()), sub));
        }
    }
}

fn arg_spec(arg: &clap::Arg) -> Vec<roff::Inline> {
    let value = arg
        .get_value_names()
        .map(|v| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let takes_value = arg.get_action().takes_values();
    let mut out = Vec::new();
    match (arg.get_short(), arg.get_long()) {
        (None, None) => out.push(italic(value)),
        (short, long) => {
            let mut names = Vec::new();
            if let Some(s) = short {
                names.push(format!("-{s}"));
            }
            if let Some(l) = long {
                names.push(format!("--{l}"));
            }
            out.push(bold(names.join(", ")));
            if takes_value {
                out.push(roman(" "));
                out.push(italic(value));
            }
        }
    }
    out
}

fn para(roff: &mut Roff, text: &str) {
    roff.control("PP", []);
    roff.text([roman(text)]);
}

fn item(roff: &mut Roff, term: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(term)]);
    roff.text([roman(text)]);
}

fn block(roff: &mut Roff, text: &str) {
    roff.control("PP", []);
    roff.control("RS", ["4"]);
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line)]);
        roff.control("br", []);
    }
    roff.control("fi", []);
    roff.control("RE", []);
}

fn policy(roff: &mut Roff) {
    roff.control("SH", ["POLICY"]);
    para(
        roff,
        "The policy is TOML. Layers: the system policy, then the user policy (or the file of \
--policy / GATE_POLICY in its place), then the built-in default when no file exists. The system \
layer's [defaults] win; rules from every layer and every enabled pack add up; an invalid policy \
anywhere is never half-applied (exit 78). A command's decision is the strictest of every rule \
that matches it, and defaults.decision when none does.",
    );
    item(
        roff,
        "[defaults]",
        "decision (allow, ask, deny), timeout (90s, 15m), channels (terminal, local, slack, \
webhook), require_reason, sync, packs.",
    );
    item(
        roff,
        "packs",
        "Built-in rule packs to enable: [\"all\"], a list of pack names, or [] for none. A \
policy with no packs key anywhere has every pack on.",
    );
    item(
        roff,
        "[[rule]]",
        "id (unique), command (word patterns: the program, then words that must follow in order; \
a|b alternatives, * and ? globs, ** across /) or regex, flags (options that must all be present, \
in any spelling), unless (globs that exempt), value_options, when (env, cwd, user, agent, ci), \
decision, message, risk (low, medium, high, critical), approvers, quorum, timeout, channels, \
reuse, tests = { hit = [...], miss = [...] }.",
    );
    item(
        roff,
        "[approvers]",
        "Named groups of identities: alice (an OS user), user:alice, slack:U0123, email:a@b.c.",
    );
    item(
        roff,
        "[identity]",
        "The requester's own identities on other channels, refused as approvers of their requests.",
    );
    item(
        roff,
        "[slack], [webhook]",
        "The channels' settings; tokens and secrets are read from environment variables the \
policy names, never from the file.",
    );
    para(roff, "A short policy:");
    block(
        roff,
        r#"[defaults]
decision = "allow"
channels = ["terminal", "local"]
packs = ["all"]

[approvers]
sre = ["alice", "bob"]

[[rule]]
id = "prod-namespace-delete"
command = "kubectl delete ns|namespace"
decision = "ask"
risk = "critical"
approvers = ["sre"]
quorum = 2
message = "Deleting a namespace takes its workloads with it."
tests = { hit = ["kubectl delete ns prod"], miss = ["kubectl get ns"] }"#,
    );
    para(
        roff,
        "gate rules lint checks a policy and runs its tests; gate check -- COMMAND says which \
rules match and why.",
    );
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    item(
        roff,
        crate::policy::SYSTEM_POLICY,
        "The system policy: used only when owned by root and not writable by group or others.",
    );
    item(
        roff,
        "$XDG_CONFIG_HOME/gate/policy.toml",
        "The user policy (default ~/.config/gate/policy.toml); gate init writes a starter one.",
    );
    item(
        roff,
        "$XDG_DATA_HOME/gate/ledger.db",
        "The ledger (default ~/.local/share/gate/ledger.db, or GATE_LEDGER): SQLite, one hash \
chain of events, mode 0600.",
    );
    for (suffix, what) in [
        (
            ".key",
            "the ledger's key (keyed hashes of command lines, seals of votes)",
        ),
        (
            ".intake",
            "decisions written by the quick path, folded into the chain later",
        ),
        (
            ".checkpoints",
            "checkpoints of the chain, to post elsewhere",
        ),
        (
            ".checkpoints.posted",
            "what each destination was sent (and its lock)",
        ),
    ] {
        item(
            roff,
            &format!("ledger.db{suffix}"),
            &format!("Beside the ledger: {what}."),
        );
    }
    item(
        roff,
        &format!(
            "PREFIX/lib/gate/protected.toml, {}",
            crate::protected::DEFAULT_STATE_DIR
        ),
        "The protected install (sudo ./install.sh --system): the binary setgid gate, the file \
beside it naming the shared ledger's directory (root:gate 2770, its files root:gate 0660, the key \
0640) and the system policy's; GATE_LEDGER and the XDG variables then choose nothing gate writes.",
    );
    item(
        roff,
        "$XDG_DATA_HOME/gate/shims",
        "PATH shims written by gate shim install (or GATE_SHIM_DIR).",
    );
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        (
            env::GATE_POLICY,
            "A policy file replacing the user policy (as --policy).",
        ),
        (env::GATE_LEDGER, "The ledger file."),
        (
            env::GATE_AGENT,
            "The requesting agent's or job's name (as --as).",
        ),
        (
            env::GATE_HOOK_ASK,
            "claude or gate: who asks a person when a Claude Code hook's command needs approval.",
        ),
        (env::GATE_LOG, "debug: timings and details on stderr."),
        (env::GATE_REASON, "The reason shimmed commands give."),
        (env::GATE_SHIM_DIR, "Where gate shim writes its shims."),
        (
            env::GATE_SLACK_TOKEN,
            "The Slack bot token (the policy's token_env may name another variable).",
        ),
        (
            env::GATE_SLACK_APP_TOKEN,
            "The Slack app-level token for Socket Mode (app_token_env).",
        ),
        (
            env::GATE_WEBHOOK_SECRET,
            "The webhook's HMAC key (secret_env).",
        ),
        (
            env::NO_COLOR,
            "When set and not empty, no colour (unless --color always).",
        ),
        (
            env::CLICOLOR_FORCE,
            "When set and not 0, colour even when not writing to a terminal.",
        ),
        (
            env::XDG_CONFIG_HOME,
            "Where the user policy lives (default ~/.config).",
        ),
        (
            env::XDG_DATA_HOME,
            "Where the ledger and shims live (default ~/.local/share).",
        ),
        (env::HOME, "The base of the defaults above."),
    ] {
        item(roff, name, what);
    }
    para(
        roff,
        "CI, GITHUB_ACTIONS, GITLAB_CI, BUILDKITE, JENKINS_URL and CIRCLECI mark a CI job (gate \
never prompts there); CLAUDECODE, CODEX_SANDBOX, GEMINI_CLI and others mark an agent, whose \
requests the terminal never answers.",
    );
}

fn exit_status(roff: &mut Roff) {
    use crate::exit::Exit;
    roff.control("SH", ["EXIT STATUS"]);
    para(
        roff,
        "gate -- COMMAND exits with the command's own status when it ran (128+N when a signal N \
ended it), and otherwise:",
    );
    for (exit, what) in [
        (
            Exit::Usage,
            "usage error (a bad option, an unknown subcommand or channel)",
        ),
        (
            Exit::Unavailable,
            "approval needed but no approval channel could be used",
        ),
        (
            Exit::Ledger,
            "the ledger cannot be written or is not as it must be: nothing ran",
        ),
        (Exit::Expired, "nobody answered in time"),
        (Exit::Denied, "denied, by the policy or by a person"),
        (
            Exit::Config,
            "the policy is invalid (the message names the file and line)",
        ),
        (Exit::CannotExecute, "the command cannot be executed"),
        (Exit::NotFound, "the command was not found"),
        (
            Exit::Cancelled,
            "cancelled by the requester (Ctrl-C at the prompt)",
        ),
    ] {
        item(roff, &exit.code().to_string(), what);
    }
    para(
        roff,
        "gate check exits 0 for allow, 1 for ask and 2 for deny. gate verify and gate doctor \
exit 0 when all is well and 1 when something is not. An agent hook answers in its agent's own \
terms (for Claude Code and Codex, exit 2 blocks).",
    );
    para(
        roff,
        "With --json (and gate export in jsonl), every object printed starts with \"schema\": \
\"gate.NAME/N\" (N goes up only when a field is renamed, removed or changes meaning), every field \
is present (null when unknown), and a failure prints {\"schema\": \"gate.error/1\", \"error\": \
{\"kind\", \"message\", \"exit_code\", \"problems\"}} where the JSON goes (stderr for gate --json \
-- COMMAND), besides the gate: error: line, with the same exit status. gate schema NAME prints a \
shape's JSON Schema (gate schema lists them).",
    );
}

fn examples(roff: &mut Roff) {
    roff.control("SH", ["EXAMPLES"]);
    for (cmd, what) in [
        (
            "gate -- kubectl delete ns staging",
            "Run a command under the policy; a human is asked if the policy says so.",
        ),
        (
            "gate --reason 'rotate certs' -- terraform apply",
            "Give approvers the reason; it is stored in the ledger.",
        ),
        (
            "gate check -- rm -rf /",
            "Decide only: which rules match, and why.",
        ),
        (
            "gate check --shell 'cd /srv && make deploy'",
            "Decide on a shell command line.",
        ),
        (
            "gate pending; gate approve ID",
            "Answer a request waiting on the local channel from another terminal.",
        ),
        ("gate log -n 20", "The newest requests."),
        ("gate show ID", "One request's timeline."),
        (
            "gate verify",
            "Check the ledger's hash chain and checkpoints.",
        ),
        (
            "gate hooks install claude-code",
            "Put gate in front of Claude Code's shell tool.",
        ),
        (
            "gate rules list",
            "Every rule in force and where it comes from.",
        ),
    ] {
        item(roff, cmd, what);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_has_every_section_and_no_dangling_references() {
        let page = String::from_utf8(super::page().unwrap()).unwrap();
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "COMMANDS",
            "POLICY",
            "FILES",
            "ENVIRONMENT",
            "\"EXIT STATUS\"",
            "EXAMPLES",
        ] {
            assert!(page.contains(&format!(".SH {section}")), "no {section}");
        }
        assert!(
            !page.contains("gate\\-log(1)"),
            "a reference to a page not shipped"
        );
        assert!(
            !page.contains("gate-log(1)"),
            "a reference to a page not shipped"
        );
        for sub in [
            "gate log",
            "gate rules lint",
            "gate hooks install",
            "gate approve",
        ] {
            assert!(
                page.contains(&format!(".SS \"{sub}\"")),
                "no part for {sub}"
            );
        }
        assert!(
            !page.contains("gate shim-exec"),
            "a hidden subcommand is documented"
        );
    }
}
