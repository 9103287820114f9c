
use builtin;
use str;

set edit:completion:arg-completer[gate] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'gate'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'gate'= {
            cand --reason 'Why the command must run: shown to approvers and stored in the ledger'
            cand --as 'The agent or job name of the requester [default: $GATE_AGENT, else detected]'
            cand --timeout 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]'
            cand --channel 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook'
            cand --policy 'Policy file to use instead of the user policy (the system policy still applies)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'Print one JSON line about the decision on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run 'Run COMMAND under the policy (the same as `gate -- COMMAND`)'
            cand shell 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh'
            cand check 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)'
            cand log 'The ledger''s requests, newest first'
            cand show 'One request: what was asked and decided, then a timeline of its events'
            cand pending 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)'
            cand approve 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)'
            cand deny 'Deny a request that waits on the `local` channel (in a fleet, from any host)'
            cand verify 'Check the ledger''s hash chain and checkpoints; name the first broken entry'
            cand verify-command 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)'
            cand export 'The ledger for auditors and SIEMs, oldest first'
            cand doctor 'Can gate protect you right now? ok / warn / FAIL per check, with the fix'
            cand rules 'Policy tools'
            cand init 'Write a commented starter policy to the user policy path'
            cand hook 'Agent hook adapters (Claude Code''s PreToolUse/PostToolUse)'
            cand hooks 'Register (or remove) gate''s hooks in an agent''s settings: every event gate needs'
            cand checkpoints 'Ledger checkpoints held elsewhere: post them to the policy''s Slack channel and webhook'
            cand shim 'PATH shims: route programs that cannot be configured through gate'
            cand shim-exec 'Run a shimmed program (called by the shims `gate shim install` writes)'
            cand fleet 'The fleet''s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)'
            cand policy 'The fleet''s signed, versioned policy: make a key, push a version, fetch it on a host'
            cand slack 'The fleet''s Slack app: `gate slack serve` runs a relay'
            cand ledger 'The ledger itself: move it into the fleet'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff) to stdout'
            cand protected-setup 'Make the protected install''s ledger directory and files (run by `install.sh --system`)'
            cand schema 'Print the JSON Schema of one of gate''s JSON shapes (as in schemas/); without NAME, list them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;run'= {
            cand --reason 'Why the command must run: shown to approvers and stored in the ledger'
            cand --as 'The agent or job name of the requester [default: $GATE_AGENT, else detected]'
            cand --timeout 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]'
            cand --channel 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook'
            cand --policy 'Policy file to use instead of the user policy (the system policy still applies)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'Print one JSON line about the decision on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;shell'= {
            cand --reason 'Why the command must run: shown to approvers and stored in the ledger'
            cand --as 'The agent or job name of the requester [default: $GATE_AGENT, else detected]'
            cand --timeout 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]'
            cand --channel 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook'
            cand --policy 'Policy file to use instead of the user policy (the system policy still applies)'
            cand -c 'The shell script to analyse and run'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'Print one JSON line about the decision on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;check'= {
            cand --shell 'Decide on a shell command line instead of an argv'
            cand --policy 'Policy file to use instead of the user policy'
            cand --as 'The agent name to decide for (for `when.agent`)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'Print the decision as JSON on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;log'= {
            cand -n 'How many requests to show'
            cand --limit 'How many requests to show'
            cand --since 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)'
            cand --until 'Only requests before this time or age'
            cand --status 'Only this status: ran, denied, expired, cancelled, error, running, unknown'
            cand --decision 'Only this decision: allow, ask, deny'
            cand --rule 'Only requests this rule matched'
            cand --agent 'Only requests made by this agent'
            cand --user 'Only requests made by this OS user'
            cand --grep 'Only requests whose command, script or reason contains TEXT (case-insensitive)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object per request, one per line'
            cand --wide 'Show the whole command, however long (else it is cut to the terminal''s width)'
            cand --utc 'Times in UTC (never relative) instead of local time'
            cand --fleet 'Read the fleet''s shared ledger instead: every host''s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;show'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'The request and its raw events as one JSON object'
            cand --utc 'Times in UTC instead of local time'
            cand --fleet 'Look in the fleet''s shared ledger instead, on every host'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;pending'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object per request, one per line'
            cand --fleet 'List what waits in the fleet''s shared ledger, on every host, that you (your own PostgreSQL role) may approve; the default when a fleet is configured'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;approve'= {
            cand --comment 'A comment stored with the approval'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;deny'= {
            cand --comment 'Why, stored with the denial and shown to the requester'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;verify'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'json'
            cand --fleet 'Check the fleet''s shared ledger instead: every host stream this role may read'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;verify-command'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;export'= {
            cand --format 'jsonl: one request per line (the `gate log --json` shape); csv: one row per request'
            cand --since 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)'
            cand --until 'Only requests before this time or age'
            cand --status 'Only this status: ran, denied, expired, cancelled, error, running, unknown'
            cand --decision 'Only this decision: allow, ask, deny'
            cand --rule 'Only requests this rule matched'
            cand --agent 'Only requests made by this agent'
            cand --user 'Only requests made by this OS user'
            cand --grep 'Only requests whose command, script or reason contains TEXT (case-insensitive)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --fleet 'Read the fleet''s shared ledger instead: every host''s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;doctor'= {
            cand --policy 'Policy file to check instead of the user policy (the system policy still applies)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object: {"ok", "checks": [{"section", "name", "status", "detail", "fix"}]}'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand lint 'Parse and validate a policy, then run its inline tests'
            cand test 'Run the policy''s inline tests (tests.hit / tests.miss) only'
            cand list 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
            cand show 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
            cand edit 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;rules;lint'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules;test'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules;list'= {
            cand --policy 'Policy file to use instead of the user policy (the system policy still applies)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object a line: {id, decision, risk, source: {file, line} | {pack} | {builtin}, disabled, disabled_by}'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules;show'= {
            cand --policy 'Policy file to use instead of the user policy (the system policy still applies)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'The rule as one JSON object'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules;edit'= {
            cand --policy 'The policy file to edit instead of the user policy'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;rules;help'= {
            cand lint 'Parse and validate a policy, then run its inline tests'
            cand test 'Run the policy''s inline tests (tests.hit / tests.miss) only'
            cand list 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
            cand show 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
            cand edit 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;rules;help;lint'= {
        }
        &'gate;rules;help;test'= {
        }
        &'gate;rules;help;list'= {
        }
        &'gate;rules;help;show'= {
        }
        &'gate;rules;help;edit'= {
        }
        &'gate;rules;help;help'= {
        }
        &'gate;init'= {
            cand --path 'Write here instead of the user policy path'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --force 'Overwrite an existing policy file'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hook'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand claude-code 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
            cand codex 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels'
            cand gemini 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;hook;claude-code'= {
            cand --ask 'Who answers a command that needs approval: `claude` hands it to Claude Code''s own prompt; `gate` asks gate''s channels (Slack, webhook, local) within the hook''s time'
            cand --policy 'Policy file to use instead of the user policy'
            cand --as 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hook;codex'= {
            cand --policy 'Policy file to use instead of the user policy'
            cand --as 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hook;gemini'= {
            cand --policy 'Policy file to use instead of the user policy'
            cand --as 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hook;help'= {
            cand claude-code 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
            cand codex 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels'
            cand gemini 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;hook;help;claude-code'= {
        }
        &'gate;hook;help;codex'= {
        }
        &'gate;hook;help;gemini'= {
        }
        &'gate;hook;help;help'= {
        }
        &'gate;hooks'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand install 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)'
            cand uninstall 'Remove gate''s hook entries (and only those) from the agent''s settings'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;hooks;install'= {
            cand --project 'The project''s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user''s'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --dry-run 'Print what would change (a diff), change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hooks;uninstall'= {
            cand --project 'The project''s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user''s'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --dry-run 'Print what would change (a diff), change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;hooks;help'= {
            cand install 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)'
            cand uninstall 'Remove gate''s hook entries (and only those) from the agent''s settings'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;hooks;help;install'= {
        }
        &'gate;hooks;help;uninstall'= {
        }
        &'gate;hooks;help;help'= {
        }
        &'gate;checkpoints'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand post 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;checkpoints;post'= {
            cand --policy 'policy'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'json'
            cand --quiet 'Print nothing on success'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;checkpoints;help'= {
            cand post 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;checkpoints;help;post'= {
        }
        &'gate;checkpoints;help;help'= {
        }
        &'gate;shim'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand install 'Write shims for these programs (put the shim directory first on PATH)'
            cand list 'List installed shims and the programs they stand for'
            cand remove 'Remove shims'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;shim;install'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;shim;list'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;shim;remove'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;shim;help'= {
            cand install 'Write shims for these programs (put the shim directory first on PATH)'
            cand list 'List installed shims and the programs they stand for'
            cand remove 'Remove shims'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;shim;help;install'= {
        }
        &'gate;shim;help;list'= {
        }
        &'gate;shim;help;remove'= {
        }
        &'gate;shim;help;help'= {
        }
        &'gate;shim-exec'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;fleet'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand init 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
            cand status 'The host streams this role may see: head seq, head hash, newest event'
            cand seal 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
            cand ship 'Ship this host''s ledger (the spool) into its stream now, and say what moved'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;fleet;init'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;fleet;status'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object: {fleet, role, schema_version, hosts: [{stream, kind, head_seq, head_hash, last_event, last_recorded}]}'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;fleet;seal'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object: {fleet, n, hash, prev, at, made, heads: {STREAM: {seq, hash}}}'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;fleet;ship'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --background 'The detached shipper gate starts: ship, linger for new events, exit when idle'
            cand --json 'json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;fleet;help'= {
            cand init 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
            cand status 'The host streams this role may see: head seq, head hash, newest event'
            cand seal 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
            cand ship 'Ship this host''s ledger (the spool) into its stream now, and say what moved'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;fleet;help;init'= {
        }
        &'gate;fleet;help;status'= {
        }
        &'gate;fleet;help;seal'= {
        }
        &'gate;fleet;help;ship'= {
        }
        &'gate;fleet;help;help'= {
        }
        &'gate;policy'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand keygen 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
            cand push 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version'
            cand fetch 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer'
            cand status 'The pinned key''s fingerprint, the cached version, and the fleet''s newest'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;policy;keygen'= {
            cand --out 'Where to write the key files (default: $XDG_CONFIG_HOME/gate)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;policy;push'= {
            cand --key 'The private key (default: $XDG_CONFIG_HOME/gate/policy-signing.key)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;policy;fetch'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object, as `gate policy status --json`, with `fetched`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;policy;status'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --json 'One JSON object: {key_fingerprint, cache, cached_version, cache_problem, newest_version, behind, fetched}'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;policy;help'= {
            cand keygen 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
            cand push 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version'
            cand fetch 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer'
            cand status 'The pinned key''s fingerprint, the cached version, and the fleet''s newest'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;policy;help;keygen'= {
        }
        &'gate;policy;help;push'= {
        }
        &'gate;policy;help;fetch'= {
        }
        &'gate;policy;help;status'= {
        }
        &'gate;policy;help;help'= {
        }
        &'gate;slack'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand serve 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;slack;serve'= {
            cand --http 'Take Slack''s requests (interactivity and events) over HTTP on ADDR (host:port) instead of Socket Mode, each checked against the signing secret in GATE_SLACK_SIGNING_SECRET; put TLS in front'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;slack;help'= {
            cand serve 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;slack;help;serve'= {
        }
        &'gate;slack;help;help'= {
        }
        &'gate;ledger'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand migrate 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;ledger;migrate'= {
            cand --max-events 'Move at most N events this run (a rerun goes on)'
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand --accept-broken 'Move a broken ledger''s events up to its first break (the rest stay in the file)'
            cand --json 'json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;ledger;help'= {
            cand migrate 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;ledger;help;migrate'= {
        }
        &'gate;ledger;help;help'= {
        }
        &'gate;completions'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;man'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;protected-setup'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;schema'= {
            cand --color 'When to colour what gate writes (stdout and stderr each on its own)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'gate;help'= {
            cand run 'Run COMMAND under the policy (the same as `gate -- COMMAND`)'
            cand shell 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh'
            cand check 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)'
            cand log 'The ledger''s requests, newest first'
            cand show 'One request: what was asked and decided, then a timeline of its events'
            cand pending 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)'
            cand approve 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)'
            cand deny 'Deny a request that waits on the `local` channel (in a fleet, from any host)'
            cand verify 'Check the ledger''s hash chain and checkpoints; name the first broken entry'
            cand verify-command 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)'
            cand export 'The ledger for auditors and SIEMs, oldest first'
            cand doctor 'Can gate protect you right now? ok / warn / FAIL per check, with the fix'
            cand rules 'Policy tools'
            cand init 'Write a commented starter policy to the user policy path'
            cand hook 'Agent hook adapters (Claude Code''s PreToolUse/PostToolUse)'
            cand hooks 'Register (or remove) gate''s hooks in an agent''s settings: every event gate needs'
            cand checkpoints 'Ledger checkpoints held elsewhere: post them to the policy''s Slack channel and webhook'
            cand shim 'PATH shims: route programs that cannot be configured through gate'
            cand shim-exec 'Run a shimmed program (called by the shims `gate shim install` writes)'
            cand fleet 'The fleet''s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)'
            cand policy 'The fleet''s signed, versioned policy: make a key, push a version, fetch it on a host'
            cand slack 'The fleet''s Slack app: `gate slack serve` runs a relay'
            cand ledger 'The ledger itself: move it into the fleet'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff) to stdout'
            cand protected-setup 'Make the protected install''s ledger directory and files (run by `install.sh --system`)'
            cand schema 'Print the JSON Schema of one of gate''s JSON shapes (as in schemas/); without NAME, list them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gate;help;run'= {
        }
        &'gate;help;shell'= {
        }
        &'gate;help;check'= {
        }
        &'gate;help;log'= {
        }
        &'gate;help;show'= {
        }
        &'gate;help;pending'= {
        }
        &'gate;help;approve'= {
        }
        &'gate;help;deny'= {
        }
        &'gate;help;verify'= {
        }
        &'gate;help;verify-command'= {
        }
        &'gate;help;export'= {
        }
        &'gate;help;doctor'= {
        }
        &'gate;help;rules'= {
            cand lint 'Parse and validate a policy, then run its inline tests'
            cand test 'Run the policy''s inline tests (tests.hit / tests.miss) only'
            cand list 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
            cand show 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
            cand edit 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
        }
        &'gate;help;rules;lint'= {
        }
        &'gate;help;rules;test'= {
        }
        &'gate;help;rules;list'= {
        }
        &'gate;help;rules;show'= {
        }
        &'gate;help;rules;edit'= {
        }
        &'gate;help;init'= {
        }
        &'gate;help;hook'= {
            cand claude-code 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
            cand codex 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels'
            cand gemini 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels'
        }
        &'gate;help;hook;claude-code'= {
        }
        &'gate;help;hook;codex'= {
        }
        &'gate;help;hook;gemini'= {
        }
        &'gate;help;hooks'= {
            cand install 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)'
            cand uninstall 'Remove gate''s hook entries (and only those) from the agent''s settings'
        }
        &'gate;help;hooks;install'= {
        }
        &'gate;help;hooks;uninstall'= {
        }
        &'gate;help;checkpoints'= {
            cand post 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
        }
        &'gate;help;checkpoints;post'= {
        }
        &'gate;help;shim'= {
            cand install 'Write shims for these programs (put the shim directory first on PATH)'
            cand list 'List installed shims and the programs they stand for'
            cand remove 'Remove shims'
        }
        &'gate;help;shim;install'= {
        }
        &'gate;help;shim;list'= {
        }
        &'gate;help;shim;remove'= {
        }
        &'gate;help;shim-exec'= {
        }
        &'gate;help;fleet'= {
            cand init 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
            cand status 'The host streams this role may see: head seq, head hash, newest event'
            cand seal 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
            cand ship 'Ship this host''s ledger (the spool) into its stream now, and say what moved'
        }
        &'gate;help;fleet;init'= {
        }
        &'gate;help;fleet;status'= {
        }
        &'gate;help;fleet;seal'= {
        }
        &'gate;help;fleet;ship'= {
        }
        &'gate;help;policy'= {
            cand keygen 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
            cand push 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version'
            cand fetch 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer'
            cand status 'The pinned key''s fingerprint, the cached version, and the fleet''s newest'
        }
        &'gate;help;policy;keygen'= {
        }
        &'gate;help;policy;push'= {
        }
        &'gate;help;policy;fetch'= {
        }
        &'gate;help;policy;status'= {
        }
        &'gate;help;slack'= {
            cand serve 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
        }
        &'gate;help;slack;serve'= {
        }
        &'gate;help;ledger'= {
            cand migrate 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
        }
        &'gate;help;ledger;migrate'= {
        }
        &'gate;help;completions'= {
        }
        &'gate;help;man'= {
        }
        &'gate;help;protected-setup'= {
        }
        &'gate;help;schema'= {
        }
        &'gate;help;help'= {
        }
    ]
    $completions[$command]
}
