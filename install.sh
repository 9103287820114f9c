#!/usr/bin/env bash
# Build gate with cargo and install it, its man page and its shell completions.
#
#   ./install.sh [--prefix DIR]     install into DIR (default ~/.local)
#   ./install.sh --uninstall [--prefix DIR]
#   sudo ./install.sh --system [--prefix DIR] [--state-dir DIR] [--conf-dir DIR] [--uninstall]
#                                   the protected install (default /usr/local, /var/lib/gate, /etc/gate)
#
# Idempotent: running it again replaces the files with the newly built ones.
set -euo pipefail

prefix=""
action=install
system=no
build_only=no
state_dir=/var/lib/gate
conf_dir=/etc/gate

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
        --system)
            system=yes
            shift
            ;;
        --build-only)
            build_only=yes
            shift
            ;;
        --state-dir | --conf-dir)
            [ $# -ge 2 ] || { echo "install.sh: $1 needs a directory" >&2; exit 64; }
            case "$2" in
                /*) ;;
                *) echo "install.sh: $1 needs an absolute path" >&2; exit 64 ;;
            esac
            if [ "$1" = --state-dir ]; then state_dir="$2"; else conf_dir="$2"; fi
            shift 2
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

if [ -z "$prefix" ]; then
    if [ "$system" = yes ]; then prefix=/usr/local; else prefix="${HOME:?HOME is not set}/.local"; fi
fi
if [ "$system" = yes ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: --system installs gate setgid with a root-owned ledger: run it as root (sudo ./install.sh --system)" >&2
    exit 77
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
files=(
    "bin/gate"
    "share/man/man1/gate.1"
    "share/bash-completion/completions/gate"
    "share/zsh/site-functions/_gate"
    "share/fish/vendor_completions.d/gate.fish"
)

if [ "$system" = yes ] && [ "$action" = uninstall ]; then
    for f in "${files[@]}" "lib/gate/protected.toml"; do
        if [ -e "$prefix/$f" ]; then
            rm -f "$prefix/$f"
            echo "removed $prefix/$f"
        fi
    done
    rmdir "$prefix/lib/gate" 2>/dev/null || true
    echo "the protected gate is uninstalled from $prefix; its ledger $state_dir and policy $conf_dir/policy.toml are kept (audit records):"
    echo "  remove them with: sudo rm -r $state_dir $conf_dir && sudo groupdel gate"
    exit 0
fi

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

build_gate() {
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
}

if [ "$build_only" = yes ]; then
    build_gate >&2
    echo "built: $built"
    exit 0
fi
if [ "$system" = yes ] && ! command -v cargo >/dev/null 2>&1 && [ -n "${SUDO_USER:-}" ] \
    && [ "$SUDO_USER" != root ]; then
    # sudo resets PATH, so the toolchain rustup put in the user's home is not root's: the user
    # who ran sudo builds (their login shell finds their cargo), root installs what they built.
    echo "building as $SUDO_USER (sudo hides their cargo from root)..."
    runuser="$(command -v runuser || echo /usr/sbin/runuser)"
    built="$("$runuser" -l "$SUDO_USER" -c "cd $(printf %q "$here") && ./install.sh --build-only" \
        | sed -n 's/^built: //p' | tail -n 1)"
    if [ -z "$built" ] || [ ! -x "$built" ]; then
        echo "install.sh: the build as $SUDO_USER failed (above); install Rust for root, or see the README's protected install" >&2
        exit 69
    fi
else
    build_gate
fi

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
if [ "$system" = yes ]; then
    # The protected install: the binary setgid `gate` (a group with no members), a root-owned
    # protected.toml beside it naming the ledger and policy directories, the ledger made by
    # gate itself as root (root:gate 2770, files 0660, the key 0640), and a system policy.
    if ! getent group gate >/dev/null; then
        groupadd --system gate
        echo "created the system group gate"
    fi
    install -o root -g gate -m 2755 "$built" "$prefix/bin/gate"
    install -d -o root -g root -m 0755 "$prefix/lib/gate"
    tmp="$(mktemp)"
    printf '# Written by install.sh --system: this gate is the protected install.\nstate_dir = "%s"\nconf_dir = "%s"\n' \
        "$state_dir" "$conf_dir" >"$tmp"
    install -o root -g root -m 0644 "$tmp" "$prefix/lib/gate/protected.toml"
    rm -f "$tmp"
    install -d -o root -g root -m 0755 "$conf_dir"
    if [ ! -e "$conf_dir/policy.toml" ]; then
        tmp="$(mktemp)"
        cat >"$tmp" <<'POLICY'
# The system policy of gate's protected install: it wins on [defaults], and its rules and packs
# apply to every user (a user's own policy only adds rules). Root-owned, mode 0644.
# Reference: man gate; check it with `gate rules lint /etc/gate/policy.toml`.

packs = ["all"]            # every built-in pack, including those later releases add

[defaults]
decision = "allow"
channels = ["terminal", "local"]   # local: another user answers with `gate pending` / `gate approve ID`
timeout = "15m"

# [approvers]
# sre = ["alice", "bob"]   # OS users who may approve requests that name `sre`
POLICY
        install -o root -g root -m 0644 "$tmp" "$conf_dir/policy.toml"
        rm -f "$tmp"
        echo "installed $conf_dir/policy.toml"
    fi
    "$prefix/bin/gate" protected-setup
else
    install -m 0755 "$built" "$prefix/bin/gate"
fi
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
