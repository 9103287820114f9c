#!/usr/bin/env bash
# Scale benchmark for the ledger: 1,000,000 requests generated through the real write path,
# then `gate log -n 50`, `gate verify` and bytes per request.
#
#   scripts/bench-ledger.sh [COUNT]      (default 1000000; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
cargo build --release --example ledger_fill --bin gate
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
./target/release/examples/ledger_fill "$dir/ledger.db" "$count"
python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('pragma wal_checkpoint(TRUNCATE)')" "$dir/ledger.db"
bytes=$(stat -c %s "$dir/ledger.db")
echo "on disk after checkpoint: $bytes bytes, $((bytes / count)) bytes per request (target <= 1024)"
export GATE_LEDGER="$dir/ledger.db"
hyperfine --warmup 3 --runs 20 -N './target/release/gate log -n 50' './target/release/gate log -n 50 --json'
hyperfine --warmup 1 --runs 3 -N './target/release/gate verify'
