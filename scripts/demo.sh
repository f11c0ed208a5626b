#!/usr/bin/env bash
# The demo appliance: a local:// filesystem provisioned as a real one would be (authinfo, systemd unit, Samba
# share `coffer-demo` with a demo Samba user) and started. Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
. ./demo-paths.sh

mkdir -p "$demo_store"
chmod 700 "$demo_store"
coffer provision --storage-url "$demo_url" --mountpoint "$demo_mountpoint" --samba "$demo_share" --owner "$demo_owner" --yes

# The demo's Samba login: the share owner's account, with a generated password kept next to the authinfo file.
if ! pdbedit -L -u "$demo_owner" >/dev/null 2>&1; then
  (umask 077; [ -s "$demo_samba_password" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$demo_samba_password")
  pw=$(cat "$demo_samba_password")
  printf '%s\n%s\n' "$pw" "$pw" | smbpasswd -a -s "$demo_owner" >/dev/null
  echo "Samba user $demo_owner created; its password is in $demo_samba_password."
fi

# A unit's command line, as systemd would run it: $$ and %% are its escapes for $ and %.
unit_line() { sed -n "s/^$1=//p" "$demo_unitfile" | sed 's/\$\$/$/g; s/%%/%/g'; }

if systemd_is_pid1; then
  systemctl daemon-reload
  systemctl enable --now "$demo_unit"
  systemctl is-active --quiet smbd && smbcontrol smbd reload-config || systemctl start smbd
else
  if demo_is_mounted && ! grep -s " $demo_mountpoint fuse.coffer " /proc/mounts | grep -q allow_other; then
    # Mounted by an older demo without --allow-other: Samba's users could not enter it. Remount as the unit does.
    coffer umount "$demo_mountpoint"
  fi
  started=()
  if demo_is_mounted && stat -f "$demo_mountpoint" >/dev/null 2>&1; then
    echo "The demo is already mounted at $demo_mountpoint."
  else
    started+=("the daemon with the unit's own ExecStart")
    eval "$(unit_line ExecStartPre)"
    mkdir -p "$(dirname "$demo_log")"
    # shellcheck disable=SC2046 # the unit's ExecStart is a plain word list (provision allows no spaces in it)
    setsid nohup $(unit_line ExecStart) >>"$demo_log" 2>&1 </dev/null &
    daemon=$!
    for _ in $(seq 1 600); do
      demo_is_mounted && stat -f "$demo_mountpoint" >/dev/null 2>&1 && break
      kill -0 "$daemon" 2>/dev/null || { echo "demo.sh: the mount daemon exited; see $demo_log" >&2; tail -3 "$demo_log" >&2; exit 1; }
      sleep 0.2
    done
    demo_is_mounted || { echo "demo.sh: the demo did not mount within 120 s; see $demo_log" >&2; exit 1; }
    eval "$(unit_line ExecStartPost)"
  fi
  if smbcontrol smbd ping >/dev/null 2>&1; then
    smbcontrol smbd reload-config >/dev/null
  else
    smbd -D --option="interfaces=127.0.0.1" --option="bind interfaces only=yes"
    mkdir -p "$(dirname "$demo_smbd_marker")" && touch "$demo_smbd_marker"
    started+=("smbd on 127.0.0.1")
  fi
  if [ ${#started[@]} -gt 0 ]; then
    echo "systemd is not PID 1 here (container or CI): started $(IFS=,; echo "${started[*]}" | sed 's/,/ and /') directly; nothing restarts them at boot."
  fi
fi

cat <<MSG

Coffer demo: $demo_url is mounted at $demo_mountpoint and shared over Samba as [$demo_share].
  Look at it:   ls -la $demo_mountpoint; coffer stat $demo_mountpoint
  Over Samba:   smbclient //127.0.0.1/$demo_share -U $demo_owner%\$(cat $demo_samba_password) -c ls
  The store:    ls -R $demo_store   (encrypted objects only: no file names, no tree)
  Unmount:      coffer umount $demo_mountpoint   (returns once every byte is stored)
MSG
