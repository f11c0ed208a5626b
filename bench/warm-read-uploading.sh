#!/usr/bin/env bash
# Warm sequential reads while uploads run (issue 11: "≥ 0.9× the plain directory while uploads run"): on a
# plain directory and on Coffer s3c:// to a private s3rver, in the same run, interleaved. Each round writes file
# A, then starts a background writer of fresh data (file B, rate-limited, so Coffer's upload queue is busy for
# the whole read) and reads A sequentially twice: from the page cache as written ("page cache"), and after
# drop_caches ("own cache": plain reads its disk, Coffer its cache files through FUSE). fio as fsbench runs it.
# Usage (root): bench/warm-read-uploading.sh [RUNS] [SIZE_MB] [WRITER_MB_S]   (prints JSON lines, then medians)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
coffer=$repo/bin/coffer
runs=${1:-3}
size=${2:-256}
rate=${3:-60}
work=$(mktemp -d /var/tmp/coffer-warmread.XXXXXX)
mnt=$work/mnt
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  grep -qs " $mnt fuse.coffer " /proc/mounts && "$coffer" umount "$mnt" >/dev/null 2>&1 || true
  grep -qs " $mnt " /proc/mounts && umount -l "$mnt" || true
  [ -n "${s3pid:-}" ] && kill "$s3pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/s3rver" "$mnt" "$work/cache" "$work/plain"
# s3rver needs Node's legacy provider (its listing tokens use DES, see ARCHITECTURE.md)
(cd "$repo" && exec node --openssl-legacy-provider node_modules/.bin/s3rver -d "$work/s3rver" -a 127.0.0.1 -p "$port" --silent) \
  >"$work/s3rver.log" 2>&1 &
s3pid=$!
for ((i = 0; i < 150; i++)); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
curl -s -f -X PUT "http://127.0.0.1:$port/coffer" >/dev/null # the bucket (s3rver checks no signatures)
url=s3c://127.0.0.1:$port/coffer/warm
printf '[bench]\nstorage-url: %s\nbackend-login: S3RVER\nbackend-password: S3RVER\nbackend-options: no-ssl\nfs-passphrase: bench passphrase\n' "$url" > "$work/authinfo"
chmod 600 "$work/authinfo"
"$coffer" mkfs --authfile "$work/authinfo" "$url" >/dev/null
"$coffer" mount --authfile "$work/authinfo" --cachedir "$work/cache" --log "$work/mount.log" "$url" "$mnt" >/dev/null

fio_mb_s() { # NAME DIR RW [extra...] -> MB/s
  local name=$1 dir=$2 rw=$3; shift 3
  fio --name="$name" --directory="$dir" --rw="$rw" --bs=1M --size="${size}M" --ioengine=psync --output-format=json \
    --refill_buffers --randrepeat=0 --numjobs=1 "$@" |
    python3 -c 'import json,sys; t=sys.stdin.read(); j=json.loads(t[t.index("{"):])["jobs"][0]; s=j["write"] if j["write"]["bw_bytes"] else j["read"]; print(round(s["bw_bytes"]/1e6,1))'
}
for i in $(seq "$runs"); do
  for target in plain coffer; do
    dir=$work/plain; [ "$target" = coffer ] && dir=$mnt
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    fio_mb_s A "$dir" write --end_fsync=1 >/dev/null
    # the background writer: fresh data at WRITER_MB_S for longer than the reads take
    fio --name=B --directory="$dir" --rw=write --bs=1M --size="$((size * 4))M" --ioengine=psync --refill_buffers \
      --rate="${rate}m" --output-format=json >/dev/null 2>&1 &
    pids+=($!)
    sleep 2 # the writer's data is dirty and Coffer's uploads are running
    pc=$(fio_mb_s A "$dir" read)
    sync; echo 3 > /proc/sys/vm/drop_caches
    own=$(fio_mb_s A "$dir" read)
    queued=""
    [ "$target" = coffer ] && queued=$("$coffer" stat --json "$mnt" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["cache"]["dirtyBytes"])')
    kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
    echo "{\"run\": $i, \"target\": \"$target\", \"load\": \"$load\", \"page_cache_mb_s\": $pc, \"own_cache_mb_s\": $own, \"dirty_bytes_after_reads\": \"$queued\"}"
    rm -f "$dir"/A.* "$dir"/B.*
    [ "$target" = coffer ] && "$coffer" flush "$mnt" >/dev/null
  done
done | tee "$work/out.jsonl"
python3 - "$work/out.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda t, k: statistics.median(r[k] for r in rows if r["target"] == t)
for k in ("page_cache_mb_s", "own_cache_mb_s"):
    p, c = med("plain", k), med("coffer", k)
    print(json.dumps({"median": k, "plain": p, "coffer": c, "ratio": round(c / p, 2)}))
EOF
