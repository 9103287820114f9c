#!/usr/bin/env bash
set -euo pipefail
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)
for f in "$@"; do
  case "$f" in
    *.yaml) kubectl apply -f "$f" ;;
    *) echo "skip $f" >&2 ;;
  esac
done
while read -r line; do ssh "$host" "systemctl restart $line"; done < services.txt
