// What the cache's caps cost per write, in process (no FUSE): random 4 KiB writes into cached blocks, and small-file creates.
//
//   bun bench/cache-overhead.ts [--reps 5]
//
// A CofferFs on the memory backend with uploads held back (1 GiB cache: the caps never bind), so the
// figures are the write path's own cost: the room check and the pace per write. Rates and CPU µs per op. Run it on two commits
// (e.g. a `git worktree` of main beside this branch) in turns, and compare medians.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { MemoryBackend } from "../src/fs/store/memory.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";

const i = process.argv.indexOf("--reps");
const REPS = i > 0 ? Number(process.argv[i + 1]) : 5;
const ctx = { unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function once(): Promise<{ randWritesPerS: number; createsPerS: number; randCpuUs: number; createCpuUs: number }> {
  const backend = new MemoryBackend();
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize: 4 * 1024 * 1024 });
  const cacheDir = mkdtempSync(join(tmpdir(), "coffer-cache-overhead-"));
  const fs = await openCofferFs({
    backend, keys, cacheDir, cacheSizeBytes: 1024 ** 3, log: () => {}, codecWorkers: 0,
    uploadDelayMs: 3_600_000, metadataIntervalMs: 3_600_000, removalIntervalMs: 3_600_000,
  });
  try {
    const size = 64 * 1024 * 1024;
    const f = await fs.create(ctx, 1, "big", 0o644, 2, 0);
    const chunk = new Uint8Array(1024 * 1024).fill(7);
    for (let off = 0; off < size; off += chunk.length) await fs.write(ctx, f.entry.nodeid, f.open.fh, off, chunk, 0);
    const page = new Uint8Array(4096).fill(9);
    let seed = 1;
    const n = 20_000;
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    for (let k = 0; k < n; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      await fs.write(ctx, f.entry.nodeid, f.open.fh, (seed % (size / 4096)) * 4096, page, 0);
    }
    const randWritesPerS = n / ((performance.now() - t0) / 1000);
    const cpu = (from: NodeJS.CpuUsage) => {
      const d = process.cpuUsage(from);
      return d.user + d.system;
    };
    const randCpuUs = cpu(cpu0) / n;
    const m = 3000;
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    for (let k = 0; k < m; k++) {
      const c = await fs.create(ctx, 1, `s${k}`, 0o644, 2, 0);
      await fs.write(ctx, c.entry.nodeid, c.open.fh, 0, page, 0);
      await fs.release(ctx, c.entry.nodeid, c.open.fh, 0);
    }
    const createsPerS = m / ((performance.now() - t0) / 1000);
    return { randWritesPerS, createsPerS, randCpuUs, createCpuUs: cpu(cpu0) / m };
  } finally {
    await fs.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const runs: Awaited<ReturnType<typeof once>>[] = [];
for (let r = 0; r < REPS; r++) runs.push(await once());
console.log(JSON.stringify({
  date: new Date().toISOString(), reps: REPS,
  randWrite4kPerS: Math.round(median(runs.map((x) => x.randWritesPerS))),
  createWrite4kPerS: Math.round(median(runs.map((x) => x.createsPerS))),
  // CPU time of the process per operation (all threads): far less sensitive to the machine's load than rates
  randWriteCpuUs: Math.round(median(runs.map((x) => x.randCpuUs))),
  createWriteCpuUs: Math.round(median(runs.map((x) => x.createCpuUs))),
  runs: runs.map((x) => [Math.round(x.randWritesPerS), Math.round(x.createsPerS)]),
}));
