// Child process for the kill -9 chaos test: endless writes, fsyncs, deletes, renames and flushes; prints "SYNCED name seed len" after each fsync.
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { openCofferFs } from "../../src/fs/vfs/index.ts";
import { ROOT, ctx, randomData } from "./helpers.ts";

const [storeDir, cacheDir, masterHex, seedArg] = process.argv.slice(2);
const keys = deriveFsKeys(new Uint8Array(Buffer.from(masterHex!, "hex")), false);
const fs = await openCofferFs({
  backend: new LocalBackend(storeDir!, { fsync: false }), keys, cacheDir: cacheDir!,
  uploadDelayMs: 20, metadataIntervalMs: 50, removalIntervalMs: 30, log: () => {},
});
let seed = Number(seedArg) * 1000;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};
for (let i = 0; ; i++) {
  const name = `f${Number(seedArg)}-${i}`;
  const s = Number(seedArg) * 100000 + i;
  const len = 1 + rnd(200_000);
  const f = await fs.create(ctx(), ROOT, name, 0o644, 2, 0);
  const data = randomData(len, s);
  for (let off = 0; off < len; off += 50_000) await fs.write(ctx(), f.entry.nodeid, f.open.fh, off, data.subarray(off, off + 50_000), 0);
  const overwrite = rnd(3) === 0;
  if (overwrite) {
    // overwrite a middle part with zeros before the fsync: the parent models it
    const mid = Math.floor(len / 2);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, mid, new Uint8Array(Math.min(1000, len - mid)), 0);
  }
  await fs.fsync(ctx(), f.entry.nodeid, f.open.fh, false);
  process.stdout.write(`SYNCED ${name} ${len} ${s} ${overwrite ? 1 : 0}\n`);
  await fs.release(ctx(), f.entry.nodeid, f.open.fh, 0);
  if (rnd(4) === 0 && i > 0) {
    const victim = `f${Number(seedArg)}-${rnd(i)}`;
    process.stdout.write(`UNLINK ${victim}\n`);
    try {
      await fs.unlink(ctx(), ROOT, victim);
    } catch {}
  }
  if (rnd(10) === 0) await fs.flushAll();
}
