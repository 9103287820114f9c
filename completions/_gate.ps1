
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'gate' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'gate'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'gate' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the command must run: shown to approvers and stored in the ledger')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent or job name of the requester [default: $GATE_AGENT, else detected]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON line about the decision on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run COMMAND under the policy (the same as `gate -- COMMAND`)')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'The ledger''s requests, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One request: what was asked and decided, then a timeline of its events')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a request that waits on the `local` channel (in a fleet, from any host)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the ledger''s hash chain and checkpoints; name the first broken entry')
            [CompletionResult]::new('verify-command', 'verify-command', [CompletionResultType]::ParameterValue, 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'The ledger for auditors and SIEMs, oldest first')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Can gate protect you right now? ok / warn / FAIL per check, with the fix')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Policy tools')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter policy to the user policy path')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Agent hook adapters (Claude Code''s PreToolUse/PostToolUse)')
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Register (or remove) gate''s hooks in an agent''s settings: every event gate needs')
            [CompletionResult]::new('checkpoints', 'checkpoints', [CompletionResultType]::ParameterValue, 'Ledger checkpoints held elsewhere: post them to the policy''s Slack channel and webhook')
            [CompletionResult]::new('shim', 'shim', [CompletionResultType]::ParameterValue, 'PATH shims: route programs that cannot be configured through gate')
            [CompletionResult]::new('shim-exec', 'shim-exec', [CompletionResultType]::ParameterValue, 'Run a shimmed program (called by the shims `gate shim install` writes)')
            [CompletionResult]::new('fleet', 'fleet', [CompletionResultType]::ParameterValue, 'The fleet''s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'The fleet''s signed, versioned policy: make a key, push a version, fetch it on a host')
            [CompletionResult]::new('slack', 'slack', [CompletionResultType]::ParameterValue, 'The fleet''s Slack app: `gate slack serve` runs a relay')
            [CompletionResult]::new('ledger', 'ledger', [CompletionResultType]::ParameterValue, 'The ledger itself: move it into the fleet')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('protected-setup', 'protected-setup', [CompletionResultType]::ParameterValue, 'Make the protected install''s ledger directory and files (run by `install.sh --system`)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of one of gate''s JSON shapes (as in schemas/); without NAME, list them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;run' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the command must run: shown to approvers and stored in the ledger')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent or job name of the requester [default: $GATE_AGENT, else detected]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON line about the decision on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;shell' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the command must run: shown to approvers and stored in the ledger')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent or job name of the requester [default: $GATE_AGENT, else detected]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for approval, e.g. 90s, 15m [default: the rule''s or the policy''s]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Restrict approval to these channels (repeatable): terminal, local, slack, webhook')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The shell script to analyse and run')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON line about the decision on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;check' {
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Decide on a shell command line instead of an argv')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent name to decide for (for `when.agent`)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the decision as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;log' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many requests to show')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many requests to show')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only requests before this time or age')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only this status: ran, denied, expired, cancelled, error, running, unknown')
            [CompletionResult]::new('--decision', '--decision', [CompletionResultType]::ParameterName, 'Only this decision: allow, ask, deny')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Only requests this rule matched')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only requests made by this agent')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only requests made by this OS user')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Only requests whose command, script or reason contains TEXT (case-insensitive)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per request, one per line')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Show the whole command, however long (else it is cut to the terminal''s width)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Times in UTC (never relative) instead of local time')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Read the fleet''s shared ledger instead: every host''s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The request and its raw events as one JSON object')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Times in UTC instead of local time')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Look in the fleet''s shared ledger instead, on every host')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;pending' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per request, one per line')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'List what waits in the fleet''s shared ledger, on every host, that you (your own PostgreSQL role) may approve; the default when a fleet is configured')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;approve' {
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'A comment stored with the approval')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;deny' {
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'Why, stored with the denial and shown to the requester')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;verify' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Check the fleet''s shared ledger instead: every host stream this role may read')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;verify-command' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'jsonl: one request per line (the `gate log --json` shape); csv: one row per request')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only requests at or after this time (2026-11-23T10:00:00Z, 2026-11-23) or within this age (2h, 7d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only requests before this time or age')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only this status: ran, denied, expired, cancelled, error, running, unknown')
            [CompletionResult]::new('--decision', '--decision', [CompletionResultType]::ParameterName, 'Only this decision: allow, ask, deny')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Only requests this rule matched')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only requests made by this agent')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only requests made by this OS user')
            [CompletionResult]::new('--grep', '--grep', [CompletionResultType]::ParameterName, 'Only requests whose command, script or reason contains TEXT (case-insensitive)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Read the fleet''s shared ledger instead: every host''s requests, each from its host stream (the fleet: [fleet] url in the system policy, or GATE_FLEET)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;doctor' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to check instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object: {"ok", "checks": [{"section", "name", "status", "detail", "fix"}]}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Parse and validate a policy, then run its inline tests')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the policy''s inline tests (tests.hit / tests.miss) only')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;rules;lint' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules;test' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules;list' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object a line: {id, decision, risk, source: {file, line} | {pack} | {builtin}, disabled, disabled_by}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules;show' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy (the system policy still applies)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The rule as one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules;edit' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'The policy file to edit instead of the user policy')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;rules;help' {
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Parse and validate a policy, then run its inline tests')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the policy''s inline tests (tests.hit / tests.miss) only')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;rules;help;lint' {
            break
        }
        'gate;rules;help;test' {
            break
        }
        'gate;rules;help;list' {
            break
        }
        'gate;rules;help;show' {
            break
        }
        'gate;rules;help;edit' {
            break
        }
        'gate;rules;help;help' {
            break
        }
        'gate;init' {
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Write here instead of the user policy path')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing policy file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hook' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('claude-code', 'claude-code', [CompletionResultType]::ParameterValue, 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout')
            [CompletionResult]::new('codex', 'codex', [CompletionResultType]::ParameterValue, 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels')
            [CompletionResult]::new('gemini', 'gemini', [CompletionResultType]::ParameterValue, 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;hook;claude-code' {
            [CompletionResult]::new('--ask', '--ask', [CompletionResultType]::ParameterName, 'Who answers a command that needs approval: `claude` hands it to Claude Code''s own prompt; `gate` asks gate''s channels (Slack, webhook, local) within the hook''s time')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hook;codex' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hook;gemini' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file to use instead of the user policy')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The agent name to record [default: the agent''s own: claude-code, codex, gemini-cli]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hook;help' {
            [CompletionResult]::new('claude-code', 'claude-code', [CompletionResultType]::ParameterValue, 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout')
            [CompletionResult]::new('codex', 'codex', [CompletionResultType]::ParameterValue, 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels')
            [CompletionResult]::new('gemini', 'gemini', [CompletionResultType]::ParameterValue, 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;hook;help;claude-code' {
            break
        }
        'gate;hook;help;codex' {
            break
        }
        'gate;hook;help;gemini' {
            break
        }
        'gate;hook;help;help' {
            break
        }
        'gate;hooks' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove gate''s hook entries (and only those) from the agent''s settings')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;hooks;install' {
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'The project''s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change (a diff), change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hooks;uninstall' {
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'The project''s settings (DIR/.claude, DIR/.codex, DIR/.gemini) instead of the user''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change (a diff), change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;hooks;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove gate''s hook entries (and only those) from the agent''s settings')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;hooks;help;install' {
            break
        }
        'gate;hooks;help;uninstall' {
            break
        }
        'gate;hooks;help;help' {
            break
        }
        'gate;checkpoints' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('post', 'post', [CompletionResultType]::ParameterValue, 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;checkpoints;post' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'policy')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;checkpoints;help' {
            [CompletionResult]::new('post', 'post', [CompletionResultType]::ParameterValue, 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;checkpoints;help;post' {
            break
        }
        'gate;checkpoints;help;help' {
            break
        }
        'gate;shim' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write shims for these programs (put the shim directory first on PATH)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List installed shims and the programs they stand for')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove shims')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;shim;install' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;shim;list' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;shim;remove' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;shim;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write shims for these programs (put the shim directory first on PATH)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List installed shims and the programs they stand for')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove shims')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;shim;help;install' {
            break
        }
        'gate;shim;help;list' {
            break
        }
        'gate;shim;help;remove' {
            break
        }
        'gate;shim;help;help' {
            break
        }
        'gate;shim-exec' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;fleet' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The host streams this role may see: head seq, head hash, newest event')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals')
            [CompletionResult]::new('ship', 'ship', [CompletionResultType]::ParameterValue, 'Ship this host''s ledger (the spool) into its stream now, and say what moved')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;fleet;init' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;fleet;status' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object: {fleet, role, schema_version, hosts: [{stream, kind, head_seq, head_hash, last_event, last_recorded}]}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;fleet;seal' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object: {fleet, n, hash, prev, at, made, heads: {STREAM: {seq, hash}}}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;fleet;ship' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'The detached shipper gate starts: ship, linger for new events, exit when idle')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;fleet;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The host streams this role may see: head seq, head hash, newest event')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals')
            [CompletionResult]::new('ship', 'ship', [CompletionResultType]::ParameterValue, 'Ship this host''s ledger (the spool) into its stream now, and say what moved')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;fleet;help;init' {
            break
        }
        'gate;fleet;help;status' {
            break
        }
        'gate;fleet;help;seal' {
            break
        }
        'gate;fleet;help;ship' {
            break
        }
        'gate;fleet;help;help' {
            break
        }
        'gate;policy' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The pinned key''s fingerprint, the cached version, and the fleet''s newest')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;policy;keygen' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the key files (default: $XDG_CONFIG_HOME/gate)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;policy;push' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The private key (default: $XDG_CONFIG_HOME/gate/policy-signing.key)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;policy;fetch' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object, as `gate policy status --json`, with `fetched`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;policy;status' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object: {key_fingerprint, cache, cached_version, cache_problem, newest_version, behind, fetched}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;policy;help' {
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The pinned key''s fingerprint, the cached version, and the fleet''s newest')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;policy;help;keygen' {
            break
        }
        'gate;policy;help;push' {
            break
        }
        'gate;policy;help;fetch' {
            break
        }
        'gate;policy;help;status' {
            break
        }
        'gate;policy;help;help' {
            break
        }
        'gate;slack' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;slack;serve' {
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'Take Slack''s requests (interactivity and events) over HTTP on ADDR (host:port) instead of Socket Mode, each checked against the signing secret in GATE_SLACK_SIGNING_SECRET; put TLS in front')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;slack;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;slack;help;serve' {
            break
        }
        'gate;slack;help;help' {
            break
        }
        'gate;ledger' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;ledger;migrate' {
            [CompletionResult]::new('--max-events', '--max-events', [CompletionResultType]::ParameterName, 'Move at most N events this run (a rerun goes on)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('--accept-broken', '--accept-broken', [CompletionResultType]::ParameterName, 'Move a broken ledger''s events up to its first break (the rest stay in the file)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;ledger;help' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;ledger;help;migrate' {
            break
        }
        'gate;ledger;help;help' {
            break
        }
        'gate;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;protected-setup' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;schema' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what gate writes (stdout and stderr each on its own)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'gate;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run COMMAND under the policy (the same as `gate -- COMMAND`)')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Drop-in for `sh -c SCRIPT`: analyse SCRIPT, then run it with /bin/sh')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Decide only, run nothing: say which rules matched and why (exit 0 allow, 1 ask, 2 deny)')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'The ledger''s requests, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One request: what was asked and decided, then a timeline of its events')
            [CompletionResult]::new('pending', 'pending', [CompletionResultType]::ParameterValue, 'Requests waiting for an answer on the `local` channel (in a fleet: on every host)')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a request that waits on the `local` channel (from your own terminal; in a fleet, from any host, as your own PostgreSQL role)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a request that waits on the `local` channel (in a fleet, from any host)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the ledger''s hash chain and checkpoints; name the first broken entry')
            [CompletionResult]::new('verify-command', 'verify-command', [CompletionResultType]::ParameterValue, 'Prove whether ARGV is exactly the command line request ID ran (keyed hash; exit 0 yes, 1 no)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'The ledger for auditors and SIEMs, oldest first')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Can gate protect you right now? ok / warn / FAIL per check, with the fix')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Policy tools')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter policy to the user policy path')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Agent hook adapters (Claude Code''s PreToolUse/PostToolUse)')
            [CompletionResult]::new('hooks', 'hooks', [CompletionResultType]::ParameterValue, 'Register (or remove) gate''s hooks in an agent''s settings: every event gate needs')
            [CompletionResult]::new('checkpoints', 'checkpoints', [CompletionResultType]::ParameterValue, 'Ledger checkpoints held elsewhere: post them to the policy''s Slack channel and webhook')
            [CompletionResult]::new('shim', 'shim', [CompletionResultType]::ParameterValue, 'PATH shims: route programs that cannot be configured through gate')
            [CompletionResult]::new('shim-exec', 'shim-exec', [CompletionResultType]::ParameterValue, 'Run a shimmed program (called by the shims `gate shim install` writes)')
            [CompletionResult]::new('fleet', 'fleet', [CompletionResultType]::ParameterValue, 'The fleet''s shared ledger on PostgreSQL ([fleet] url in the system policy, or GATE_FLEET)')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'The fleet''s signed, versioned policy: make a key, push a version, fetch it on a host')
            [CompletionResult]::new('slack', 'slack', [CompletionResultType]::ParameterValue, 'The fleet''s Slack app: `gate slack serve` runs a relay')
            [CompletionResult]::new('ledger', 'ledger', [CompletionResultType]::ParameterValue, 'The ledger itself: move it into the fleet')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout')
            [CompletionResult]::new('protected-setup', 'protected-setup', [CompletionResultType]::ParameterValue, 'Make the protected install''s ledger directory and files (run by `install.sh --system`)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of one of gate''s JSON shapes (as in schemas/); without NAME, list them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gate;help;run' {
            break
        }
        'gate;help;shell' {
            break
        }
        'gate;help;check' {
            break
        }
        'gate;help;log' {
            break
        }
        'gate;help;show' {
            break
        }
        'gate;help;pending' {
            break
        }
        'gate;help;approve' {
            break
        }
        'gate;help;deny' {
            break
        }
        'gate;help;verify' {
            break
        }
        'gate;help;verify-command' {
            break
        }
        'gate;help;export' {
            break
        }
        'gate;help;doctor' {
            break
        }
        'gate;help;rules' {
            [CompletionResult]::new('lint', 'lint', [CompletionResultType]::ParameterValue, 'Parse and validate a policy, then run its inline tests')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the policy''s inline tests (tests.hit / tests.miss) only')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every rule in force, one a line: id, decision, risk, source (file:line or pack), and `disabled` when switched off')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule: its patterns, conditions, message, risk, decision, approvers, tests, source')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit the user policy safely: $VISUAL, else $EDITOR, else vi, on a copy; installed only when it lints clean (inline tests included)')
            break
        }
        'gate;help;rules;lint' {
            break
        }
        'gate;help;rules;test' {
            break
        }
        'gate;help;rules;list' {
            break
        }
        'gate;help;rules;show' {
            break
        }
        'gate;help;rules;edit' {
            break
        }
        'gate;help;init' {
            break
        }
        'gate;help;hook' {
            [CompletionResult]::new('claude-code', 'claude-code', [CompletionResultType]::ParameterValue, 'Claude Code: reads the hook JSON on stdin, answers allow/deny/ask on stdout')
            [CompletionResult]::new('codex', 'codex', [CompletionResultType]::ParameterValue, 'OpenAI Codex CLI: its PreToolUse hook; allow is silence, deny is exit status 2 with the reason on stderr; a command that needs approval is asked on gate''s channels')
            [CompletionResult]::new('gemini', 'gemini', [CompletionResultType]::ParameterValue, 'Gemini CLI: its BeforeTool hook for run_shell_command; allow is `{}`, deny is `{"decision":"deny"}` with exit status 2; approval is asked on gate''s channels')
            break
        }
        'gate;help;hook;claude-code' {
            break
        }
        'gate;help;hook;codex' {
            break
        }
        'gate;help;hook;gemini' {
            break
        }
        'gate;help;hooks' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write gate''s hook entries into the agent''s settings (merged; a backup is kept beside)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove gate''s hook entries (and only those) from the agent''s settings')
            break
        }
        'gate;help;hooks;install' {
            break
        }
        'gate;help;hooks;uninstall' {
            break
        }
        'gate;help;checkpoints' {
            [CompletionResult]::new('post', 'post', [CompletionResultType]::ParameterValue, 'Send the checkpoints not yet sent to [slack] and [webhook] (gate also does this in the background whenever a run writes one)')
            break
        }
        'gate;help;checkpoints;post' {
            break
        }
        'gate;help;shim' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Write shims for these programs (put the shim directory first on PATH)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List installed shims and the programs they stand for')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove shims')
            break
        }
        'gate;help;shim;install' {
            break
        }
        'gate;help;shim;list' {
            break
        }
        'gate;help;shim;remove' {
            break
        }
        'gate;help;shim-exec' {
            break
        }
        'gate;help;fleet' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create (or bring up to date) the schema gate, its NOLOGIN owner role and the group roles gate_host, gate_approver, gate_relay, gate_auditor; run once by an administrator')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The host streams this role may see: head seq, head hash, newest event')
            [CompletionResult]::new('seal', 'seal', [CompletionResultType]::ParameterValue, 'Seal every stream''s head now (a seal chained to the one before), or show the newest seal when nothing moved since; `gate verify --fleet` checks the seals')
            [CompletionResult]::new('ship', 'ship', [CompletionResultType]::ParameterValue, 'Ship this host''s ledger (the spool) into its stream now, and say what moved')
            break
        }
        'gate;help;fleet;init' {
            break
        }
        'gate;help;fleet;status' {
            break
        }
        'gate;help;fleet;seal' {
            break
        }
        'gate;help;fleet;ship' {
            break
        }
        'gate;help;policy' {
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 signing key for fleet policies (policy-signing.key, mode 0600, and policy-signing.pub); never overwrites one')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Lint FILE and run its inline tests as a host will load it, sign it and store it as the fleet''s next policy version')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Fetch the fleet''s newest policy, check its signature against [fleet] policy_key of the system policy and cache it as this host''s system layer')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The pinned key''s fingerprint, the cached version, and the fleet''s newest')
            break
        }
        'gate;help;policy;keygen' {
            break
        }
        'gate;help;policy;push' {
            break
        }
        'gate;help;policy;fetch' {
            break
        }
        'gate;help;policy;status' {
            break
        }
        'gate;help;slack' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Relay the fleet''s approvals to Slack: post each waiting request''s card once and record every click as a vote (run as a role in gate_relay, with the Slack tokens; one or two per fleet)')
            break
        }
        'gate;help;slack;serve' {
            break
        }
        'gate;help;ledger' {
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Move this host''s SQLite ledger into its stream in the fleet, seq and hashes unchanged')
            break
        }
        'gate;help;ledger;migrate' {
            break
        }
        'gate;help;completions' {
            break
        }
        'gate;help;man' {
            break
        }
        'gate;help;protected-setup' {
            break
        }
        'gate;help;schema' {
            break
        }
        'gate;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
