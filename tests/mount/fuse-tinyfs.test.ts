// A tiny in-memory RawFileSystem served in this process (main-thread path) and exercised from child processes.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  EEXIST, EINVAL, ENODATA, ENOENT, ENOTDIR, ENOTEMPTY, FuseError, mountFuse, RENAME_NOREPLACE, type Attr,
  type EntryOut, type FuseSession, type RawFileSystem, type RequestContext,
} from "../../src/fs/fuse/index.ts";
import { cleanupMount, isMounted, py, run, tempMountpoint } from "./fuse-support.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

interface Node {
  attr: Attr;
  data: Uint8Array;
  children?: Map<string, number>;
  target?: string;
  xattrs: Map<string, Uint8Array>;
}

/** Just enough of a filesystem to drive every common operation through the layer. */
class TinyFs implements RawFileSystem {
  nodes = new Map<number, Node>();
  next = 2;
  destroyed = false;
  lookups = new Map<number, number>();
  constructor() {
    this.nodes.set(1, this.make(1, 0o40755, { children: new Map() }));
  }
  private make(ino: number, mode: number, extra: Partial<Node> = {}): Node {
    const now = Math.floor(Date.now() / 1000);
    const attr: Attr = {
      ino, size: 0, blocks: 0, atime: now, mtime: now, ctime: now, atimensec: 0, mtimensec: 0, ctimensec: 0, mode,
      nlink: mode & 0o40000 ? 2 : 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, flags: 0,
    };
    return { attr, data: new Uint8Array(0), xattrs: new Map(), ...extra };
  }
  node(id: number): Node {
    const n = this.nodes.get(id);
    if (!n) throw new FuseError(ENOENT);
    return n;
  }
  dir(id: number): Map<string, number> {
    const c = this.node(id).children;
    if (!c) throw new FuseError(ENOTDIR);
    return c;
  }
  entry(id: number): EntryOut {
    this.lookups.set(id, (this.lookups.get(id) ?? 0) + 1);
    return { nodeid: id, generation: 1, entryValid: 1, attrValid: 1, attr: this.node(id).attr };
  }
  add(parent: number, name: string, n: Node): EntryOut {
    const d = this.dir(parent);
    if (d.has(name)) throw new FuseError(EEXIST);
    const id = this.next++;
    n.attr.ino = id;
    this.nodes.set(id, n);
    d.set(name, id);
    return this.entry(id);
  }
  destroy() {
    this.destroyed = true;
  }
  lookup(_c: RequestContext, parent: number, name: string) {
    const id = this.dir(parent).get(name);
    if (id === undefined) throw new FuseError(ENOENT);
    return this.entry(id);
  }
  forget(id: number, n: number) {
    this.lookups.set(id, (this.lookups.get(id) ?? 0) - n);
  }
  getattr(_c: RequestContext, id: number) {
    return { attrValid: 1, attr: this.node(id).attr };
  }
  setattr(_c: RequestContext, id: number, a: { valid: number; size: number; mode: number }) {
    const n = this.node(id);
    if (a.valid & 8) {
      const d = new Uint8Array(a.size);
      d.set(n.data.subarray(0, a.size));
      n.data = d;
      n.attr.size = a.size;
    }
    if (a.valid & 1) n.attr.mode = (n.attr.mode & ~0o7777) | (a.mode & 0o7777);
    return { attrValid: 1, attr: n.attr };
  }
  mkdir(_c: RequestContext, p: number, name: string, mode: number) {
    return this.add(p, name, this.make(0, 0o40000 | (mode & 0o7777), { children: new Map() }));
  }
  create(_c: RequestContext, p: number, name: string, mode: number) {
    return { entry: this.add(p, name, this.make(0, 0o100000 | (mode & 0o7777))), open: { fh: 0, openFlags: 0 } };
  }
  symlink(_c: RequestContext, p: number, name: string, target: string) {
    return this.add(p, name, this.make(0, 0o120777, { target }));
  }
  readlink(_c: RequestContext, id: number) {
    const t = this.node(id).target;
    if (t === undefined) throw new FuseError(EINVAL);
    return t;
  }
  unlink(_c: RequestContext, p: number, name: string) {
    if (!this.dir(p).delete(name)) throw new FuseError(ENOENT);
  }
  rmdir(_c: RequestContext, p: number, name: string) {
    const id = this.dir(p).get(name);
    if (id === undefined) throw new FuseError(ENOENT);
    if (this.dir(id).size) throw new FuseError(ENOTEMPTY);
    this.dir(p).delete(name);
  }
  rename(_c: RequestContext, p: number, name: string, np: number, nn: string, flags: number) {
    const id = this.dir(p).get(name);
    if (id === undefined) throw new FuseError(ENOENT);
    if (flags & RENAME_NOREPLACE && this.dir(np).has(nn)) throw new FuseError(EEXIST);
    this.dir(p).delete(name);
    this.dir(np).set(nn, id);
  }
  open() {
    return { fh: 0, openFlags: 0 };
  }
  async read(_c: RequestContext, id: number, _fh: number, off: number, size: number) {
    await Bun.sleep(0); // exercise the async path
    return this.node(id).data.subarray(off, off + size);
  }
  write(_c: RequestContext, id: number, _fh: number, off: number, data: Uint8Array) {
    const n = this.node(id);
    if (off + data.byteLength > n.data.byteLength) {
      const d = new Uint8Array(Math.max(off + data.byteLength, n.data.byteLength * 2));
      d.set(n.data);
      n.data = d;
    }
    n.data.set(data, off);
    n.attr.size = Math.max(n.attr.size, off + data.byteLength);
    n.data = n.data.subarray(0, Math.max(n.attr.size, n.data.byteLength));
    return data.byteLength;
  }
  release() {}
  flush() {}
  opendir() {
    return { fh: 0, openFlags: 0 };
  }
  readdir(_c: RequestContext, id: number, _fh: number, off: number, out: { add(n: string, i: number, t: number, o: number): boolean }) {
    const names: [string, number][] = [[".", id], ["..", 1], ...this.dir(id)];
    for (let i = off; i < names.length; i++) {
      const [name, ino] = names[i]!;
      if (!out.add(name, ino, (this.node(ino).attr.mode >>> 12) & 0xf, i + 1)) break;
    }
  }
  releasedir() {}
  statfs() {
    return { blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50, bsize: 4096, namelen: 255, frsize: 4096 };
  }
  setxattr(_c: RequestContext, id: number, name: string, value: Uint8Array) {
    this.node(id).xattrs.set(name, value);
  }
  getxattr(_c: RequestContext, id: number, name: string) {
    const v = this.node(id).xattrs.get(name);
    if (!v) throw new FuseError(ENODATA);
    return v;
  }
  listxattr(_c: RequestContext, id: number) {
    return [...this.node(id).xattrs.keys()];
  }
  removexattr(_c: RequestContext, id: number, name: string) {
    if (!this.node(id).xattrs.delete(name)) throw new FuseError(ENODATA);
  }
}

