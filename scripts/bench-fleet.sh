#!/usr/bin/env bash
# The fleet's targets (issue 17), measured against a PostgreSQL started here on 127.0.0.1 with
# its default durability (fsync on, synchronous_commit on), the release build:
#
#   scripts/bench-fleet.sh [--quick]
#
#   1. 16 writers appending for 60 s: events/s and append p50/p99   (target >= 1000/s, p99 < 100 ms)
#   2. a vote committed on one "host" -> the command started on another (target p50 < 100, p99 < 500 ms)
#   3. fleet-mode `gate -- /bin/true` against single-host mode, same run (hyperfine; no slower)
#   4. the background shipper's lag after a run                          (target p99 < 2 s)
#   6. 20 hosts x 50 requests (every fifth an ask), 3 approvers: nothing lost or doubled
#   5. `gate ledger migrate` of a 1,000,000-request ledger (< 5 min), then `gate verify --fleet`
#      of everything in the fleet (< 10 s for 1M events)
#
# --quick: 10 s of writers, 20 votes, 50 ship lags, a 100,000-request ledger. STEPS="3 4"
# runs only those. A step that fails is reported and the others still run. Needs hyperfine
# and PostgreSQL's server binaries (Debian's postgresql), as .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=60 votes=100 lags=200 requests=1000000
if [ "${1:-}" = "--quick" ]; then secs=10 votes=20 lags=50 requests=100000; fi
steps="${STEPS:-1 2 3 4 6 5}"
want() { case " $steps " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
failed=0
command -v hyperfine >/dev/null || { echo "missing hyperfine: apt-get install hyperfine" >&2; exit 1; }

pg_bin() {
    local d
    for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")" \
        /usr/local/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}
pgbin="$(pg_bin)" || { echo "no PostgreSQL server binaries: apt-get install postgresql" >&2; exit 1; }
work="$(mktemp -d)"
as_pg=()
if [ "$(id -u)" = 0 ]; then chmod 0755 "$work"; chown nobody "$work"; as_pg=(runuser -u nobody --); fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
stop() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
    pkill -f "fleet ship --background" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT
(cd "$work" && "${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U gate --auth=trust -E UTF8 --no-locale -N >/dev/null)
(cd "$work" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work -c max_connections=200 -c shared_buffers=512MB" \
    start >/dev/null)
psql -q -h 127.0.0.1 -p "$port" -U gate -d postgres -c "CREATE DATABASE bench" >/dev/null
admin="postgres://gate@127.0.0.1:$port/bench"

cargo build --release --bin gate --example fleet_load --example ledger_fill 2>&1 | tail -1
gate="$PWD/target/release/gate"
load="$PWD/target/release/examples/fleet_load"
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync on); $(nproc) cores"
GATE_FLEET="$admin" "$gate" fleet init >/dev/null

if want 1; then
    echo "== 1. 16 writers, ${secs} s"
    "$load" writers "$admin" 16 "$secs" || { echo "step 1 FAILED"; failed=1; }
fi

if want 2; then
    echo "== 2. vote -> command start, ${votes} asks"
    "$load" vote "$admin" "$gate" "$votes" || { echo "step 2 FAILED"; failed=1; }
fi

if want 3; then
echo "== 3. gate -- /bin/true: fleet mode against single-host mode"
psql -q -h 127.0.0.1 -p "$port" -U gate -d bench -c "CREATE ROLE hf LOGIN; GRANT gate_host TO hf" >/dev/null
for mode in single fleet; do
    mkdir -p "$work/$mode/.config/gate"
    : >"$work/$mode/.config/gate/policy.toml"
done
run_in() {
    echo "env -i PATH=/usr/bin:/bin HOME=$work/$1 XDG_CONFIG_HOME=$work/$1/.config XDG_DATA_HOME=$work/$1/.local/share $2 $gate -- /bin/true"
}
hyperfine --warmup 20 --runs 300 -N \
    --command-name 'single-host gate -- /bin/true' "$(run_in single "")" \
    --command-name 'fleet gate -- /bin/true' "$(run_in fleet "GATE_FLEET=postgres://hf@127.0.0.1:$port/bench?sslmode=disable")" || { echo "step 3 FAILED"; failed=1; }
fi

if want 4; then
    echo "== 4. ship lag, ${lags} runs 200 ms apart"
    "$load" shiplag "$admin" "$gate" "$lags" || { echo "step 4 FAILED"; failed=1; }
fi

if want 6; then
    echo "== 6. 20 hosts x 50 requests, 3 approvers"
    "$load" scenario "$admin" "$gate" 20 50 3 || { echo "step 6 FAILED"; failed=1; }
    GATE_FLEET="$admin" "$gate" verify --fleet | tail -2 || { echo "step 6: verify --fleet FAILED"; failed=1; }
fi

if want 5; then
echo "== 5. migrate a ${requests}-request ledger, then verify --fleet"
mig="$work/migrate"
mkdir -p "$mig"
./target/release/examples/ledger_fill "$mig/ledger.db" "$requests" | tail -1
psql -q -h 127.0.0.1 -p "$port" -U gate -d bench -c "CREATE ROLE mig LOGIN; GRANT gate_host TO mig" >/dev/null
start=$(date +%s.%N)
GATE_LEDGER="$mig/ledger.db" GATE_FLEET="postgres://mig@127.0.0.1:$port/bench?sslmode=disable" "$gate" ledger migrate
end=$(date +%s.%N)
echo "migrate: $(python3 -c "print(f'{$end - $start:.1f} s')")"
events=$(psql -qtA -h 127.0.0.1 -p "$port" -U gate -d bench -c "SELECT count(*) FROM gate.events")
echo "the fleet holds $events events"
hyperfine --runs 3 -N --command-name "gate verify --fleet ($events events)" \
    "env GATE_FLEET=$admin $gate verify --fleet" || { echo "step 5 FAILED"; failed=1; }
fi
exit "$failed"
