# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gate_global_optspecs
    string join \n reason= as= timeout= channel= json policy= color= h/help V/version
end

function __fish_gate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gate_using_subcommand
    set -l cmd (__fish_gate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gate -n "__fish_gate_needs_command" -l reason -d 'Why the command must run: shown to approvers and stored in the ledger' -r
complete -c gate -n "__fish_gate_needs_command" -l as -d 'The agent or job name of the requester [default: $GATE_AGENT, else detected]' -r
complete -c gate -n "__fish_gate_needs_command" -l timeout -d 'How long to wait for approval, e.g. 90s, 15m [default: the rule\'s or the policy\'s]' -r
complete -c gate -n "__fish_gate_needs_command" -l channel -d 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook' -r
complete -c gate -n "__fish_gate_needs_command" -l policy -d 'Policy file to use instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_needs_command" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_needs_command" -l json -d 'Print one JSON line about the decision on stderr'
complete -c gate -n "__fish_gate_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_needs_command" -s V -l version -d 'Print version'
complete -c gate -n "__fish_gate_needs_command" -a "run" -d 'Run COMMAND under the policy (the same as `gate -- COMMAND`)'
complete -c gate -n "__fish_gate_needs_command" -a "shell" -d 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh'
complete -c gate -n "__fish_gate_needs_command" -a "check" -d 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)'
complete -c gate -n "__fish_gate_needs_command" -a "log" -d 'The ledger\'s requests, newest first'
complete -c gate -n "__fish_gate_needs_command" -a "show" -d 'One request: what was asked and decided, then a timeline of its events'
complete -c gate -n "__fish_gate_needs_command" -a "pending" -d 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)'
complete -c gate -n "__fish_gate_needs_command" -a "approve" -d 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)'
complete -c gate -n "__fish_gate_needs_command" -a "deny" -d 'Deny a request that waits on the `local` channel (in a fleet, from any host)'
complete -c gate -n "__fish_gate_needs_command" -a "verify" -d 'Check the ledger\'s hash chain and checkpoints; name the first broken entry'
complete -c gate -n "__fish_gate_needs_command" -a "verify-command" -d 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)'
complete -c gate -n "__fish_gate_needs_command" -a "export" -d 'The ledger for auditors and SIEMs, oldest first'
complete -c gate -n "__fish_gate_needs_command" -a "doctor" -d 'Can gate protect you right now? ok / warn / FAIL per check, with the fix'
complete -c gate -n "__fish_gate_needs_command" -a "rules" -d 'Policy tools'
complete -c gate -n "__fish_gate_needs_command" -a "init" -d 'Write a commented starter policy to the user policy path'
complete -c gate -n "__fish_gate_needs_command" -a "hook" -d 'Agent hook adapters (Claude Code\'s PreToolUse/PostToolUse)'
complete -c gate -n "__fish_gate_needs_command" -a "hooks" -d 'Register (or remove) gate\'s hooks in an agent\'s settings: every event gate needs'
complete -c gate -n "__fish_gate_needs_command" -a "checkpoints" -d 'Ledger checkpoints held elsewhere: post them to the policy\'s Slack channel and webhook'
complete -c gate -n "__fish_gate_needs_command" -a "shim" -d 'PATH shims: route programs that cannot be configured through gate'
complete -c gate -n "__fish_gate_needs_command" -a "shim-exec" -d 'Run a shimmed program (called by the shims `gate shim install` writes)'
complete -c gate -n "__fish_gate_needs_command" -a "fleet" -d 'The fleet\'s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)'
complete -c gate -n "__fish_gate_needs_command" -a "policy" -d 'The fleet\'s signed, versioned policy: make a key, push a version, fetch it on a host'
complete -c gate -n "__fish_gate_needs_command" -a "slack" -d 'The fleet\'s Slack app: `gate slack serve` runs a relay'
complete -c gate -n "__fish_gate_needs_command" -a "ledger" -d 'The ledger itself: move it into the fleet'
complete -c gate -n "__fish_gate_needs_command" -a "completions" -d 'Print shell completions'
complete -c gate -n "__fish_gate_needs_command" -a "man" -d 'Print the man page (roff) to stdout'
complete -c gate -n "__fish_gate_needs_command" -a "protected-setup" -d 'Make the protected install\'s ledger directory and files (run by `install.sh --system`)'
complete -c gate -n "__fish_gate_needs_command" -a "schema" -d 'Print the JSON Schema of one of gate\'s JSON shapes (as in schemas/); without NAME, list them'
complete -c gate -n "__fish_gate_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand run" -l reason -d 'Why the command must run: shown to approvers and stored in the ledger' -r
complete -c gate -n "__fish_gate_using_subcommand run" -l as -d 'The agent or job name of the requester [default: $GATE_AGENT, else detected]' -r
complete -c gate -n "__fish_gate_using_subcommand run" -l timeout -d 'How long to wait for approval, e.g. 90s, 15m [default: the rule\'s or the policy\'s]' -r
complete -c gate -n "__fish_gate_using_subcommand run" -l channel -d 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook' -r
complete -c gate -n "__fish_gate_using_subcommand run" -l policy -d 'Policy file to use instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_using_subcommand run" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand run" -l json -d 'Print one JSON line about the decision on stderr'
complete -c gate -n "__fish_gate_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shell" -l reason -d 'Why the command must run: shown to approvers and stored in the ledger' -r
complete -c gate -n "__fish_gate_using_subcommand shell" -l as -d 'The agent or job name of the requester [default: $GATE_AGENT, else detected]' -r
complete -c gate -n "__fish_gate_using_subcommand shell" -l timeout -d 'How long to wait for approval, e.g. 90s, 15m [default: the rule\'s or the policy\'s]' -r
complete -c gate -n "__fish_gate_using_subcommand shell" -l channel -d 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook' -r
complete -c gate -n "__fish_gate_using_subcommand shell" -l policy -d 'Policy file to use instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_using_subcommand shell" -s c -d 'The shell script to analyse and run' -r
complete -c gate -n "__fish_gate_using_subcommand shell" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shell" -l json -d 'Print one JSON line about the decision on stderr'
complete -c gate -n "__fish_gate_using_subcommand shell" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand check" -l shell -d 'Decide on a shell command line instead of an argv' -r
complete -c gate -n "__fish_gate_using_subcommand check" -l policy -d 'Policy file to use instead of the user policy' -r -F
complete -c gate -n "__fish_gate_using_subcommand check" -l as -d 'The agent name to decide for (for `when.agent`)' -r
complete -c gate -n "__fish_gate_using_subcommand check" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand check" -l json -d 'Print the decision as JSON on stdout'
complete -c gate -n "__fish_gate_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand log" -s n -l limit -d 'How many requests to show' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l since -d 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l until -d 'Only requests before this time or age' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l status -d 'Only this status: ran, denied, expired, cancelled, error, running, unknown' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l decision -d 'Only this decision: allow, ask, deny' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l rule -d 'Only requests this rule matched' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l agent -d 'Only requests made by this agent' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l user -d 'Only requests made by this OS user' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l grep -d 'Only requests whose command, script or reason contains TEXT (case-insensitive)' -r
complete -c gate -n "__fish_gate_using_subcommand log" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand log" -l json -d 'One JSON object per request, one per line'
complete -c gate -n "__fish_gate_using_subcommand log" -l wide -d 'Show the whole command, however long (else it is cut to the terminal\'s width)'
complete -c gate -n "__fish_gate_using_subcommand log" -l utc -d 'Times in UTC (never relative) instead of local time'
complete -c gate -n "__fish_gate_using_subcommand log" -l fleet -d 'Read the fleet\'s shared ledger instead: every host\'s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)'
complete -c gate -n "__fish_gate_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand show" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand show" -l json -d 'The request and its raw events as one JSON object'
complete -c gate -n "__fish_gate_using_subcommand show" -l utc -d 'Times in UTC instead of local time'
complete -c gate -n "__fish_gate_using_subcommand show" -l fleet -d 'Look in the fleet\'s shared ledger instead, on every host'
complete -c gate -n "__fish_gate_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand pending" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand pending" -l json -d 'One JSON object per request, one per line'
complete -c gate -n "__fish_gate_using_subcommand pending" -l fleet -d 'List what waits in the fleet\'s shared ledger, on every host, that you (your own PostgreSQL role) may approve; the default when a fleet is configured'
complete -c gate -n "__fish_gate_using_subcommand pending" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand approve" -l comment -d 'A comment stored with the approval' -r
complete -c gate -n "__fish_gate_using_subcommand approve" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand deny" -l comment -d 'Why, stored with the denial and shown to the requester' -r
complete -c gate -n "__fish_gate_using_subcommand deny" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand deny" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand verify" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand verify" -l json
complete -c gate -n "__fish_gate_using_subcommand verify" -l fleet -d 'Check the fleet\'s shared ledger instead: every host stream this role may read'
complete -c gate -n "__fish_gate_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand verify-command" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand verify-command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand export" -l format -d 'jsonl: one request per line (the `gate log --json` shape); csv: one row per request' -r -f -a "jsonl\t''
csv\t''"
complete -c gate -n "__fish_gate_using_subcommand export" -l since -d 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l until -d 'Only requests before this time or age' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l status -d 'Only this status: ran, denied, expired, cancelled, error, running, unknown' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l decision -d 'Only this decision: allow, ask, deny' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l rule -d 'Only requests this rule matched' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l agent -d 'Only requests made by this agent' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l user -d 'Only requests made by this OS user' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l grep -d 'Only requests whose command, script or reason contains TEXT (case-insensitive)' -r
complete -c gate -n "__fish_gate_using_subcommand export" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand export" -l fleet -d 'Read the fleet\'s shared ledger instead: every host\'s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)'
complete -c gate -n "__fish_gate_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand doctor" -l policy -d 'Policy file to check instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_using_subcommand doctor" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand doctor" -l json -d 'One JSON object: {"ok", "checks": [{"section", "name", "status", "detail", "fix"}]}'
complete -c gate -n "__fish_gate_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "lint" -d 'Parse and validate a policy, then run its inline tests'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "test" -d 'Run the policy\'s inline tests (tests.hit / tests.miss) only'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "list" -d 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "show" -d 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "edit" -d 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
complete -c gate -n "__fish_gate_using_subcommand rules; and not __fish_seen_subcommand_from lint test list show edit help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from lint" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from lint" -l json
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from test" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from list" -l policy -d 'Policy file to use instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from list" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from list" -l json -d 'One JSON object a line: {id, decision, risk, source: {file, line} | {pack} | {builtin}, disabled, disabled_by}'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from show" -l policy -d 'Policy file to use instead of the user policy (the system policy still applies)' -r -F
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from show" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from show" -l json -d 'The rule as one JSON object'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from edit" -l policy -d 'The policy file to edit instead of the user policy' -r -F
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from edit" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Parse and validate a policy, then run its inline tests'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run the policy\'s inline tests (tests.hit / tests.miss) only'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "show" -d 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
complete -c gate -n "__fish_gate_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand init" -l path -d 'Write here instead of the user policy path' -r -F
complete -c gate -n "__fish_gate_using_subcommand init" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand init" -l force -d 'Overwrite an existing policy file'
complete -c gate -n "__fish_gate_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -f -a "claude-code" -d 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -f -a "codex" -d 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -f -a "gemini" -d 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand hook; and not __fish_seen_subcommand_from claude-code codex gemini help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from claude-code" -l ask -d 'Who answers a command that needs approval: `claude` hands it to Claude Code\'s own prompt; `gate` asks gate\'s channels (Slack, webhook, local) within the hook\'s time' -r -f -a "claude\t''
gate\t''"
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from claude-code" -l policy -d 'Policy file to use instead of the user policy' -r -F
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from claude-code" -l as -d 'The agent name to record [default: the agent\'s own: claude-code, codex, gemini-cli]' -r
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from claude-code" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from claude-code" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from codex" -l policy -d 'Policy file to use instead of the user policy' -r -F
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from codex" -l as -d 'The agent name to record [default: the agent\'s own: claude-code, codex, gemini-cli]' -r
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from codex" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from codex" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from gemini" -l policy -d 'Policy file to use instead of the user policy' -r -F
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from gemini" -l as -d 'The agent name to record [default: the agent\'s own: claude-code, codex, gemini-cli]' -r
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from gemini" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from gemini" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "claude-code" -d 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "codex" -d 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "gemini" -d 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand hooks; and not __fish_seen_subcommand_from install uninstall help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hooks; and not __fish_seen_subcommand_from install uninstall help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hooks; and not __fish_seen_subcommand_from install uninstall help" -f -a "install" -d 'Write gate\'s hook entries into the agent\'s settings (merged; a backup is kept beside)'
complete -c gate -n "__fish_gate_using_subcommand hooks; and not __fish_seen_subcommand_from install uninstall help" -f -a "uninstall" -d 'Remove gate\'s hook entries (and only those) from the agent\'s settings'
complete -c gate -n "__fish_gate_using_subcommand hooks; and not __fish_seen_subcommand_from install uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from install" -l project -d 'The project\'s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user\'s' -r -F
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from install" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from install" -l dry-run -d 'Print what would change (a diff), change nothing'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from uninstall" -l project -d 'The project\'s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user\'s' -r -F
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from uninstall" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from uninstall" -l dry-run -d 'Print what would change (a diff), change nothing'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write gate\'s hook entries into the agent\'s settings (merged; a backup is kept beside)'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove gate\'s hook entries (and only those) from the agent\'s settings'
complete -c gate -n "__fish_gate_using_subcommand hooks; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and not __fish_seen_subcommand_from post help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and not __fish_seen_subcommand_from post help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and not __fish_seen_subcommand_from post help" -f -a "post" -d 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and not __fish_seen_subcommand_from post help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from post" -l policy -r -F
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from post" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from post" -l json
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from post" -l quiet -d 'Print nothing on success'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from post" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from help" -f -a "post" -d 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
complete -c gate -n "__fish_gate_using_subcommand checkpoints; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "install" -d 'Write shims for these programs (put the shim directory first on PATH)'
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "list" -d 'List installed shims and the programs they stand for'
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "remove" -d 'Remove shims'
complete -c gate -n "__fish_gate_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from install" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from list" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from remove" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write shims for these programs (put the shim directory first on PATH)'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "list" -d 'List installed shims and the programs they stand for'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove shims'
complete -c gate -n "__fish_gate_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand shim-exec" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand shim-exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -f -a "init" -d 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -f -a "status" -d 'The host streams this role may see: head seq, head hash, newest event'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -f -a "seal" -d 'Seal every stream\'s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -f -a "ship" -d 'Ship this host\'s ledger (the spool) into its stream now, and say what moved'
complete -c gate -n "__fish_gate_using_subcommand fleet; and not __fish_seen_subcommand_from init status seal ship help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from init" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from init" -l json
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from status" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from status" -l json -d 'One JSON object: {fleet, role, schema_version, hosts: [{stream, kind, head_seq, head_hash, last_event, last_recorded}]}'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from seal" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from seal" -l json -d 'One JSON object: {fleet, n, hash, prev, at, made, heads: {STREAM: {seq, hash}}}'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from seal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from ship" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from ship" -l background -d 'The detached shipper gate starts: ship, linger for new events, exit when idle'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from ship" -l json
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from ship" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from help" -f -a "status" -d 'The host streams this role may see: head seq, head hash, newest event'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from help" -f -a "seal" -d 'Seal every stream\'s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from help" -f -a "ship" -d 'Ship this host\'s ledger (the spool) into its stream now, and say what moved'
complete -c gate -n "__fish_gate_using_subcommand fleet; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -f -a "keygen" -d 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -f -a "push" -d 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet\'s next policy version'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -f -a "fetch" -d 'Fetch the fleet\'s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host\'s system layer'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -f -a "status" -d 'The pinned key\'s fingerprint, the cached version, and the fleet\'s newest'
complete -c gate -n "__fish_gate_using_subcommand policy; and not __fish_seen_subcommand_from keygen push fetch status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from keygen" -l out -d 'Where to write the key files (default: $XDG_CONFIG_HOME/gate)' -r -F
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from keygen" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from push" -l key -d 'The private key (default: $XDG_CONFIG_HOME/gate/policy-signing.key)' -r -F
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from push" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from push" -l json
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from fetch" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from fetch" -l json -d 'One JSON object, as `gate policy status --json`, with `fetched`'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from status" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from status" -l json -d 'One JSON object: {key_fingerprint, cache, cached_version, cache_problem, newest_version, behind, fetched}'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "push" -d 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet\'s next policy version'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "fetch" -d 'Fetch the fleet\'s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host\'s system layer'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "status" -d 'The pinned key\'s fingerprint, the cached version, and the fleet\'s newest'
complete -c gate -n "__fish_gate_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand slack; and not __fish_seen_subcommand_from serve help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand slack; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand slack; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Relay the fleet\'s approvals to Slack: post each waiting request\'s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
complete -c gate -n "__fish_gate_using_subcommand slack; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand slack; and __fish_seen_subcommand_from serve" -l http -d 'Take Slack\'s requests (interactivity and events) over HTTP on ADDR (host:port) instead of Socket Mode, each checked against the signing secret in GATE_SLACK_SIGNING_SECRET; put TLS in front' -r
complete -c gate -n "__fish_gate_using_subcommand slack; and __fish_seen_subcommand_from serve" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand slack; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand slack; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Relay the fleet\'s approvals to Slack: post each waiting request\'s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
complete -c gate -n "__fish_gate_using_subcommand slack; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand ledger; and not __fish_seen_subcommand_from migrate help" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand ledger; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand ledger; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Move this host\'s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
complete -c gate -n "__fish_gate_using_subcommand ledger; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from migrate" -l max-events -d 'Move at most N events this run (a rerun goes on)' -r
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from migrate" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from migrate" -l accept-broken -d 'Move a broken ledger\'s events up to its first break (the rest stay in the file)'
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from migrate" -l json
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Move this host\'s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
complete -c gate -n "__fish_gate_using_subcommand ledger; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand completions" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand man" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand protected-setup" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand protected-setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand schema" -l color -d 'When to colour what gate writes (stdout and stderr each on its own)' -r -f -a "auto\t'Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on'
always\t'Into pipes and files too'
never\t''"
complete -c gate -n "__fish_gate_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "run" -d 'Run COMMAND under the policy (the same as `gate -- COMMAND`)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "shell" -d 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "check" -d 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "log" -d 'The ledger\'s requests, newest first'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "show" -d 'One request: what was asked and decided, then a timeline of its events'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "pending" -d 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "approve" -d 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "deny" -d 'Deny a request that waits on the `local` channel (in a fleet, from any host)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "verify" -d 'Check the ledger\'s hash chain and checkpoints; name the first broken entry'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "verify-command" -d 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "export" -d 'The ledger for auditors and SIEMs, oldest first'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "doctor" -d 'Can gate protect you right now? ok / warn / FAIL per check, with the fix'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "rules" -d 'Policy tools'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "init" -d 'Write a commented starter policy to the user policy path'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "hook" -d 'Agent hook adapters (Claude Code\'s PreToolUse/PostToolUse)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "hooks" -d 'Register (or remove) gate\'s hooks in an agent\'s settings: every event gate needs'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "checkpoints" -d 'Ledger checkpoints held elsewhere: post them to the policy\'s Slack channel and webhook'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "shim" -d 'PATH shims: route programs that cannot be configured through gate'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "shim-exec" -d 'Run a shimmed program (called by the shims `gate shim install` writes)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "fleet" -d 'The fleet\'s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "policy" -d 'The fleet\'s signed, versioned policy: make a key, push a version, fetch it on a host'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "slack" -d 'The fleet\'s Slack app: `gate slack serve` runs a relay'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "ledger" -d 'The ledger itself: move it into the fleet'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "completions" -d 'Print shell completions'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "man" -d 'Print the man page (roff) to stdout'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "protected-setup" -d 'Make the protected install\'s ledger directory and files (run by `install.sh --system`)'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "schema" -d 'Print the JSON Schema of one of gate\'s JSON shapes (as in schemas/); without NAME, list them'
complete -c gate -n "__fish_gate_using_subcommand help; and not __fish_seen_subcommand_from run shell check log show pending approve deny verify verify-command export doctor rules init hook hooks checkpoints shim shim-exec fleet policy slack ledger completions man protected-setup schema help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "lint" -d 'Parse and validate a policy, then run its inline tests'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "test" -d 'Run the policy\'s inline tests (tests.hit / tests.miss) only'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "list" -d 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "show" -d 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "edit" -d 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "claude-code" -d 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "codex" -d 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "gemini" -d 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate\'s channels'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "install" -d 'Write gate\'s hook entries into the agent\'s settings (merged; a backup is kept beside)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from hooks" -f -a "uninstall" -d 'Remove gate\'s hook entries (and only those) from the agent\'s settings'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from checkpoints" -f -a "post" -d 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "install" -d 'Write shims for these programs (put the shim directory first on PATH)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "list" -d 'List installed shims and the programs they stand for'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "remove" -d 'Remove shims'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from fleet" -f -a "init" -d 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from fleet" -f -a "status" -d 'The host streams this role may see: head seq, head hash, newest event'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from fleet" -f -a "seal" -d 'Seal every stream\'s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from fleet" -f -a "ship" -d 'Ship this host\'s ledger (the spool) into its stream now, and say what moved'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "keygen" -d 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "push" -d 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet\'s next policy version'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "fetch" -d 'Fetch the fleet\'s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host\'s system layer'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "status" -d 'The pinned key\'s fingerprint, the cached version, and the fleet\'s newest'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from slack" -f -a "serve" -d 'Relay the fleet\'s approvals to Slack: post each waiting request\'s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)'
complete -c gate -n "__fish_gate_using_subcommand help; and __fish_seen_subcommand_from ledger" -f -a "migrate" -d 'Move this host\'s SQLite ledger into its stream in the fleet, seq and hashes unchanged'
