for f in *.log; do gzip -9 "$f" || { echo fail >&2; exit 1; }; done; ( cd /tmp && ls -la ) &
