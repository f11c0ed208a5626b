// Upload pipeline: blocks encoded ahead wait for a put slot, the generation rule still holds for them, fsync starts a file's uploads.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { type OpenCofferFsOptions, createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { GatedBackend } from "./gated-backend.ts";
import { ROOT, cleanupDirs, ctx, randomData, readAll, resolve, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

const BS = 64 * 1024;

async function world(extra: Partial<OpenCofferFsOptions> = {}) {
  const backend = new GatedBackend();
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize: BS });
  const open = (more: Partial<OpenCofferFsOptions> = {}) =>
    openCofferFs({
      backend, keys, cacheDir: tempDir(), metadataIntervalMs: 3_600_000, uploadDelayMs: 3_600_000, removalIntervalMs: 3_600_000,
      ...extra, ...more,
    });
  return { backend, open };
}

/** Lets microtasks and the codec run until `cond` holds (no time limit but the test's own). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(2);
}

describe("upload pipeline", () => {
  test("puts in flight stay at the concurrency while the next blocks are encoded ahead", async () => {
    // inline codec: one block encoded ahead of the put slots
    const w = await world({ uploadConcurrency: 2, codecWorkers: 0 });
    const fs = await w.open();
    await writeFile(fs, ROOT, "f", randomData(10 * BS, 31));
    w.backend.holdPuts();
    const flushing = fs.flushAll();
    await until(() => w.backend.dataPuts === 2 && fs.stats().uploadsInFlight === 3);
    await Bun.sleep(50); // more time changes nothing: the pipeline is full
    expect(w.backend.dataPuts).toBe(2);
    expect(fs.stats().uploadsInFlight).toBe(3);
    w.backend.release();
    await flushing;
    expect(w.backend.dataPuts).toBe(10);
    expect(fs.stats().dirtyBlocks).toBe(0);
    await fs.close();
  });

  test("a block rewritten while it waits, encoded, for a put slot stays dirty and its new content wins", async () => {
    const w = await world({ uploadConcurrency: 1, codecWorkers: 0 });
    const fs = await w.open();
    const a = randomData(BS, 32);
    const b = randomData(BS, 33);
    await writeFile(fs, ROOT, "a", a);
    const bIno = await writeFile(fs, ROOT, "b", b);
    w.backend.holdPuts();
    const flushing = fs.flushAll();
    // a's put holds the one slot; b is encoded and waits for it
    await until(() => w.backend.dataPuts === 1 && fs.stats().uploadsInFlight === 2);
    const fh = (await fs.open(ctx(), bIno, 2)).fh;
    await fs.write(ctx(), bIno, fh, 100, new Uint8Array(10).fill(7), 0);
    await fs.release(ctx(), bIno, fh, 0);
    w.backend.release();
    await flushing; // keeps going until b's newer content is stored too
    expect(fs.stats().dirtyBlocks).toBe(0);
    await fs.close();
    const again = await w.open();
    const want = b.slice();
    want.fill(7, 100, 110);
    expect(await readAll(again, await resolve(again, "b"))).toEqual(want);
    expect(await readAll(again, await resolve(again, "a"))).toEqual(a);
    await again.close();
  });

  test("fsync starts the file's uploads without waiting for the dirty-block delay; other files wait", async () => {
    const w = await world();
    const fs = await w.open();
    const synced = await writeFile(fs, ROOT, "synced", randomData(3 * BS, 34));
    await writeFile(fs, ROOT, "other", randomData(2 * BS, 35));
    expect(fs.stats().dirtyBlocks).toBe(5);
    const fh = (await fs.open(ctx(), synced, 2)).fh;
    await fs.fsync(ctx(), synced, fh, false);
    await fs.release(ctx(), synced, fh, 0);
    await until(() => fs.stats().dirtyBlocks === 2 && fs.stats().uploadsInFlight === 0);
    expect(w.backend.dataPuts).toBe(3); // only the fsynced file's blocks, the delay is an hour
    await fs.close();
  });
});