let session: FuseSession | null = null;
let mp = "";
afterEach(async () => {
  if (session) await Promise.race([session.unmount({ lazy: true }).catch(() => {}), Bun.sleep(5000)]);
  session = null;
  cleanupMount(mp);
});

const SCRIPT = `
import os, sys, hashlib, errno
d = sys.argv[1]
out = []
data = os.urandom(3 * 1024 * 1024 + 123)
with open(d + "/big", "wb") as f:
    for i in range(0, len(data), 1 << 20): f.write(data[i:i + (1 << 20)])
with open(d + "/big", "rb") as f: back = f.read()
out.append(hashlib.sha256(back).hexdigest() == hashlib.sha256(data).hexdigest())
out.append(os.stat(d + "/big").st_size)
os.truncate(d + "/big", 10)
out.append(os.stat(d + "/big").st_size)
os.mkdir(d + "/sub")
os.rename(d + "/big", d + "/sub/moved")
out.append(sorted(os.listdir(d)))
out.append(os.listdir(d + "/sub"))
try: os.rmdir(d + "/sub")
except OSError as e: out.append(errno.errorcode[e.errno])
os.symlink("/some/where", d + "/ln")
out.append(os.readlink(d + "/ln"))
os.setxattr(d + "/sub/moved", "user.k", b"value")
out.append(os.getxattr(d + "/sub/moved", "user.k"))
out.append(os.listxattr(d + "/sub/moved"))
try: os.getxattr(d + "/sub/moved", "user.nope")
except OSError as e: out.append(errno.errorcode[e.errno])
os.chmod(d + "/sub/moved", 0o600)
out.append(oct(os.stat(d + "/sub/moved").st_mode))
os.unlink(d + "/sub/moved"); os.rmdir(d + "/sub"); os.unlink(d + "/ln")
out.append(os.listdir(d))
out.append(os.statvfs(d).f_bavail)
for i in range(300): open(d + "/f%03d" % i, "w").close()
out.append(len(os.listdir(d)))
print(repr(out))
`;

