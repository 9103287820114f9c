#!/usr/bin/env bash
# End-to-end test of gate's hooks under the real agents: Claude Code, Codex CLI, Gemini CLI.
#
#   scripts/agents-e2e.sh [--agents claude,codex,gemini] [--checks allow,fail,deny,ask,wrapped,hooks]
#                         [--keep] [--trace-hooks]
#
# Installs the pinned agents below with npm into a temporary directory (the only network it
# uses: the npm registry), starts fake model APIs on 127.0.0.1 and drives each agent headless
# through five commands (allowed, failing, denied, asked and approved with `gate approve` from
# a pseudo-terminal, a denied one wrapped in `env sh -c`), then checks the ledger, marker
# files and what the agent sent its model. The work is done by scripts/agents_e2e.py (Python
# 3.11 standard library). Prints one PASS/FAIL line per check and a summary table; exits 0
# when all pass, 1 on any FAIL. An agent npm cannot install for want of a registry is one
# `SKIP:` line (exit 0 if nothing else fails). Finishes within 15 minutes.
#
# gate under test: $GATE_BIN, default target/debug/gate (build it first: cargo build).
# --keep keeps the temporary directory (homes, ledgers, each request the fakes got, each
# agent's output); --trace-hooks also records every hook call's input and answer there.
#
# Pinned versions. To update: `npm view PACKAGE versions --json` (and `npm view
# PACKAGE@VERSION engines`: this machine has Node 20, and Claude Code declares `node >= 22`
# from 2.1.198 on, though it ships a native binary), change the version here, run this
# script, and read its FAIL lines: the fakes follow each agent's wire format (Anthropic
# Messages, OpenAI Responses, Gemini generateContent) and its headless flags, which change.
CLAUDE_CODE_VERSION=2.1.197   # @anthropic-ai/claude-code
CODEX_VERSION=0.171.0         # @openai/codex
GEMINI_CLI_VERSION=0.61.0     # @google/gemini-cli

set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
start=$(date +%s)

agents="claude,codex,gemini"
checks=""
keep=0
trace=()
while [ $# -gt 0 ]; do
    case "$1" in
        --agents) agents="$2"; shift 2 ;;
        --checks) checks="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --trace-hooks) trace=(--trace-hooks); shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "agents-e2e: unknown argument $1" >&2; exit 64 ;;
    esac
done

gate_bin="${GATE_BIN:-$repo/target/debug/gate}"
if [ ! -x "$gate_bin" ]; then
    echo "agents-e2e: FAIL: no gate binary at $gate_bin (cargo build, or set GATE_BIN)" >&2
    exit 1
fi
for tool in python3 git; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "agents-e2e: FAIL: $tool is not installed" >&2
        exit 1
    fi
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    IFS=',' read -r -a wanted <<<"$agents"
    for agent in "${wanted[@]}"; do
        echo "SKIP: $agent: no node/npm on this machine to install it with"
    done
    exit 0
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "agents-e2e: FAIL: python3 is older than 3.11" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gate-agents-e2e.XXXXXX")"
child_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # the one child that may still run: npm (through timeout) or the driver, which ends the
    # agents and fakes it started
    if [ -n "$child_pid" ] && kill -0 "$child_pid" 2>/dev/null; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 1 ]; then
        echo "agents-e2e: kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "agents-e2e: gate $("$gate_bin" --version 2>/dev/null || echo "at $gate_bin"), node $(node --version), npm $(npm --version)"

# npm install, one agent at a time, each into a prefix of its own (one failure skips one agent).
# In the background, so that a signal (the CI step's timeout) is handled at once.
declare -A package=(
    [claude]="@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION"
    [codex]="@openai/codex@$CODEX_VERSION"
    [gemini]="@google/gemini-cli@$GEMINI_CLI_VERSION"
)
driver_args=()
IFS=',' read -r -a wanted <<<"$agents"
for agent in "${wanted[@]}"; do
    if [ -z "${package[$agent]:-}" ]; then
        echo "agents-e2e: unknown agent $agent (claude, codex, gemini)" >&2
        exit 64
    fi
    prefix="$tmp/npm/$agent"
    mkdir -p "$prefix"
    t0=$(date +%s)
    timeout 300 npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier \
        --loglevel=error "${package[$agent]}" >"$prefix/npm.log" 2>&1 &
    child_pid=$!
    npm_rc=0
    wait "$child_pid" || npm_rc=$?
    child_pid=""
    if [ "$npm_rc" = 0 ]; then
        echo "agents-e2e: installed ${package[$agent]} in $(( $(date +%s) - t0 ))s"
        driver_args+=(--npm-bin "$agent=$prefix/node_modules/.bin")
    elif [ "$npm_rc" = 124 ] || grep -Eqi 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up' "$prefix/npm.log"; then
        why="npm could not reach the registry to install ${package[$agent]}: $(grep -Ei 'npm (error|ERR)' "$prefix/npm.log" | head -n 2 | tr '\n' ' ')"
        driver_args+=(--skip "$agent=$why")
    else
        why="npm install ${package[$agent]} failed (exit $npm_rc, not for want of a registry): $(grep -Ei 'npm (error|ERR)' "$prefix/npm.log" | head -n 3 | tr '\n' ' ')"
        driver_args+=(--install-failed "$agent=$why")
    fi
done

# The agents run within what is left of 14 minutes (the last one is for npm and the summary).
elapsed=$(( $(date +%s) - start ))
budget=$(( 840 - elapsed ))
if [ "$budget" -lt 60 ]; then budget=60; fi

set +e
python3 "$repo/scripts/agents_e2e.py" run --workdir "$tmp/run" --gate "$gate_bin" --agents "$agents" \
    --budget "$budget" --agent-timeout 120 ${checks:+--checks "$checks"} "${trace[@]}" "${driver_args[@]}" &
child_pid=$!
wait "$child_pid"
rc=$?
child_pid=""
set -e

echo "agents-e2e: finished in $(( $(date +%s) - start ))s"
exit "$rc"
