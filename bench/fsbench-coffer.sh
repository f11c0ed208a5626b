#!/usr/bin/env bash
# Runs ../shared/bench/fsbench.py on a fresh Coffer local:// mount and on a plain directory (the
# reference, same run), RUNS times each, interleaved, then the unmount time right after writing.
# Usage: bench/fsbench-coffer.sh [RUNS] [SIZE_MB]   (root; prints JSON lines to stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
size=${2:-256}
fsbench=../shared/bench/fsbench.py
work=$(mktemp -d /var/tmp/coffer-fsbench.XXXXXX)
store=$work/store mnt=$work/mnt cache=$work/cache plain=$work/plain
mkdir -p "$store" "$mnt" "$cache" "$plain"
printf '[bench]\nstorage-url: local://%s\nfs-passphrase: bench passphrase\n' "$store" > "$work/authinfo"
chmod 600 "$work/authinfo"
cleanup() {
  grep -qs " $mnt fuse.coffer " /proc/mounts && bin/coffer umount "$mnt" >/dev/null 2>&1 || true
  grep -qs " $mnt " /proc/mounts && umount -l "$mnt" || true
  rm -rf "$work"
}
trap cleanup EXIT
bin/coffer mkfs --authfile "$work/authinfo" "local://$store" >/dev/null
bin/coffer mount --authfile "$work/authinfo" --cachedir "$cache" --log "$work/mount.log" "local://$store" "$mnt" >/dev/null
drop="sync; echo 3 > /proc/sys/vm/drop_caches"
for i in $(seq "$runs"); do
  echo "{\"run\": $i, \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  python3 "$fsbench" "$plain" --size-mb "$size" --label plain --drop "$drop" | tail -1
  python3 "$fsbench" "$mnt" --size-mb "$size" --label coffer --drop "$drop" \
    --backend-du "$store" --settle "bin/coffer flush $mnt" | tail -1
done
# Unmount right after writing SIZE MiB of fresh data: how long until every byte is stored.
head -c "$((size << 20))" /dev/urandom > "$mnt/last.bin"
python3 - "$mnt" "$size" <<'PY'
import subprocess, sys, time
t = time.perf_counter()
subprocess.run(["bin/coffer", "umount", sys.argv[1]], check=True, capture_output=True)
print('{"umount_after_write_mb": %s, "s": %.2f}' % (sys.argv[2], time.perf_counter() - t))
PY
