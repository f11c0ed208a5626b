#!/usr/bin/env bash
# One run of ../shared/bench/fsbench.py on a plain directory, Coffer local://, Coffer s3c:// to s3rver,
# an rclone crypt mount (--vfs-cache-mode full) on the same s3rver and bindfs; medians + issue 11 ratios.
#
# Usage (root): bench/compare.sh [--runs N] [--size-mb M] [--out FILE.jsonl]
#   Defaults: --runs 3 --size-mb 256. Targets are interleaved per run, each on a fresh filesystem.
#   Installs the Debian packages rclone and bindfs if missing (apt-get); they are not in install.sh's list
#   because only this benchmark needs them. FSBENCH=/path/fsbench.py overrides where fsbench is looked for.
# Coffer and rclone: `--settle` waits until everything is stored (coffer flush; rclone rc vfs/stats until no
# upload is queued or in progress), and the cold read runs after a restart with an emptied cache (Coffer:
# umount + mount with a new --cachedir; rclone: settle, stop, start with a new --cache-dir). The daemon's
# peak RSS is VmHWM from /proc/PID/status, the larger of the two daemons of a run, read before each stops.
# Every process this script starts is stopped by its PID and every mount unmounted on any exit (trap).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
coffer=$repo/bin/coffer
self=$repo/bench/compare.sh

# ---------- helpers shared by the main run and the restart step fsbench calls between write and cold read
mounted() { grep -qs " $1 " /proc/mounts; }
wait_mounted() { # MNT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do mounted "$1" && return 0; sleep 0.1; done
  echo "compare.sh: $1 did not appear in /proc/mounts within $2 s" >&2; return 1
}
wait_unmounted() { # MNT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do mounted "$1" || return 0; sleep 0.1; done
  return 1
}
peak_rss_mb() { # PID -> appends "rss_mb N" to $CMP_STATE (the larger value wins when merging)
  local kb
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$kb" ] && echo "rss_mb $((kb / 1024))" >> "$CMP_STATE"
  return 0
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$1" "$(now)"; }

coffer_mount() { # prints the daemon pid
  local out
  out=$("$coffer" mount --authfile "$CMP_AUTH" --cachedir "$CMP_CACHE" --log "$CMP_LOG" "$CMP_URL" "$CMP_MNT")
  sed -n 's/.*daemon pid \([0-9][0-9]*\).*/\1/p' <<< "$out" | head -1
}
rclone_start() { # starts rclone mount in the background; its pid goes to $CMP_PIDFILE
  env -u AWS_CA_BUNDLE rclone mount sec:"$CMP_PREFIX" "$CMP_MNT" --config "$CMP_RCONF" \
    --vfs-cache-mode full --cache-dir "$CMP_CACHE" --rc --rc-no-auth --rc-addr "127.0.0.1:$CMP_RCPORT" \
    --log-file "$CMP_LOG" </dev/null >/dev/null 2>&1 &
  echo $! > "$CMP_PIDFILE"
  wait_mounted "$CMP_MNT" 60
}
rclone_settle() { # waits until rclone has no upload queued or running
  local i n
  for ((i = 0; i < 6000; i++)); do
    n=$(env -u AWS_CA_BUNDLE rclone rc --url "http://127.0.0.1:$CMP_RCPORT/" vfs/stats 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin)["diskCache"]; print(d["uploadsInProgress"]+d["uploadsQueued"])' || echo x)
    [ "$n" = 0 ] && return 0
    sleep 0.2
  done
  echo "compare.sh: rclone still uploading after 20 min" >&2; return 1
}

# Called by fsbench (--drop / --settle) through this script, with the target's CMP_* in the environment.
if [ "${1:-}" = "--internal" ]; then
  case "$2" in
    cold-coffer)
      sync; echo 3 > /proc/sys/vm/drop_caches
      peak_rss_mb "$(cat "$CMP_PIDFILE")"
      t=$(now); "$coffer" umount "$CMP_MNT" >/dev/null; echo "umount_s $(elapsed "$t")" >> "$CMP_STATE"
      CMP_CACHE=$CMP_CACHE.cold; rm -rf "$CMP_CACHE"; mkdir -p "$CMP_CACHE"
      t=$(now); coffer_mount > "$CMP_PIDFILE"; echo "remount_empty_cache_s $(elapsed "$t")" >> "$CMP_STATE"
      echo "$CMP_CACHE" > "$CMP_STATE.cachedir" ;;
    cold-rclone)
      t=$(now); rclone_settle; echo "settle_before_cold_s $(elapsed "$t")" >> "$CMP_STATE"
      sync; echo 3 > /proc/sys/vm/drop_caches
      pid=$(cat "$CMP_PIDFILE"); peak_rss_mb "$pid"
      kill "$pid"; wait_unmounted "$CMP_MNT" 30 || umount -l "$CMP_MNT"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      CMP_CACHE=$CMP_CACHE.cold; rm -rf "$CMP_CACHE"; mkdir -p "$CMP_CACHE"
      t=$(now); rclone_start; echo "remount_empty_cache_s $(elapsed "$t")" >> "$CMP_STATE" ;;
    settle-rclone) rclone_settle ;;
    *) echo "compare.sh: unknown internal step $2" >&2; exit 2 ;;
  esac
  exit 0
