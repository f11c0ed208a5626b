// Disk usage as du counts it (st_blocks), for tests and benches that watch a cache directory while it fills.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Bytes the files under `dir` take on disk, recursively; a file removed while we look takes nothing. */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      total += e.isDirectory() ? diskBytes(p) : statSync(p).blocks * 512;
    } catch {
      // evicted between the listing and the stat
    }
  }
  return total;
}

/** Bytes the block files of the filesystems under a `--cachedir` take (the metadata database is not cache). */
export function cacheBlocksBytes(cacheRoot: string): number {
  let total = 0;
  for (const e of readdirSync(cacheRoot, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    try {
      total += diskBytes(join(cacheRoot, e.name, "blocks"));
    } catch {
      // not a filesystem's cache directory (yet)
    }
  }
  return total;
}
