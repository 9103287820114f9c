#!/usr/bin/env bash
# Build gate with cargo and install it, its man page and its shell completions.
#
#   ./install.sh [--prefix DIR]     install into DIR (default ~/.local)
#   ./install.sh --uninstall [--prefix DIR]
#
# Idempotent: running it again replaces the files with the newly built ones.
set -euo pipefail

prefix="${HOME:?HOME is not set}/.local"
action=install

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix)
            [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 64; }
            prefix="$2"
            shift 2
            ;;
        --prefix=*)
            prefix="${1#--prefix=}"
            shift
            ;;
        --uninstall)
            action=uninstall
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "install.sh: unknown argument '$1'" >&2
            usage >&2
            exit 64
            ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
files=(
    "bin/gate"
    "share/man/man1/gate.1"
    "share/bash-completion/completions/gate"
    "share/zsh/site-functions/_gate"
    "share/fish/vendor_completions.d/gate.fish"
)

if [ "$action" = uninstall ]; then
    # The shims `gate shim` wrote call the gate removed here: every shimmed command would
    # fail. Only files carrying gate's shim marker are removed.
    shim_dir="${GATE_SHIM_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gate/shims}"
    if [ -d "$shim_dir" ]; then
        for shim in "$shim_dir"/*; do
            [ -f "$shim" ] || continue
            if head -c 256 "$shim" | grep -q '# gate-shim v1'; then
                rm -f "$shim"
                echo "removed the shim $shim"
            fi
        done
        rmdir "$shim_dir" 2>/dev/null && echo "removed $shim_dir (remove it from your PATH too)"
    fi
    for f in "${files[@]}"; do
        if [ -e "$prefix/$f" ]; then
            rm -f "$prefix/$f"
            echo "removed $prefix/$f"
        fi
    done
    echo "gate uninstalled from $prefix (your policy and ledger under ~/.config/gate and ~/.local/share/gate are kept)"
    exit 0
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo is not installed; install Rust from your package manager or rustup first" >&2
    exit 69
fi

# On Linux with glibc, gate is linked statically and without PIE: it starts once per command an
# agent runs, and skipping the dynamic loader halves its start-up time. glibc's own NSS modules
# (files, dns) are built in; it is linked on this machine, against this machine's glibc. If the
# static link fails (no libc.a), a normal dynamic build is installed instead.
host="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[ -n "$target_dir" ] || target_dir="$here/target"
built=""
case "$host" in
    *-linux-gnu)
        echo "building gate (release, static)..."
        if RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
            cargo build --release --locked --target "$host" --manifest-path "$here/Cargo.toml"; then
            built="$target_dir/$host/release/gate"
        else
            echo "install.sh: the static build failed; building a dynamically linked gate instead" >&2
        fi
        ;;
esac
if [ -z "$built" ]; then
    echo "building gate (release)..."
    cargo build --release --locked --manifest-path "$here/Cargo.toml"
    built="$target_dir/release/gate"
fi

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 0755 "$built" "$prefix/bin/gate"
install -m 0644 "$here/man/gate.1" "$prefix/share/man/man1/gate.1"
install -m 0644 "$here/completions/gate.bash" "$prefix/share/bash-completion/completions/gate"
install -m 0644 "$here/completions/_gate" "$prefix/share/zsh/site-functions/_gate"
install -m 0644 "$here/completions/gate.fish" "$prefix/share/fish/vendor_completions.d/gate.fish"
for f in "${files[@]}"; do
    echo "installed $prefix/$f"
done

case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; add it, e.g. export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
echo "try it: gate -- echo hello"
