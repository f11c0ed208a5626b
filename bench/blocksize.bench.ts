// Measures block size trade-offs in-process (not a test): write + flush throughput, cold 4 KiB reads, metadata size.
// Run: bun bench/blocksize.bench.ts
import { randomKey } from "../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { LocalBackend } from "../src/fs/store/local.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";
import { ROOT, cleanupDirs, ctx, randomData, resolve, tempDir } from "../tests/vfs/helpers.ts";

const MiB = 1024 * 1024;
const total = Number(process.env.BENCH_MB ?? 256) * MiB;
const data = randomData(64 * MiB, 3);
for (const bs of [1 * MiB, 4 * MiB]) {
  const backend = new LocalBackend(tempDir("coffer-bench-store-"), { fsync: false });
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize: bs });
  const fs = await openCofferFs({ backend, keys, cacheDir: tempDir(), uploadDelayMs: 60_000, cacheSizeBytes: 2 * total });
  const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
  const t0 = performance.now();
  for (let off = 0; off < total; off += MiB) {
    const chunk = data.subarray(off % data.length, (off % data.length) + MiB);
    chunk[0] = off / MiB; // distinct blocks, no dedup
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, off, chunk, 0);
  }
  const t1 = performance.now();
  await fs.flushAll();
  const t2 = performance.now();
  await fs.close();
  let metaBytes = 0;
  for await (const o of backend.list("meta/db-")) metaBytes = o.size;
  const fs2 = await openCofferFs({ backend, keys, cacheDir: tempDir() });
  const ino = await resolve(fs2, "f");
  const t3 = performance.now();
  const reads = 64;
  for (let i = 0; i < reads; i++) await fs2.read(ctx(), ino, 0, ((i * 7919) % (total / 4096)) * 4096, 4096);
  const t4 = performance.now();
  await fs2.close();
  const mbps = (ms: number) => ((total / MiB) / (ms / 1000)).toFixed(0);
  console.log(
    `block ${bs / MiB} MiB: write ${mbps(t1 - t0)} MB/s to cache, flush ${mbps(t2 - t1)} MB/s to local store, ` +
      `cold 4 KiB read ${((t4 - t3) / reads).toFixed(1)} ms, metadata snapshot ${metaBytes} B for ${total / MiB} MiB`,
  );
}
cleanupDirs();
