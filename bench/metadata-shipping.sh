#!/usr/bin/env bash
# Cost of metadata shipping: fsbench on two Coffer local:// mounts in the same run, interleaved — one with the
# default --metadata-interval (5 s: a log entry every 5 s while changing) and one with 3600 s (the reference:
# metadata shipped only at flush/close) — RUNS each; then the metadata store traffic while idle and while busy.
# Usage: bench/metadata-shipping.sh [RUNS] [SIZE_MB] [IDLE_S]   (root; prints JSON lines to stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
size=${2:-64}
idle=${3:-30}
fsbench=../shared/bench/fsbench.py
work=$(mktemp -d /var/tmp/coffer-metaship.XXXXXX)
drop="sync; echo 3 > /proc/sys/vm/drop_caches"
cleanup() {
  for m in "$work"/mnt-*; do
    grep -qs " $m fuse.coffer " /proc/mounts && bin/coffer umount "$m" >/dev/null 2>&1 || true
    grep -qs " $m " /proc/mounts && umount -l "$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
for v in ship ref; do
  mkdir -p "$work/store-$v" "$work/mnt-$v" "$work/cache-$v"
  printf '[%s]\nstorage-url: local://%s\nfs-passphrase: bench passphrase\n\n' "$v" "$work/store-$v" >> "$work/authinfo"
done
chmod 600 "$work/authinfo"
declare -A interval=([ship]=5 [ref]=3600)
for v in ship ref; do
  bin/coffer mkfs --authfile "$work/authinfo" "local://$work/store-$v" >/dev/null
  bin/coffer mount --authfile "$work/authinfo" --cachedir "$work/cache-$v" --log "$work/mount-$v.log" \
    --metadata-interval "${interval[$v]}" "local://$work/store-$v" "$work/mnt-$v" >/dev/null
done
for i in $(seq "$runs"); do
  echo "{\"run\": $i, \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  for v in ship ref; do
    mkdir -p "$work/mnt-$v/run$i"
    python3 "$fsbench" "$work/mnt-$v/run$i" --size-mb "$size" --label "$v" --drop "$drop" \
      --settle "bin/coffer flush $work/mnt-$v" | tail -1
  done
done
# metadata objects in the shipping store: (count, bytes) of log and snapshot files, and the newest generation
meta_state() {
  find "$work/store-ship/meta" -type f -name '*#' -printf '%f %s\n' | awk '
    /^(log|db)-/ { g = substr($1, index($1, "-") + 1) + 0; if (g > max) max = g; n++; s += $2 }
    END { printf "{\"generation\": %d, \"objects\": %d, \"bytes\": %d}", max, n, s }'
}
bin/coffer flush "$work/mnt-ship" >/dev/null
echo "{\"idle_s\": $idle, \"before\": $(meta_state)}"
sleep "$idle"
echo "{\"idle_s\": $idle, \"after\": $(meta_state)}"
before=$(meta_state)
t0=$(date +%s)
cp -a /usr/include/linux "$work/mnt-ship/busy-copy"
for k in $(seq 200); do echo "$k" > "$work/mnt-ship/busy-copy/f$k"; done
sleep 12
echo "{\"busy\": \"cp -a /usr/include/linux + 200 small files, then 12 s\", \"s\": $(($(date +%s) - t0)), \"before\": $before, \"after\": $(meta_state)}"
echo "{\"log_and_snapshot_puts_logged_failures\": $(grep -c "metadata shipping failed" "$work/mount-ship.log" || true)}"
