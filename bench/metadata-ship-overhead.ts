// Overhead of metadata shipping on a write workload, in process (less noisy than through the kernel on a loaded VM).
//
//   bun bench/metadata-ship-overhead.ts [--runs 3] [--files 3000]
//
// The same workload (small-file creates, renames, unlinks, and 64 MiB written in 1 MiB writes, then a
// flush) runs on a local:// store with the default 5 s interval ("ship") and with 3600 s ("ref": metadata
// only at the final flush), interleaved, same upload delay. Prints wall times, their ratio, and the
// shipper's own main-thread time (fsyncs, WAL read, encoding, checkpoint) as a share of the ship run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { LocalBackend } from "../src/fs/store/local.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";
import { ROOT, ctx, randomData, writeFile } from "../tests/vfs/helpers.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg("runs", 3);
const FILES = arg("files", 3000);
const small = randomData(4096, 1);
const big = randomData(1 << 20, 2);

async function run(intervalMs: number): Promise<{ wallMs: number; shipMs: number; ships: number; shippedBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "coffer-shipbench-"));
  try {
    const backend = new LocalBackend(join(dir, "store"));
    const keys = deriveFsKeys(randomKey(), false);
    await createFilesystemOnStore(backend, keys, { blockSize: 4 << 20 });
    const fs = await openCofferFs({ backend, keys, cacheDir: join(dir, "cache"), metadataIntervalMs: intervalMs, uploadDelayMs: 2500 });
    const t0 = performance.now();
    const d = (await fs.mkdir(ctx(), ROOT, "d", 0o755, 0)).nodeid;
    for (let i = 0; i < FILES; i++) {
      await writeFile(fs, d, `f${i}`, small);
      if (i % 10 === 0) await fs.rename(ctx(), d, `f${i}`, d, `r${i}`, 0);
      if (i > 0 && i % 7 === 0 && (i - 1) % 10 !== 0) await fs.unlink(ctx(), d, `f${i - 1}`);
      if (i % 50 === 0) await Bun.sleep(1); // let timers and uploads run, as a real workload would
    }
    const f = await fs.create(ctx(), ROOT, "big", 0o644, 2, 0);
    for (let m = 0; m < 64; m++) {
      big[0] = m;
      await fs.write(ctx(), f.entry.nodeid, f.open.fh, m << 20, big, 0);
      await Bun.sleep(1);
    }
    await fs.flushAll();
    const wallMs = performance.now() - t0;
    const s = fs.metadataShipping();
    await fs.close();
    return { wallMs, shipMs: s.mainThreadMs, ships: s.shippedObjects, shippedBytes: s.shippedBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const ship: Awaited<ReturnType<typeof run>>[] = [];
const ref: Awaited<ReturnType<typeof run>>[] = [];
for (let r = 0; r < RUNS; r++) {
  ship.push(await run(5000));
  ref.push(await run(3_600_000));
  console.log(JSON.stringify({ run: r + 1, ship: ship[r], ref: ref[r] }));
}
const ms = median(ship.map((x) => x.wallMs));
const mr = median(ref.map((x) => x.wallMs));
console.log(JSON.stringify({
  files: FILES, ship_wall_ms: Math.round(ms), ref_wall_ms: Math.round(mr), ship_over_ref: +(ms / mr).toFixed(3),
  ship_main_thread_ms: Math.round(median(ship.map((x) => x.shipMs))),
  ship_main_thread_share: +(median(ship.map((x) => x.shipMs / x.wallMs)) * 100).toFixed(2) + "%",
  ships: median(ship.map((x) => x.ships)), shipped_kb: Math.round(median(ship.map((x) => x.shippedBytes)) / 1024),
}));
