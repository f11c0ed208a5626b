// Test helpers for in-process CofferFs tests: memory backend, real codec with fresh keys, temp cache dirs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { type FsKeys, deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import type { DirentSink, EntryOut, RequestContext, SetattrIn } from "../../src/fs/fuse/raw-fs.ts";
import { FuseError } from "../../src/fs/fuse/errno.ts";
import type { Backend } from "../../src/fs/store/backend.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { type CofferFs, type OpenCofferFsOptions, createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";

export const ROOT = 1;

export const ctx = (uid = 0, gid = 0): RequestContext => ({ unique: 1n, nodeid: 0, uid, gid, pid: 1 });

const dirs: string[] = [];
export function tempDir(prefix = "coffer-vfs-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface World {
  backend: MemoryBackend;
  keys: FsKeys;
  blockSize: number;
  open(cacheDir?: string, extra?: Partial<OpenCofferFsOptions>): Promise<CofferFs>;
  logs: string[];
}

/** A fresh filesystem on a memory backend (real codec and keys). Background tasks are slowed down so tests drive them. */
export async function newWorld(blockSize = 64 * 1024, wrap?: (b: MemoryBackend) => Backend): Promise<World> {
  const backend = new MemoryBackend();
  const keys = deriveFsKeys(randomKey(), false);
  const served = wrap ? wrap(backend) : backend;
  await createFilesystemOnStore(served, keys, { blockSize });
  const logs: string[] = [];
  return {
    backend, keys, blockSize, logs,
    open: (cacheDir = tempDir(), extra = {}) =>
      openCofferFs({
        backend: served, keys, cacheDir, log: (l) => logs.push(l),
        uploadDelayMs: 60_000, metadataIntervalMs: 3_600_000, removalIntervalMs: 3_600_000, ...extra,
      }),
  };
}

/** Runs fn and returns the errno it threw (0 if none). */
export async function errnoOf(fn: () => unknown): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (e) {
    if (e instanceof FuseError) return e.errno;
    throw e;
  }
}

export function setattrIn(p: Partial<SetattrIn>): SetattrIn {
  return {
    valid: 0, fh: 0, size: 0, lockOwner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: 0, uid: 0, gid: 0, ...p,
  };
}

/** Collects a whole directory listing through readdir / readdirplus, `page` entries per call. */
export async function listDir(fs: CofferFs, ino: number, plus = false, page = 1000): Promise<{ name: string; ino: number; next: number; entry?: EntryOut }[]> {
  const out: { name: string; ino: number; next: number; entry?: EntryOut }[] = [];
  let offset = 0;
  for (;;) {
    let n = 0;
    const sink: DirentSink = {
      add(name, i, _t, next) {
        if (n >= page) return false;
        n++;
        out.push({ name, ino: i, next });
        return true;
      },
      addPlus(name, entry, next) {
        if (n >= page) return false;
        n++;
        out.push({ name, ino: entry.attr.ino, next, entry });
        return true;
      },
    };
    const fh = (await fs.opendir(ctx(), ino, 0)).fh;
    if (plus) await fs.readdirplus(ctx(), ino, fh, offset, sink);
    else await fs.readdir(ctx(), ino, fh, offset, sink);
    await fs.releasedir(ctx(), ino, fh);
    if (n === 0) return out;
    offset = out[out.length - 1].next;
  }
}

/** Resolves a slash path from the root to an inode number. */
export async function resolve(fs: CofferFs, path: string): Promise<number> {
  let ino = ROOT;
  for (const part of path.split("/").filter(Boolean)) ino = (await fs.lookup(ctx(), ino, part)).nodeid;
  return ino;
}

/** Writes a whole file (create or truncate) in `chunk`-sized writes. */
export async function writeFile(fs: CofferFs, parent: number, name: string, data: Uint8Array, chunk = 128 * 1024): Promise<number> {
  let ino: number;
  let fh: number;
  try {
    const r = await fs.create(ctx(), parent, name, 0o644, 2, 0o022);
    ino = r.entry.nodeid;
    fh = r.open.fh;
  } catch {
    ino = (await fs.lookup(ctx(), parent, name)).nodeid;
    fh = (await fs.open(ctx(), ino, 2 | 0o1000)).fh;
  }
  for (let off = 0; off < data.length; off += chunk) await fs.write(ctx(), ino, fh, off, data.subarray(off, off + chunk), 0);
  await fs.release(ctx(), ino, fh, 0);
  return ino;
}

export async function readAll(fs: CofferFs, ino: number, chunk = 128 * 1024): Promise<Uint8Array> {
  const size = (await fs.getattr(ctx(), ino, undefined)).attr.size;
  const out = new Uint8Array(size);
  const fh = (await fs.open(ctx(), ino, 0)).fh;
  for (let off = 0; off < size; off += chunk) out.set(await fs.read(ctx(), ino, fh, off, chunk), off);
  await fs.release(ctx(), ino, fh, 0);
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), incompressible. */
export function randomData(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const storedBytes = async (b: MemoryBackend, prefix = "data/"): Promise<number> => {
  let n = 0;
  for await (const o of b.list(prefix)) n += o.size;
  return n;
};
