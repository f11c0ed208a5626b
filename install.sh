#!/usr/bin/env bash
# Installs Coffer on this machine (Debian packages, Bun from npm, dependencies, `coffer`, mount.coffer and
# umount.coffer on PATH) and ends in the appliance: unless --no-demo, a demo filesystem on the local:// backend
# provisioned by `coffer provision` (systemd unit, Samba share coffer-demo) and started. Run as root; idempotent.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
demo=1 interactive=0 uninstall=0 purge=0
usage="usage: sudo ./install.sh [--no-demo | --interactive] | --uninstall [--purge]"
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    --interactive) interactive=1 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "install.sh: unknown option $arg ($usage)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh): it installs packages and mounts" >&2
  exit 2
fi
if [ "$purge" = 1 ] && [ "$uninstall" = 0 ]; then echo "install.sh: --purge goes with --uninstall" >&2; exit 2; fi
if [ "$uninstall" = 1 ]; then
  exec ./scripts/uninstall.sh "$([ "$purge" = 1 ] && echo --purge || true)"
fi
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n==> %s\n' "$*"; }

# fuse3: fusermount3 and the kernel's FUSE device; python3 drives parts of the tests; nodejs runs the
# test S3 server (s3rver needs Node, not Bun).
# fio is for the test suite (it verifies data written through a mount).
pkgs=(fuse3 python3 ca-certificates fio)
pkgs+=(tmux) # the coffer dash test drives the dashboard in a real terminal
# The appliance: samba + smbclient for the share (testparm checks it), systemd for systemd-analyze/systemd-escape
# (provision checks the unit); the live share tests also run nfs-ganesha (VFS), libnfs-utils, rpcbind and acl.
pkgs+=(samba smbclient systemd nfs-ganesha nfs-ganesha-vfs libnfs-utils rpcbind acl)
# The live NFS test brings up loopback in its own network namespace with ip.
pkgs+=(iproute2)
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

step "coffer, mount.coffer and umount.coffer on PATH"
for cmd in coffer mount.coffer umount.coffer; do
  ln -sfn "$PWD/bin/$cmd" "/usr/local/bin/$cmd"
  echo "/usr/local/bin/$cmd -> $PWD/bin/$cmd"
done
# mount(8) looks for helpers in /sbin only: this makes `mount -t coffer URL DIR -o ...` and fstab lines work.
ln -sfn "$PWD/bin/mount.coffer" /sbin/mount.coffer

if [ "$interactive" = 1 ]; then
  step "coffer provision (interactive)"
  coffer provision
elif [ "$demo" = 1 ]; then
  step "The demo appliance"
  ./scripts/demo.sh
fi