fi

# ---------- arguments
runs=3 size=256 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --size-mb) size=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "compare.sh: unknown argument $1 (use --runs N --size-mb M --out FILE)" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --runs and --size-mb take positive integers" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (it mounts and drops the page cache)" >&2; exit 2; }

# fsbench sits in the shared folder beside the repo; from a worktree, beside the main checkout.
fsbench=${FSBENCH:-}
if [ -z "$fsbench" ]; then
  common=$(cd "$repo" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  for c in "$repo/../shared/bench/fsbench.py" "${common:+$(dirname "$common")/../shared/bench/fsbench.py}" /work/shared/bench/fsbench.py; do
    [ -n "$c" ] && [ -f "$c" ] && { fsbench=$(realpath "$c"); break; }
  done
fi
[ -n "$fsbench" ] && [ -f "$fsbench" ] || { echo "compare.sh: fsbench.py not found beside the repo (../shared/bench); set FSBENCH=/path/to/fsbench.py" >&2; exit 2; }
missing=()
for tool in rclone bindfs; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare.sh: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in fio node python3; do command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (run ./install.sh)" >&2; exit 2; }; done

work=$(mktemp -d /var/tmp/coffer-compare.XXXXXX)
[ -n "$out" ] || out=$work.jsonl
: > "$out"
s3pid=""
pidfiles=()
mounts=()

cleanup() {
  set +e
  local m p
  for m in "${mounts[@]}"; do
    if mounted "$m"; then
      grep -qs " $m fuse.coffer " /proc/mounts && timeout 300 "$coffer" umount "$m" >/dev/null 2>&1
      mounted "$m" && umount -l "$m"
    fi
  done
  for p in "${pidfiles[@]}"; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------- s3rver (Node with the legacy provider: its listing tokens use DES, see ARCHITECTURE.md)
s3dir=$work/s3rver
mkdir -p "$s3dir"
s3port=$(free_port)
(cd "$repo" && exec node --openssl-legacy-provider node_modules/.bin/s3rver -d "$s3dir" -a 127.0.0.1 -p "$s3port" --silent) \
  >"$work/s3rver.log" 2>&1 &
s3pid=$!
for ((i = 0; i < 150; i++)); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$s3port/" || { echo "compare.sh: s3rver did not start: $(tail -3 "$work/s3rver.log")" >&2; exit 1; }

rconf=$work/rclone.conf
{
  printf '[s3rv]\ntype = s3\nprovider = Other\naccess_key_id = S3RVER\nsecret_access_key = S3RVER\n'
  printf 'endpoint = http://127.0.0.1:%s\nregion = us-east-1\nforce_path_style = true\n\n' "$s3port"
  printf '[sec]\ntype = crypt\nremote = s3rv:rclone\npassword = %s\n' "$(rclone obscure 'bench passphrase')"
} > "$rconf"
for b in coffer rclone; do env -u AWS_CA_BUNDLE rclone --config "$rconf" mkdir "s3rv:$b"; done

drop="sync; echo 3 > /proc/sys/vm/drop_caches"

# Runs fsbench on one target; merges its summary with the CMP_STATE figures into one JSON line in $out.
run_fsbench() { # LABEL RUN DIR [fsbench args...]
  local label=$1 run=$2 dir=$3; shift 3
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  python3 "$fsbench" "$dir" --size-mb "$size" --label "$label" "$@" > "$work/fsbench.out" ||
    echo "compare.sh: fsbench failed on $label run $run (see below)" >&2
  python3 - "$work/fsbench.out" "$CMP_STATE" "$label" "$run" "$load" >> "$out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
summ = next((l["summary"] for l in lines if "summary" in l), {t: l for l in lines for t in [l.get("test")] if t})
extra = {}
for l in open(sys.argv[2]):
    k, v = l.split()
    extra[k] = max(extra.get(k, 0), float(v))
print(json.dumps({"target": sys.argv[3], "run": int(sys.argv[4]), "load": sys.argv[5], **extra, "fsbench": summ}))
PY
  tail -1 "$out" >&2
}

for ((run = 1; run <= runs; run++)); do
  echo "compare.sh: run $run of $runs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  rd=$work/run$run
  mkdir -p "$rd"

  # plain directory
  export CMP_STATE=$rd/plain.state; : > "$CMP_STATE"
  mkdir -p "$rd/plain"
  run_fsbench plain "$run" "$rd/plain" --drop "$drop"
  rm -rf "$rd/plain"

  # bindfs over a local directory
  export CMP_STATE=$rd/bindfs.state; : > "$CMP_STATE"
  mkdir -p "$rd/bindfs-src" "$rd/bindfs-mnt"
  mounts+=("$rd/bindfs-mnt"); pidfiles+=("$rd/bindfs.pid")
  t=$(now); bindfs -f "$rd/bindfs-src" "$rd/bindfs-mnt" </dev/null >"$rd/bindfs.log" 2>&1 &
  echo $! > "$rd/bindfs.pid"; wait_mounted "$rd/bindfs-mnt" 30; echo "mount_s $(elapsed "$t")" >> "$CMP_STATE"
  run_fsbench bindfs "$run" "$rd/bindfs-mnt" --drop "$drop"
  peak_rss_mb "$(cat "$rd/bindfs.pid")"
  umount "$rd/bindfs-mnt"; wait "$(cat "$rd/bindfs.pid")" 2>/dev/null || true
  rm -rf "$rd/bindfs-src"

  # Coffer on local:// and on s3c:// to s3rver
  for kind in local s3c; do
    export CMP_STATE=$rd/coffer-$kind.state; : > "$CMP_STATE"
    export CMP_MNT=$rd/coffer-$kind-mnt CMP_CACHE=$rd/coffer-$kind-cache CMP_LOG=$rd/coffer-$kind.log
    export CMP_AUTH=$rd/coffer-$kind.authinfo CMP_PIDFILE=$rd/coffer-$kind.pid
    mkdir -p "$CMP_MNT" "$CMP_CACHE"
    if [ "$kind" = local ]; then
      mkdir -p "$rd/coffer-store"; export CMP_URL=local://$rd/coffer-store; du_dir=$rd/coffer-store
      printf '[bench]\nstorage-url: %s\nfs-passphrase: bench passphrase\n' "$CMP_URL" > "$CMP_AUTH"
    else
      export CMP_URL=s3c://127.0.0.1:$s3port/coffer/run$run; du_dir=$s3dir/coffer
      printf '[bench]\nstorage-url: %s\nbackend-login: S3RVER\nbackend-password: S3RVER\nbackend-options: no-ssl\nfs-passphrase: bench passphrase\n' "$CMP_URL" > "$CMP_AUTH"
    fi
    chmod 600 "$CMP_AUTH"
    "$coffer" mkfs --authfile "$CMP_AUTH" "$CMP_URL" >/dev/null
    mounts+=("$CMP_MNT"); pidfiles+=("$CMP_PIDFILE")
    t=$(now); coffer_mount > "$CMP_PIDFILE"; echo "mount_s $(elapsed "$t")" >> "$CMP_STATE"
    run_fsbench "coffer-$kind" "$run" "$CMP_MNT" --drop "bash $self --internal cold-coffer" \
      --backend-du "$du_dir" --settle "$coffer flush $CMP_MNT"
    peak_rss_mb "$(cat "$CMP_PIDFILE")"
    "$coffer" umount "$CMP_MNT" >/dev/null
    rm -rf "$CMP_CACHE" "$CMP_CACHE.cold" "$rd/coffer-store"
  done

  # rclone crypt remote on the same s3rver, --vfs-cache-mode full
  export CMP_STATE=$rd/rclone.state; : > "$CMP_STATE"
  export CMP_MNT=$rd/rclone-mnt CMP_CACHE=$rd/rclone-cache CMP_LOG=$rd/rclone.log CMP_PIDFILE=$rd/rclone.pid
  export CMP_RCONF=$rconf CMP_RCPORT=$(free_port) CMP_PREFIX=run$run
  mkdir -p "$CMP_MNT" "$CMP_CACHE"
  mounts+=("$CMP_MNT"); pidfiles+=("$CMP_PIDFILE")
  t=$(now); rclone_start; echo "mount_s $(elapsed "$t")" >> "$CMP_STATE"
  run_fsbench rclone "$run" "$CMP_MNT" --drop "bash $self --internal cold-rclone" \
    --backend-du "$s3dir/rclone" --settle "bash $self --internal settle-rclone"
  pid=$(cat "$CMP_PIDFILE"); peak_rss_mb "$pid"
  rclone_settle || true
  kill "$pid"; wait_unmounted "$CMP_MNT" 30 || umount -l "$CMP_MNT"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -rf "$CMP_CACHE" "$CMP_CACHE.cold"
done

echo "compare.sh: raw results in $out" >&2
python3 "$repo/bench/compare-table.py" "$out"
