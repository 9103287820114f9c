#!/usr/bin/env bash
# Time whole gate processes against baselines in the same run (hyperfine), and peak memory.
#
#   scripts/bench-process.sh [--runs N]
#
# Times the gate that ./install.sh builds (static on Linux/glibc), installed into a temporary
# prefix. Needs hyperfine and sudo (apt-get install hyperfine sudo). Each gate run uses a fresh
# temporary HOME with no policy file: the built-in default policy, every pack on, ledger on.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=300
if [ "${1:-}" = "--runs" ]; then runs="$2"; fi

for tool in hyperfine sudo; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $tool" >&2; exit 1; }
done

home="$(mktemp -d)"
prefix="$(mktemp -d)"
trap 'rm -rf "$home" "$prefix"' EXIT
./install.sh --prefix "$prefix" >/dev/null
gate="$prefix/bin/gate"
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share"
unset CI GATE_POLICY GATE_LEDGER
"$gate" -- /bin/true   # create the ledger outside the timing

hook_input='{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"cwd":"/tmp","session_id":"s","tool_use_id":"t"}'
echo "$hook_input" > "$home/hook.json"

hyperfine --warmup 20 --runs "$runs" -N --export-json "$home/result.json" \
    --command-name 'true (bare spawn)' '/bin/true' \
    --command-name 'sudo -n /bin/true' 'sudo -n /bin/true' \
    --command-name 'gate -- /bin/true' "$gate -- /bin/true" \
    --command-name "gate check --shell" "$gate check --shell 'cd /srv/app && cargo test 2>&1 | tail -5'"

python3 - "$home/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = lambda k: r[k]["median"] * 1000
print()
print(f"median: true {med('true (bare spawn)'):.2f} ms, sudo {med('sudo -n /bin/true'):.2f} ms, "
      f"gate {med('gate -- /bin/true'):.2f} ms, gate check --shell {med('gate check --shell'):.2f} ms")
print(f"gate -- /bin/true / sudo -n /bin/true = {med('gate -- /bin/true') / med('sudo -n /bin/true'):.2f}x (target <= 0.75x, aim 0.5x)")
print(f"gate check --shell / bare spawn = {med('gate check --shell') / med('true (bare spawn)'):.2f}x (target <= 2.5x)")
PY

# The hook reads its JSON on stdin: time it through hyperfine's shell (whose own start-up
# hyperfine measures and subtracts), against /bin/true given the same stdin.
hyperfine --warmup 20 --runs "$runs" --export-json "$home/hook.json.result" \
    --command-name 'true < hook.json' "/bin/true < '$home/hook.json'" \
    --command-name 'gate hook claude-code' "$gate hook claude-code < '$home/hook.json'" >/dev/null
python3 - "$home/hook.json.result" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
bare, hook = r["true < hook.json"], r["gate hook claude-code"]
print(f"gate hook claude-code (allow, git status): {hook:.2f} ms vs /bin/true {bare:.2f} ms = {hook / bare:.2f}x (target <= 2.5x)")
PY

peak_kb=$(/usr/bin/time -f '%M' "$gate" -- /bin/true 2>&1 >/dev/null | tail -1)
echo "peak RSS of gate -- /bin/true: ${peak_kb} KiB (target <= 16384 KiB)"
