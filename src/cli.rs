//! The command line (clap derive only; resolution happens in `lib.rs` and `commands/`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  gate -- kubectl delete ns staging        run under the policy; ask a human if it says so
  gate --reason 'rotate certs' -- terraform apply
  gate check -- rm -rf /                    decide only (exit 0 allow, 1 ask, 2 deny)
  gate check --shell 'cd /srv && make deploy'
  gate log -n 20                            the newest requests in the ledger
  gate verify                               check the ledger's hash chain
  gate doctor                               can gate protect you here? what to fix if not
  gate init                                 write a starter policy to edit

Exit codes: the command's own; 77 denied, 75 expired, 69 no approval channel,
78 invalid policy, 74 ledger not writable, 64 usage, 126/127 not executable/not found,
130 cancelled. Policy: $XDG_CONFIG_HOME/gate/policy.toml (see `gate init`, `man gate`).";

#[derive(Debug, Parser)]
#[command(
    name = "gate",
    version,
    about = "Action-level approval for the commands automation runs",
    long_about = "gate matches a command against a TOML policy before it runs: low-risk work runs at once, \
a dangerous command waits for a human (terminal, another terminal, Slack, webhook), a denied command never \
runs, and every request, verdict and outcome is written to a tamper-evident SQLite ledger.",
    after_help = AFTER_HELP,
    // The run options belong to `gate [RUN OPTIONS] -- COMMAND` only; `lib.rs` refuses them
    // with a subcommand. (clap's `args_conflicts_with_subcommands` would refuse the global
    // `--color` before a subcommand too.)
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    /// When to colour what gate writes (stdout and stderr each on its own)
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = crate::ui::ColorChoice::Auto
    )]
    pub color: crate::ui::ColorChoice,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunOptions {
    /// Why the command must run: shown to approvers and stored in the ledger
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// The agent or job name of the requester [default: $GATE_AGENT, else detected]
    #[arg(long = "as", value_name = "NAME")]
    pub agent: Option<String>,

    /// How long to wait for approval, e.g. 90s, 15m [default: the rule's or the policy's]
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Restrict approval to these channels (repeatable): terminal, local, slack, webhook
    #[arg(long = "channel", value_name = "NAME")]
    pub channels: Vec<String>,

    /// Print one JSON line about the decision on stderr
    #[arg(long)]
    pub json: bool,

    /// Policy file to use instead of the user policy (the system policy still applies)
    #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub options: RunOptions,

    /// The command to run, after `--`
    #[arg(last = true, value_name = "COMMAND", allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run COMMAND under the policy (the same as `gate -- COMMAND`)
    Run(RunArgs),

    /// Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh
    Shell {
        #[command(flatten)]
        options: RunOptions,
        /// The shell script to analyse and run
        #[arg(short = 'c', value_name = "SCRIPT")]
        script: String,
        /// $0, $1, ... for the script, as with `sh -c SCRIPT NAME ARGS...`
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<OsString>,
    },

    /// Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)
    Check {
        /// Print the decision as JSON on stdout
        #[arg(long)]
        json: bool,
        /// Decide on a shell command line instead of an argv
        #[arg(long, value_name = "SCRIPT", conflicts_with = "command")]
        shell: Option<String>,
        /// Policy file to use instead of the user policy
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
        /// The agent name to decide for (for `when.agent`)
        #[arg(long = "as", value_name = "NAME")]
        agent: Option<String>,
        /// The command, after `--`
        #[arg(last = true, value_name = "COMMAND", allow_hyphen_values = true)]
        command: Vec<OsString>,
    },

    /// The ledger's requests, newest first
    Log(LogArgs),

    /// One request: what was asked and decided, then a timeline of its events
    Show {
        /// The request id (a unique prefix is enough)
        id: String,
        /// The request and its raw events as one JSON object
        #[arg(long)]
        json: bool,
        /// Times in UTC instead of local time
        #[arg(long)]
        utc: bool,
        /// Look in the fleet's shared ledger instead, on every host
        #[arg(long)]
        fleet: bool,
    },

    /// Requests waiting for an answer on the `local` channel (in a fleet: on every host)
    Pending {
        /// One JSON object per request, one per line
        #[arg(long)]
        json: bool,
        /// List what waits in the fleet's shared ledger, on every host, that you (your own
        /// PostgreSQL role) may approve; the default when a fleet is configured
        #[arg(long)]
        fleet: bool,
    },

    /// Approve a request that waits on the `local` channel (from your own terminal; in a fleet,
    /// from any host, as your own PostgreSQL role)
    Approve {
        /// The request id (a unique prefix is enough; see `gate pending`)
        id: String,
        /// A comment stored with the approval
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },

    /// Deny a request that waits on the `local` channel (in a fleet, from any host)
    Deny {
        /// The request id (a unique prefix is enough; see `gate pending`)
        id: String,
        /// Why, stored with the denial and shown to the requester
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },

    /// Check the ledger's hash chain and checkpoints; name the first broken entry
    Verify {
        #[arg(long)]
        json: bool,
        /// Check the fleet's shared ledger instead: every host stream this role may read
        #[arg(long)]
        fleet: bool,
    },

    /// Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)
    VerifyCommand {
        /// The request id (a unique prefix is enough)
        id: String,
        /// The exact command line, after `--`
        #[arg(
            last = true,
            required = true,
            value_name = "ARGV",
            allow_hyphen_values = true
        )]
        argv: Vec<OsString>,
    },

    /// The ledger for auditors and SIEMs, oldest first
    Export {
        /// jsonl: one request per line (the `gate log --json` shape); csv: one row per request
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        #[command(flatten)]
        filter: FilterArgs,
    },

    /// Can gate protect you right now? ok / warn / FAIL per check, with the fix
    ///
    /// Checks gate itself (the `gate` on PATH, its version), the policy (its layers and their
    /// SHA-256, packs, rules, lint), the ledger (size, newest event, the hash chain, the intake,
    /// sync mode), the PATH shims, Slack and the webhook when configured (each within a short
    /// timeout), CI and agent detection, and the agents' hooks. Exit 0 when nothing fails, 1
    /// when something does.
    Doctor {
        /// One JSON object: {"ok", "checks": [{"section", "name", "status", "detail", "fix"}]}
        #[arg(long)]
        json: bool,
        /// Policy file to check instead of the user policy (the system policy still applies)
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
    },

    /// Policy tools
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },

    /// Write a commented starter policy to the user policy path
    Init {
        /// Overwrite an existing policy file
        #[arg(long)]
        force: bool,
        /// Write here instead of the user policy path
        #[arg(long, value_name = "FILE")]
        path: Option<PathBuf>,
    },

    /// Agent hook adapters (Claude Code's PreToolUse/PostToolUse)
    Hook {
        #[command(subcommand)]
        agent: HookAgent,
    },

    /// Register (or remove) gate's hooks in an agent's settings: every event gate needs
    Hooks {
        #[command(subcommand)]
        command: HooksCommand,
    },

    /// Ledger checkpoints held elsewhere: post them to the policy's Slack channel and webhook
    Checkpoints {
        #[command(subcommand)]
        command: CheckpointsCommand,
    },

    /// PATH shims: route programs that cannot be configured through gate
    Shim {
        #[command(subcommand)]
        command: ShimCommand,
    },

    /// Run a shimmed program (called by the shims `gate shim install` writes)
    #[command(hide = true)]
    ShimExec {
        program: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },

    /// The fleet's shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },

    /// The fleet's signed, versioned policy: make a key, push a version, fetch it on a host
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },

    /// The fleet's Slack app: `gate slack serve` runs a relay
    Slack {
        #[command(subcommand)]
        command: SlackCommand,
    },

    /// The ledger itself: move it into the fleet
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },

    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },

    /// Print the man page (roff) to stdout
    Man,

    /// Make the protected install's ledger directory and files (run by `install.sh --system`)
    #[command(hide = true)]
    ProtectedSetup,

    /// Print the JSON Schema of one of gate's JSON shapes (as in schemas/); without NAME, list them
    #[command(hide = true)]
    Schema {
        /// The shape: check, run, request, show, pending, verify, doctor, rules.lint, …
        name: Option<String>,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct LogArgs {
    /// How many requests to show
    #[arg(short = 'n', long = "limit", value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per request, one per line
    #[arg(long)]
    pub json: bool,
    /// Show the whole command, however long (else it is cut to the terminal's width)
    #[arg(long)]
    pub wide: bool,
    /// Times in UTC (never relative) instead of local time
    #[arg(long)]
    pub utc: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Which requests `log` and `export` show.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only requests before this time or age
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this status: ran, denied, expired, cancelled, error, running, unknown
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only this decision: allow, ask, deny
    #[arg(long, value_name = "DECISION")]
    pub decision: Option<String>,
    /// Only requests this rule matched
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    /// Only requests made by this agent
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Only requests made by this OS user
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Only requests whose command, script or reason contains TEXT (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Read the fleet's shared ledger instead: every host's requests, each from its host
    /// stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)
    #[arg(long)]
    pub fleet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum ExportFormat {
    #[default]
    Jsonl,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Parse and validate a policy, then run its inline tests
    Lint {
        /// The policy file [default: the policy gate would use]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Run the policy's inline tests (tests.hit / tests.miss) only
    Test {
        /// The policy file [default: the policy gate would use]
        file: Option<PathBuf>,
    },
    /// Every rule in force, one a line: id, decision, risk, source (file:line or pack), and
    /// `disabled` when switched off
    List {
        /// One JSON object a line: {id, decision, risk, source: {file, line} | {pack} |
        /// {builtin}, disabled, disabled_by}
        #[arg(long)]
        json: bool,
        /// Policy file to use instead of the user policy (the system policy still applies)
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
    },
    /// One rule: its patterns, conditions, message, risk, decision, approvers, tests, source
    Show {
        /// The rule id (`gate rules list` shows them)
        id: String,
        /// The rule as one JSON object
        #[arg(long)]
        json: bool,
        /// Policy file to use instead of the user policy (the system policy still applies)
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
    },
    /// Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only
    /// when it lints clean (inline tests included)
    ///
    /// The copy (mode 0600) is in the policy's own directory, so it is installed with one
    /// atomic rename, keeping the file's mode. An editor that fails or a policy that does not
    /// lint leaves the live policy as it was; on a terminal you may edit again. Without a
    /// terminal: exit 1 when the editor failed, 78 when the policy is invalid. With no policy
    /// yet, the copy starts as `gate init`'s starter policy.
    Edit {
        /// The policy file to edit instead of the user policy
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HookAgent {
    /// Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout
    ClaudeCode {
        /// Who answers a command that needs approval: `claude` hands it to Claude Code's own
        /// prompt; `gate` asks gate's channels (Slack, webhook, local) within the hook's time
        #[arg(long, value_enum, default_value_t = HookAsk::Claude, env = crate::env_vars::GATE_HOOK_ASK)]
        ask: HookAsk,
        #[command(flatten)]
        args: HookArgs,
    },
    /// OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the
    /// reason on stderr; a command that needs approval is asked on gate's channels
    Codex {
        #[command(flatten)]
        args: HookArgs,
    },
    /// Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is
    /// `{"decision":"deny"}` with exit status 2; approval is asked on gate's channels
    Gemini {
        #[command(flatten)]
        args: HookArgs,
    },
}

/// What every agent hook takes.
#[derive(Debug, Args, Clone)]
pub struct HookArgs {
    /// Policy file to use instead of the user policy
    #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
    pub policy: Option<PathBuf>,
    /// The agent name to record [default: the agent's own: claude-code, codex, gemini-cli]
    #[arg(long = "as", value_name = "NAME")]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum HookAsk {
    #[default]
    Claude,
    Gate,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Write gate's hook entries into the agent's settings (merged; a backup is kept beside)
    Install(HooksArgs),
    /// Remove gate's hook entries (and only those) from the agent's settings
    Uninstall(HooksArgs),
}

#[derive(Debug, Args)]
pub struct HooksArgs {
    /// claude-code, codex or gemini
    #[arg(value_enum)]
    pub agent: crate::hook::install::Agent,
    /// The project's settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user's
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Print what would change (a diff), change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ShimCommand {
    /// Write shims for these programs (put the shim directory first on PATH)
    Install {
        #[arg(required = true)]
        programs: Vec<String>,
    },
    /// List installed shims and the programs they stand for
    List,
    /// Remove shims
    Remove {
        #[arg(required = true)]
        programs: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckpointsCommand {
    /// Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the
    /// background whenever a run writes one)
    Post {
        #[arg(long)]
        json: bool,
        /// Print nothing on success
        #[arg(long)]
        quiet: bool,
        #[arg(long, value_name = "FILE", env = crate::env_vars::GATE_POLICY)]
        policy: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles
    /// gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator
    Init {
        #[arg(long)]
        json: bool,
    },
    /// The host streams this role may see: head seq, head hash, newest event
    Status {
        /// One JSON object: {fleet, role, schema_version, hosts: [{stream, kind, head_seq,
        /// head_hash, last_event, last_recorded}]}
        #[arg(long)]
        json: bool,
    },
    /// Seal every stream's head now (a seal chained to the one before), or show the newest
    /// seal when nothing moved since; `gate verify --fleet` checks the seals
    ///
    /// Shippers seal after shipping, at most once a minute for the whole fleet; run this from
    /// an auditor's cron to seal on a schedule. Each host keeps the seals it was given beside
    /// its ledger (ledger.db.fleet-seals), a copy outside the database.
    Seal {
        /// One JSON object: {fleet, n, hash, prev, at, made, heads: {STREAM: {seq, hash}}}
        #[arg(long)]
        json: bool,
    },
    /// Ship this host's ledger (the spool) into its stream now, and say what moved
    ///
    /// gate starts a shipper in the background after recording in fleet mode; run this at the
    /// teardown of an ephemeral runner, or to see why shipping fails.
    Ship {
        /// The detached shipper gate starts: ship, linger for new events, exit when idle
        #[arg(long, hide = true)]
        background: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and
    /// policy-signing.pub); never overwrites one
    Keygen {
        /// Where to write the key files (default: $XDG_CONFIG_HOME/gate)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Lint FILE and run its inline tests as a host will load it, sign it and store it as the
    /// fleet's next policy version
    ///
    /// Connects as your own role (GATE_FLEET_APPROVER, else the fleet's URI with libpq's user),
    /// which must be a member of gate_admin. A policy that does not lint exits 78 and stores
    /// nothing.
    Push {
        /// The policy file (a whole policy, used by hosts as their system layer)
        file: PathBuf,
        /// The private key (default: $XDG_CONFIG_HOME/gate/policy-signing.key)
        #[arg(long, value_name = "PRIVKEY")]
        key: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch the fleet's newest policy, check its signature against [fleet] policy_key of the
    /// system policy and cache it as this host's system layer
    ///
    /// Refuses (exit 78, nothing replaced) a bad signature, an altered text, and a version older
    /// than the one cached.
    Fetch {
        /// One JSON object, as `gate policy status --json`, with `fetched`
        #[arg(long)]
        json: bool,
    },
    /// The pinned key's fingerprint, the cached version, and the fleet's newest
    Status {
        /// One JSON object: {key_fingerprint, cache, cached_version, cache_problem,
        /// newest_version, behind, fetched}
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SlackCommand {
    /// Relay the fleet's approvals to Slack: post each waiting request's card once and record
    /// every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two
    /// per fleet)
    ///
    /// Reads [slack] from the policy (mode = "socket": the bot token and the app token) and the
    /// fleet from [fleet] url or GATE_FLEET. Runs until SIGINT or SIGTERM.
    Serve {
        /// Take Slack's requests (interactivity and events) over HTTP on ADDR (host:port)
        /// instead of Socket Mode, each checked against the signing secret in
        /// GATE_SLACK_SIGNING_SECRET; put TLS in front
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Move this host's SQLite ledger into its stream in the fleet, seq and hashes unchanged
    ///
    /// The hook's intake is chained and the whole chain verified first. A rerun moves only what
    /// the stream does not hold yet (an interrupted run is finished, a finished one changes
    /// nothing); the SQLite file is left in place.
    Migrate {
        /// Move a broken ledger's events up to its first break (the rest stay in the file)
        #[arg(long)]
        accept_broken: bool,
        /// Move at most N events this run (a rerun goes on)
        #[arg(long, value_name = "N")]
        max_events: Option<u64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}
