#!/usr/bin/env bash
# Installs Coffer on this machine (Debian packages, Bun from npm, dependencies, `coffer` on PATH) and,
# unless --no-demo, creates and mounts a demo filesystem on the local:// backend. Run as root.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    -h|--help) echo "usage: sudo ./install.sh [--no-demo]"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh): it installs packages and mounts" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n==> %s\n' "$*"; }

# fuse3: fusermount3 and the kernel's FUSE device; python3 drives parts of the tests; nodejs runs the
# test S3 server (s3rver needs Node, not Bun).
# fio is for the test suite (it verifies data written through a mount).
pkgs=(fuse3 python3 ca-certificates fio)
# Shares: setfacl/getfacl for the ACL tests; nfs-ganesha (FSAL VFS), rpcbind, ip and the libnfs client for the live NFS test.
pkgs+=(acl nfs-ganesha nfs-ganesha-vfs libnfs-utils rpcbind iproute2)
# A machine may bring its own Node: then Debian's is not needed.
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  step "Debian packages: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v bun >/dev/null; then
  step "Bun (from npm)"
  npm install -g bun >/dev/null
fi
bun --version >/dev/null

step "Dependencies (bun install)"
bun install --frozen-lockfile

step "coffer on PATH"
ln -sf "$PWD/bin/coffer" /usr/local/bin/coffer
echo "/usr/local/bin/coffer -> $PWD/bin/coffer"

if [ "$demo" = 1 ]; then
  ./scripts/demo.sh
fi
