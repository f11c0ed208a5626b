#!/usr/bin/env bash
# install.sh --uninstall [--purge]: stops the demo and removes what install.sh put in place (unit, drop-ins, Samba
# include, links). Data and configuration (/var/lib/coffer, /etc/coffer, the Samba user) stay unless --purge.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
. ./demo-paths.sh
purge=${1:-}

say() { printf '%s\n' "$*"; }

if systemd_is_pid1 && [ -f "$demo_unitfile" ]; then
  systemctl disable --now "$demo_unit" || true
elif demo_is_mounted; then
  coffer umount "$demo_mountpoint" || true # a dead mount is cleared by it too
fi
if [ -f "$demo_smbd_marker" ]; then
  # Only the smbd that install.sh started itself (no systemd) is stopped.
  pid=$(cat /run/samba/smbd.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$demo_smbd_marker"
  say "stopped the smbd install.sh had started"
fi

remove() { for f in "$@"; do [ -e "$f" ] || [ -L "$f" ] || continue; rm -f "$f"; say "removed $f"; done; }
remove "$demo_unitfile" "$demo_unitfile.d/coffer-servers.conf" \
  "/etc/systemd/system/smbd.service.d/coffer-$demo_slug.conf" "/etc/samba/coffer-$demo_slug.conf"
rmdir "$demo_unitfile.d" /etc/systemd/system/smbd.service.d 2>/dev/null || true
include="include = /etc/samba/coffer-$demo_slug.conf"
if grep -qxF "$include" /etc/samba/smb.conf 2>/dev/null; then
  # Exactly the line provision added (and its comment line just before it); the rest of smb.conf is untouched.
  cp -p /etc/samba/smb.conf "/etc/samba/smb.conf.coffer-backup-$(date -u +%Y%m%dT%H%M%S)"
  awk -v inc="$include" '
    { lines[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        if (lines[i] == inc) continue
        if (lines[i] ~ /^# Added by `coffer provision`/ && lines[i + 1] == inc) continue
        print lines[i]
      }
    }' /etc/samba/smb.conf > /etc/samba/smb.conf.coffer-tmp
  mv /etc/samba/smb.conf.coffer-tmp /etc/samba/smb.conf
  say "removed the include line from /etc/samba/smb.conf"
  smbcontrol smbd reload-config >/dev/null 2>&1 || true
fi
systemd_is_pid1 && systemctl daemon-reload
rmdir "$demo_mountpoint" 2>/dev/null && say "removed $demo_mountpoint" || true
remove /usr/local/bin/coffer /usr/local/bin/mount.coffer /usr/local/bin/umount.coffer /sbin/mount.coffer

if [ "$purge" = --purge ]; then
  pdbedit -L -u "$demo_owner" >/dev/null 2>&1 && smbpasswd -x "$demo_owner" >/dev/null && say "removed Samba user $demo_owner"
  getent passwd "$demo_owner" >/dev/null && userdel "$demo_owner" && say "removed user $demo_owner"
  rm -rf /etc/coffer /var/lib/coffer /var/cache/coffer "$demo_log"
  say "purged /etc/coffer, /var/lib/coffer (the demo's data), /var/cache/coffer"
else
  say "kept data and configuration: /var/lib/coffer, /etc/coffer, the Samba user $demo_owner (install.sh --uninstall --purge removes them)"
fi
say "Debian packages and Bun stay installed (other software may use them)."
