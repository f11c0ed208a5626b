#!/usr/bin/env bash
# Daemon peak RSS (VmHWM) after each phase: mount, fio seq write 256 MiB, coffer flush, remount with an empty
# cache, cold read. Usage (root): bench/rss-probe.sh READAHEAD_BLOCKS   (COFFER=path/to/bin/coffer to compare builds)
set -euo pipefail
ra=$1
coffer=${COFFER:-$(cd "$(dirname "$0")/.." && pwd)/bin/coffer}
w=$(mktemp -d /var/tmp/rssprobe.XXXXXX)
mkdir -p $w/store $w/mnt $w/cache $w/cache2
printf '[b]\nstorage-url: local://%s\nfs-passphrase: p\n' $w/store > $w/auth; chmod 600 $w/auth
$coffer mkfs --authfile $w/auth local://$w/store >/dev/null
pid() { $coffer stat --json $w/mnt | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }
hwm() { awk '/VmHWM/{print $2/1024 " MB"}' /proc/$(pid)/status; }
COFFER_READAHEAD_BLOCKS=$ra $coffer mount --authfile $w/auth --cachedir $w/cache local://$w/store $w/mnt >/dev/null
echo "after mount: $(hwm)"
fio --name=seq --directory=$w/mnt --rw=write --bs=1M --size=256M --ioengine=psync --refill_buffers --end_fsync=1 >/dev/null
echo "after seq write: $(hwm)"
$coffer flush $w/mnt >/dev/null; echo "after flush: $(hwm)"
$coffer umount $w/mnt >/dev/null
COFFER_READAHEAD_BLOCKS=$ra $coffer mount --authfile $w/auth --cachedir $w/cache2 local://$w/store $w/mnt >/dev/null
fio --name=seq --directory=$w/mnt --rw=read --bs=1M --size=256M --ioengine=psync >/dev/null
echo "after cold read: $(hwm)"
$coffer umount $w/mnt >/dev/null
rm -rf $w
