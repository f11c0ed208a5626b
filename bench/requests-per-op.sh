#!/usr/bin/env bash
# FUSE requests per operation on a fresh Coffer local:// mount, counted from its --debug trace (deterministic,
# unlike timings on a loaded machine). Usage: bench/requests-per-op.sh [TREE=.] [LABEL]   (root)
set -euo pipefail
tree=$(cd "${1:-.}" && pwd); label=${2:-$(basename "$tree")}
w=$(mktemp -d /var/tmp/coffer-reqs.XXXXXX)
cd $tree
mkdir -p $w/store $w/mnt $w/cache
printf '[bench]\nstorage-url: local://%s\nfs-passphrase: bench passphrase\n' "$w/store" > "$w/authinfo"; chmod 600 $w/authinfo
bin/coffer mkfs --authfile $w/authinfo local://$w/store >/dev/null
bin/coffer mount --debug --authfile $w/authinfo --cachedir $w/cache --log $w/mount.log local://$w/store $w/mnt >/dev/null
trap "cd $tree; bin/coffer umount $w/mnt >/dev/null 2>&1 || umount -l $w/mnt; rm -rf $w" EXIT
python3 - $w/mnt $w/mount.log $label <<'PY'
import os, sys, time, collections, random
mnt, log, label = sys.argv[1:4]
def phase(name, n, fn):
    os.sync(); time.sleep(0.5)
    start = os.path.getsize(log); fn(); os.sync(); time.sleep(1.0)
    with open(log, "rb") as f:
        f.seek(start); lines = f.read().decode(errors="replace").splitlines()
    c = collections.Counter(l.split()[3] for l in lines if " <- " in l)
    tot = sum(c.values())
    print(f"{label} {name}: {tot/n:.2f} requests/op  " + " ".join(f"{k}={v/n:.2f}" for k, v in sorted(c.items())))
d = os.path.join(mnt, "d"); os.makedirs(d)
big = os.path.join(mnt, "big"); 
with open(big, "wb") as f: f.write(os.urandom(8 << 20))
def appends():
    fd = os.open(os.path.join(mnt, "app"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    for i in range(2000): os.write(fd, b"abcd")
    os.close(fd)
def randw():
    fd = os.open(big, os.O_WRONLY); r = random.Random(1); p = os.urandom(4096)
    for i in range(2000): os.pwrite(fd, p, r.randrange(2048) * 4096)
    os.fsync(fd); os.close(fd)
def creates():
    p = os.urandom(4096)
    for i in range(500):
        with open(os.path.join(d, f"f{i}"), "wb") as f: f.write(p)
def reads():
    for i in range(500):
        with open(os.path.join(d, f"f{i}"), "rb") as f: f.read()
def unlinks():
    for i in range(500): os.unlink(os.path.join(d, f"f{i}"))
phase("4-byte O_APPEND write", 2000, appends)
phase("random 4 KiB pwrite (+1 fsync)", 2000, randw)
phase("create+write 4 KiB+close", 500, creates)
phase("open+read 4 KiB+close", 500, reads)
time.sleep(4)
phase("open+read 4 KiB+close, after uploads", 500, reads)
phase("unlink", 500, unlinks)
PY
