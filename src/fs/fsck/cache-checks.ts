// fsck, cache directory: stray and torn cache files, dirty markers without data, files of blocks that no longer exist.
//
// A clean cache file must equal the object its block names (checked by content id, so a file torn by a
// crash or changed behind our back is found); it is deleted and re-downloaded on demand. After an
// unclean shutdown clean files cannot be trusted at all (docs/durability.md) and are dropped. A dirty
// file is the only copy of its data: it is kept and uploaded, unless it cannot be a block at all.
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type FsckContext, type Problem, examplesOf } from "./problem.ts";

const REG = 32768; // S_IFREG

const blocksDir = (c: FsckContext): string => join(c.cacheDir, "blocks");

/** The block's content as stored in an object: trailing zeros trimmed. */
function trimmed(b: Uint8Array): Uint8Array {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

/** Whether the cache file of (inode, blkno) holds exactly the content with content id `hash`. */
export function cachedBlockHolds(c: FsckContext, inode: number, blkno: number, hash: string): boolean {
  const p = join(blocksDir(c), `${inode}-${blkno}`);
  if (!existsSync(p)) return false;
  return c.codec.contentId(trimmed(readFileSync(p))) === hash;
}

interface CacheFile {
  name: string;
  inode: number;
  blkno: number;
  size: number;
}

export function checkCacheFiles(c: FsckContext): Problem[] {
  const dir = blocksDir(c);
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir);
  c.ui.phase("checking cache files", names.length);
  const dirty = new Set((c.db.q("SELECT inode, blkno FROM dirty_blocks").all() as { inode: number; blkno: number }[]).map((d) => `${d.inode}-${d.blkno}`));
  const inodeOf = c.db.q("SELECT mode, size FROM inodes WHERE id = ?");
  const objectOf = c.db.q("SELECT o.hash FROM blocks b JOIN objects o ON o.id = b.object WHERE b.inode = ? AND b.blkno = ?");
  const stray: string[] = [];
  const pastEnd: CacheFile[] = [];
  const tornDirty: CacheFile[] = [];
  const torn: CacheFile[] = [];
  const untrusted: string[] = [];
  const present = new Set<string>();
  names.forEach((name, n) => {
    if (n % 1000 === 0) c.ui.tick(n);
    const m = /^(\d+)-(\d+)$/.exec(name);
    if (!m) return void stray.push(name);
    const f = { name, inode: Number(m[1]), blkno: Number(m[2]), size: statSync(join(dir, name)).size };
    const i = inodeOf.get(f.inode) as { mode: number; size: number } | null;
    // an empty clean file of a regular file's block that has no object is fallocate's reservation (KEEP_SIZE
    // may reserve past the end); an empty file of a block with an object is torn, checked below
    const regular = i !== null && (i.mode & 61440) === REG;
    if (regular && f.size === 0 && !dirty.has(name) && !objectOf.get(f.inode, f.blkno)) return;
    if (!i || (i.mode & 61440) !== REG || f.blkno * c.blockSize >= i.size) return void pastEnd.push(f);
    if (dirty.has(name)) {
      present.add(name);
      if (f.size > c.blockSize) tornDirty.push(f);
      return;
    }
    if (!c.cleanShutdown) return void untrusted.push(name);
    const obj = objectOf.get(f.inode, f.blkno) as { hash: string } | null;
    if (!obj || c.codec.contentId(trimmed(readFileSync(join(dir, name)))) !== obj.hash) torn.push(f);
  });
  c.ui.tick(names.length);
  const lostMarkers = [...dirty].filter((k) => !present.has(k) && !pastEnd.some((f) => f.name === k));
  const remove = (files: string[]) => () => {
    for (const f of files) rmSync(join(dir, f), { force: true });
  };
  const out: Problem[] = [];
  if (stray.length) out.push({ title: "stray files in the cache", explain: "files that are not cache blocks (temporary files of an interrupted write); the repair deletes them", count: stray.length, examples: examplesOf(stray, (s) => s), repair: remove(stray) });
  if (untrusted.length) {
    out.push({
      title: "unverifiable cache files after an unclean shutdown",
      explain: "clean cache files left by a session that did not close; their content may be a write whose marker never reached the disk, so the repair deletes them (they are downloaded again when read)",
      count: untrusted.length, examples: examplesOf(untrusted, (s) => s), repair: remove(untrusted),
    });
  }
  if (torn.length) {
    out.push({
      title: "torn cache files",
      explain: "cache files whose content is not the object their block names (cut short by a crash, or changed outside Coffer); the repair deletes them (they are downloaded again when read)",
      count: torn.length, examples: examplesOf(torn, (f) => `${f.name} (${f.size} bytes)`), repair: remove(torn.map((f) => f.name)),
    });
  }
  if (pastEnd.length) {
    out.push({
      title: "cache files of blocks that do not exist",
      explain: "cache files of a deleted inode or past the end of their file; the repair deletes them and their dirty markers",
      count: pastEnd.length, examples: examplesOf(pastEnd, (f) => f.name),
      repair: () => {
        remove(pastEnd.map((f) => f.name))();
        for (const f of pastEnd) c.map.clearDirty(f.inode, f.blkno);
      },
    });
  }
  if (tornDirty.length) {
    out.push({
      title: "dirty cache files larger than a block",
      explain: "dirty cache files longer than the block size cannot be what Coffer wrote; the repair cuts them to the block size and uploads them",
      count: tornDirty.length, examples: examplesOf(tornDirty, (f) => `${f.name} (${f.size} bytes)`),
      repair: () => {
        for (const f of tornDirty) {
          const fd = openSync(join(dir, f.name), "r+");
          try {
            ftruncateSync(fd, c.blockSize);
          } finally {
            closeSync(fd);
          }
        }
      },
    });
  }
  if (lostMarkers.length) {
    out.push({
      title: "dirty markers without a cache file",
      explain: "blocks marked for upload whose cache file is gone (written but never fsynced before a crash); the repair drops the markers, the blocks keep their stored content",
      count: lostMarkers.length, examples: examplesOf(lostMarkers, (k) => k),
      repair: () => {
        for (const k of lostMarkers) {
          const [inode, blkno] = k.split("-").map(Number);
          c.map.clearDirty(inode!, blkno!);
        }
      },
    });
  }
  return out;
}
