// Write workload for kill -9 tests: creates files of seeded random content in DIR, fsyncs each, prints "SYNCED name len seed".
// Runs until killed or until the filesystem under it goes away. Usage: bun fsync-writer.ts DIR SEED
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { randomData } from "../vfs/helpers.ts";

/** The content the writer puts in a file: deterministic from (len, seed), so the checker can rebuild it. */
export const seededBytes = (len: number, seed: number): Uint8Array => randomData(len, seed);

/** Parses the writer's output into name -> {len, seed} for every file it reported fsynced. */
export function syncedFiles(output: string): Map<string, { len: number; seed: number }> {
  const files = new Map<string, { len: number; seed: number }>();
  for (const line of output.split("\n")) {
    const p = line.split(" ");
    if (p[0] === "SYNCED" && p.length === 4) files.set(p[1]!, { len: Number(p[2]), seed: Number(p[3]) });
  }
  return files;
}

if (import.meta.main) {
  const [dir, seedArg] = process.argv.slice(2);
  const base = Number(seedArg) * 100_000;
  for (let i = 0; ; i++) {
    const seed = base + i;
    const len = 1 + ((seed * 2654435761) >>> 0) % 700_000;
    const name = `w${seedArg}-${i}`;
    const data = seededBytes(len, seed);
    const fd = openSync(join(dir!, name), "w");
    for (let off = 0; off < len; off += 65536) writeSync(fd, data, off, Math.min(65536, len - off));
    fsyncSync(fd);
    closeSync(fd);
    process.stdout.write(`SYNCED ${name} ${len} ${seed}\n`);
  }
}
