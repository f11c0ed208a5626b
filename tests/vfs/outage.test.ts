// Store outages in process: writers block on a full cache and go on afterwards, reads fail after a bounded wait, flush never gives up.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { BlockReadTimeoutError } from "../../src/fs/blocks/cache.ts";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { RetryBackend } from "../../src/fs/store/retry.ts";
import { type OpenCofferFsOptions, createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { cleanupDirs, ctx, randomData, readAll, resolve, ROOT, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterAll(cleanupDirs);

/** A filesystem on memory behind an outage switch and a retry layer with short backoff (as openBackend stacks them). */
async function outageWorld(retry: { maxElapsedMs?: number } = {}) {
  const mem = new MemoryBackend();
  const faulty = new FaultyBackend(mem, {});
  const backend = new RetryBackend(faulty, { baseDelayMs: 20, maxDelayMs: 200, ...retry });
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize: 65536 });
  const logs: string[] = [];
  const open = (extra: Partial<OpenCofferFsOptions> = {}) =>
    openCofferFs({ backend, keys, cacheDir: tempDir(), log: (l) => logs.push(l), metadataIntervalMs: 3_600_000, ...extra });
  return { mem, faulty, keys, logs, open };
}

const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true, () => true), Bun.sleep(ms).then(() => false)]);

describe("store outages", () => {
  test("a writer blocks on a cache full of dirty data during an outage, then finishes; nothing lost", async () => {
    const w = await outageWorld();
    const fs = await w.open({ cacheSizeBytes: 256 * 1024, uploadDelayMs: 0 });
    const data = randomData(1024 * 1024, 11);
    w.faulty.startOutage(3_600_000);
    const writing = writeFile(fs, ROOT, "f", data);
    expect(await settledWithin(writing, 1500)).toBe(false); // blocked, not failed
    expect(fs.stats().dirtyBytes).toBeLessThanOrEqual(256 * 1024 + 128 * 1024);
    w.faulty.endOutage();
    await writing; // resolves: no error for the writer
    await fs.close();
    const fresh = await w.open();
    expect(await readAll(fresh, await resolve(fresh, "f"))).toEqual(data);
    await fresh.close();
  }, 30_000);

  test("a read of an uncached block during an outage fails after the bounded wait, with a line saying why", async () => {
    const w = await outageWorld();
    const fs = await w.open();
    const data = randomData(200_000, 12);
    await writeFile(fs, ROOT, "f", data);
    await fs.close();
    const cold = await w.open({ readTimeoutMs: 500 });
    const ino = await resolve(cold, "f");
    w.faulty.startOutage(3_600_000);
    const fh = (await cold.open(ctx(), ino, 0)).fh;
    const err = await cold.read(ctx(), ino, fh, 0, 4096).catch((e) => e);
    expect(err).toBeInstanceOf(BlockReadTimeoutError); // the FUSE layer answers EIO for it
    expect(w.logs.some((l) => /has not delivered it for .*injected outage.*EIO/.test(l))).toBe(true);
    w.faulty.endOutage();
    expect(await readAll(cold, ino)).toEqual(data); // the store is back: the same read works
    await cold.release(ctx(), ino, fh, 0);
    await cold.close();
  }, 30_000);

  test("a flush during an outage keeps trying past many failures, says so, and stores everything", async () => {
    // the retry layer gives up on each put after 100 ms, so the upload queue sees failure after failure
    const w = await outageWorld({ maxElapsedMs: 100 });
    const fs = await w.open({ outageReportMs: 300 });
    const data = randomData(600_000, 13);
    await writeFile(fs, ROOT, "f", data);
    w.faulty.startOutage(3_600_000);
    const flushing = fs.flushAll();
    await Bun.sleep(2500);
    expect(await settledWithin(flushing, 10)).toBe(false);
    w.faulty.endOutage();
    await flushing;
    const errors = w.logs.filter((l) => l.startsWith("store error"));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(new Set(errors).size).toBe(errors.length); // each kind of error once, not once per attempt
    expect(w.logs.some((l) => /store unreachable since .*MB waiting/.test(l))).toBe(true);
    expect(w.logs.some((l) => l.startsWith("the store answers again"))).toBe(true);
    await fs.close();
    const fresh = await w.open();
    expect(await readAll(fresh, await resolve(fresh, "f"))).toEqual(data);
    await fresh.close();
  }, 30_000);
});