describe("tiny filesystem on the main thread", () => {
  for (const writebackCache of [false, true]) test(`files, directories, symlinks, xattrs, big reads and writes (writeback cache ${writebackCache})`, async () => {
    mp = tempMountpoint("tinyfs");
    const fs = new TinyFs();
    session = await mountFuse(fs, { mountpoint: mp, fsname: "tinyfs", subtype: "tinyfs", readers: 2, writebackCache });
    await session.ready;
    const r = await py(SCRIPT, mp);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(
      "[True, 3145851, 10, ['sub'], ['moved'], 'ENOTEMPTY', '/some/where', b'value', ['user.k'], 'ENODATA', '0o100600', [], 400, 300]",
    );
    await session.unmount();
    expect(fs.destroyed).toBe(true);
    expect(await isMounted(mp)).toBe(false);
    session = null;
  }, 60_000);

  test("notifications invalidate cached entries and data; an external umount ends the session", async () => {
    mp = tempMountpoint("tinyfs-notify");
    const fs = new TinyFs();
    // cache names and attributes for a long time, so only a notification can refresh them
    const lookup = fs.lookup.bind(fs);
    fs.lookup = (c, p, name) => {
      if (name === "later" && !fs.dir(p).has(name)) return { nodeid: 0, generation: 0, entryValid: 1000, attrValid: 0, attr: fs.node(1).attr };
      return { ...lookup(c, p, name), entryValid: 1000, attrValid: 1000 };
    };
    fs.open = () => ({ fh: 0, openFlags: 2 /* KEEP_CACHE */ });
    session = await mountFuse(fs, { mountpoint: mp });
    await session.ready;
    expect((await run(["stat", "-c", "%s", `${mp}/later`])).code).not.toBe(0);
    fs.create({} as RequestContext, 1, "later", 0o644);
    fs.write({} as RequestContext, fs.dir(1).get("later")!, 0, 0, new TextEncoder().encode("one"));
    expect((await run(["stat", "-c", "%s", `${mp}/later`])).code).not.toBe(0); // negative entry still cached
    session.notifyInvalEntry(1, "later");
    expect((await run(["cat", `${mp}/later`])).stdout).toBe("one");
    fs.node(fs.dir(1).get("later")!).data.set(new TextEncoder().encode("two"));
    expect((await run(["cat", `${mp}/later`])).stdout).toBe("one"); // page cache kept
    session.notifyInvalInode(fs.dir(1).get("later")!, 0, 0);
    expect((await run(["cat", `${mp}/later`])).stdout).toBe("two");
    // unmounted by someone else: closed resolves
    expect((await run(["umount", mp])).code).toBe(0);
    await session.closed;
    expect(fs.destroyed).toBe(true);
    session = null;
  }, 60_000);
});
