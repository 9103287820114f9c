f() { rm -rf "$1"; }
f /tmp/x; function g { kubectl delete ns "$@"; }; g prod
