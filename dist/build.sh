#!/usr/bin/env bash
# Release archives for the machines offices run, built on one Debian x86-64 machine:
#
#   bangfu-VERSION-linux-x86_64.tar.gz   x86_64-unknown-linux-musl (static: any x86-64 Linux)
#   bangfu-VERSION-linux-arm64.tar.gz    aarch64-unknown-linux-gnu (static: any ARM64 Linux)
#   bangfu-VERSION-windows-x86_64.zip    x86_64-pc-windows-gnu     (64-bit Windows 10 and later)
#
# plus SHA256SUMS over them, in dist/out/. Each archive unpacks to one folder holding the
# binary, the default rules/, scenarios/, data/sample/ and docs/, README.md, CHANGELOG.md, the
# licences and 安装说明.txt, so `bangfu run` works inside it with no flags.
#
# Usage: dist/build.sh [TARGET…]   (default: all three). The cross compilers (Debian packages)
# and the Rust targets are installed when missing. All targets are built by one cargo
# invocation, so the build scripts and procedural macros compiled for this machine are shared.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-gnu x86_64-pc-windows-gnu)
if (($# > 0)); then targets=("$@"); else targets=("${all_targets[@]}"); fi

# What each target needs from Debian, as "probes packages…": the probes (commands, or files
# given by their full path, separated by commas) that must all be there, and the packages that
# give them. The ARM64 C library's files are a package of their own, which the compiler's
# package only recommends.
needs() {
    case "$1" in
        x86_64-unknown-linux-musl) echo "musl-gcc musl-tools" ;;
        aarch64-unknown-linux-gnu) echo "aarch64-linux-gnu-gcc,/usr/aarch64-linux-gnu/lib/crt1.o gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
        x86_64-pc-windows-gnu) echo "x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64" ;;
        *) echo "dist/build.sh: unknown target \`$1\` (known: ${all_targets[*]})" >&2; exit 2 ;;
    esac
}

# Archive name per target: what an office's IT person looks for, not the Rust triple
# (`bangfu --version` names the triple).
platform() {
    case "$1" in
        x86_64-unknown-linux-musl) echo linux-x86_64 ;;
        aarch64-unknown-linux-gnu) echo linux-arm64 ;;
        x86_64-pc-windows-gnu) echo windows-x86_64 ;;
    esac
}

missing=()
for t in "${targets[@]}"; do
    read -r probes pkgs <<<"$(needs "$t")"
    IFS=, read -r -a list <<<"$probes"
    for probe in "${list[@]}"; do
        found=y
        if [[ $probe == /* ]]; then
            [[ -e $probe ]] || found=
        else
            command -v "$probe" >/dev/null || found=
        fi
        if [[ -z $found ]]; then
            read -r -a each <<<"$pkgs"
            missing+=("${each[@]}")
            break
        fi
    done
done
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]} > 0)); then
    echo "installing ${missing[*]}" >&2
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || {
            echo "dist/build.sh: install ${missing[*]} (Debian packages) and run again" >&2
            exit 1
        }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

# Linkers (and C compilers, should a dependency compile C) per target, for this build only.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# Linked statically: a binary linked against this machine's glibc (2.36) would ask for
# GLIBC_2.34 and refuse to start on Kylin V10 and UOS 20, which ship glibc 2.28.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CC_x86_64_unknown_linux_musl=musl-gcc

target_args=()
for t in "${targets[@]}"; do target_args+=(--target "$t"); done
cargo build --locked --profile dist --bin bangfu "${target_args[@]}"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=dist/out
# A full build replaces every archive; building some targets keeps the others'.
if (($# == 0)); then rm -rf "$out"; fi
mkdir -p "$out"
# Every file in the archives carries the commit's time, so packing twice gives the same bytes.
stamp=$(git log -1 --format=%ct 2>/dev/null || echo 0)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for t in "${targets[@]}"; do
    name="bangfu-$version-$(platform "$t")"
    dir="$stage/$name"
    mkdir -p "$dir/data"
    exe=bangfu
    [[ $t == *windows* ]] && exe=bangfu.exe
    cp "target/$t/dist/$exe" "$dir/"
    cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$dir/"
    cp -r rules scenarios docs "$dir/"
    cp -r data/sample "$dir/data/"
    if [[ $t == *windows* ]]; then
        # Notepad on older Windows reads a file without a byte-order mark as GBK, and shows a
        # file with bare line feeds as one line.
        { printf '\xef\xbb\xbf'; sed 's/$/\r/' dist/install-windows.txt; } >"$dir/安装说明.txt"
        rm -f "$out/$name.zip"
        python3 - "$stage" "$name" "$out/$name.zip" "$stamp" <<'PY'
import os, sys, time, zipfile
stage, name, dest, stamp = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
when = time.gmtime(max(stamp, 315532800))[:6]  # zip times start in 1980
paths = []
for root, dirs, files in os.walk(os.path.join(stage, name)):
    dirs.sort()
    paths += [os.path.join(root, f) for f in sorted(files)]
# Python marks names that are not ASCII as UTF-8 (flag bit 11), which Windows Explorer reads:
# 安装说明.txt keeps its name.
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for p in paths:
        info = zipfile.ZipInfo(os.path.relpath(p, stage).replace(os.sep, "/"), when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o755 if os.access(p, os.X_OK) else 0o644) << 16
        with open(p, "rb") as f:
            z.writestr(info, f.read())
PY
    else
        cp dist/install-linux.txt "$dir/安装说明.txt"
        tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" \
            -C "$stage" -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"
    fi
done

# SHA256SUMS covers every archive in dist/out (those of targets built earlier too).
cd "$out"
shopt -s nullglob
archives=(bangfu-*.tar.gz bangfu-*.zip)
sha256sum -- "${archives[@]}" >SHA256SUMS
cat SHA256SUMS
