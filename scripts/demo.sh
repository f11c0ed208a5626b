#!/usr/bin/env bash
# Creates (once) and mounts the demo filesystem: an encrypted coffer on the local:// backend, no cloud needed.
set -euo pipefail
store=/var/lib/coffer/demo-store
mountpoint=/mnt/coffer-demo
authfile=/root/.coffer/authinfo
url="local://$store"

mkdir -p "$store" "$mountpoint" "$(dirname "$authfile")"
chmod 700 "$(dirname "$authfile")"
if ! grep -qs "storage-url: $url" "$authfile"; then
  # A random passphrase for the demo, kept in the authinfo file (mode 600) like any real credential.
  umask 077
  { echo "[demo]"; echo "storage-url: $url"; echo "fs-passphrase: $(head -c 24 /dev/urandom | base64)"; echo; } >> "$authfile"
fi
chmod 600 "$authfile"
if [ -z "$(ls -A "$store")" ]; then
  coffer mkfs --authfile "$authfile" "$url"
fi
if grep -qs " $mountpoint fuse.coffer " /proc/mounts && ! stat "$mountpoint" >/dev/null 2>&1; then
  # A mount whose daemon died (machine shutdown, kill -9): clear it; its cache is recovered at the next mount.
  coffer umount "$mountpoint" || true
fi
if grep -qs " $mountpoint fuse.coffer " /proc/mounts; then
  echo "The demo is already mounted at $mountpoint."
else
  coffer mount --authfile "$authfile" "$url" "$mountpoint"
fi
cat <<MSG

Coffer demo: $url is mounted at $mountpoint.
  Look at it:   ls -la $mountpoint; cp -r /usr/share/doc/bash $mountpoint/ ; coffer stat $mountpoint
  The store:    ls -R $store   (encrypted objects only: no file names, no tree)
  Unmount:      coffer umount $mountpoint   (returns once every byte is stored)
MSG
