// Durability tests: crash recovery of fsynced data (in-process and kill -9), metadata sequence numbers and rollback detection.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { MetadataRollbackError, createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";
import { readLocalState, writeLocalState } from "../../src/fs/metadata/local-state.ts";
import { listGenerations } from "../../src/fs/metadata/generations.ts";
import { snapshotKey } from "../../src/fs/store/object-names.ts";
import { ROOT, cleanupDirs, ctx, newWorld, randomData, readAll, resolve, storedBytes, tempDir, writeFile } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

describe("durability", () => {
  test("write + fsync, drop the object without close, reopen the same cache dir: data present and uploaded", async () => {
    const w = await newWorld(65536);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const data = randomData(700_000, 11);
    const f = await fs.create(ctx(), ROOT, "f", 0o644, 2, 0);
    await fs.write(ctx(), f.entry.nodeid, f.open.fh, 0, data, 0);
    await fs.fsync(ctx(), f.entry.nodeid, f.open.fh, false);
    expect(await storedBytes(w.backend)).toBe(0); // nothing uploaded yet
    await fs.abandonForTests(); // "crash"
    const fs2 = await w.open(cacheDir);
    expect(w.logs.some((l) => l.includes("unclean shutdown"))).toBe(true);
    expect(await readAll(fs2, await resolve(fs2, "f"))).toEqual(data);
    await fs2.flushAll();
    expect(await storedBytes(w.backend)).toBeGreaterThan(690_000);
    await fs2.close();
    const fs3 = await w.open(); // fresh cache: everything comes from the store
    expect(await readAll(fs3, await resolve(fs3, "f"))).toEqual(data);
    await fs3.close();
  });

  test("small blocks held in memory: an fsynced small file survives a crash, an unsynced one loses only its data", async () => {
    const w = await newWorld(4 * 1024 * 1024);
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    const a = randomData(3000, 5);
    const fa = await fs.create(ctx(), ROOT, "a", 0o644, 2, 0);
    await fs.write(ctx(), fa.entry.nodeid, fa.open.fh, 0, a, 0);
    await fs.fsync(ctx(), fa.entry.nodeid, fa.open.fh, false);
    const fb = await fs.create(ctx(), ROOT, "b", 0o644, 2, 0);
    await fs.write(ctx(), fb.entry.nodeid, fb.open.fh, 0, randomData(2000, 6), 0);
    expect(await storedBytes(w.backend)).toBe(0);
    await fs.abandonForTests(); // "crash": b's data was never fsynced (it was only in memory)
    const fs2 = await w.open(cacheDir);
    expect(w.logs.some((l) => l.includes("unclean shutdown"))).toBe(true);
    expect(w.logs.some((l) => l.includes("has no cache file"))).toBe(true);
    expect(await readAll(fs2, await resolve(fs2, "a"))).toEqual(a);
    expect(await readAll(fs2, await resolve(fs2, "b"))).toEqual(new Uint8Array(2000)); // size kept, data lost
    await fs2.close();
    const fs3 = await w.open();
    expect(await readAll(fs3, await resolve(fs3, "a"))).toEqual(a);
    await fs3.close();
  });

  test("kill -9 after fsync: the fsynced file survives, is uploaded at the next open, nothing is corrupt", async () => {
    const storeDir = tempDir("coffer-store-");
    const cacheDir = tempDir("coffer-cache-");
    const master = randomKey();
    const keys = deriveFsKeys(master, false);
    const backend = new LocalBackend(storeDir);
    await createFilesystemOnStore(backend, keys, { blockSize: 1024 * 1024 });
    const child = Bun.spawn(["bun", `${import.meta.dir}/crash-child.ts`, storeDir, cacheDir, Buffer.from(master).toString("hex")], {
      stdout: "pipe", stderr: "inherit",
    });
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("READY")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited early: ${out}`);
      out += new TextDecoder().decode(value);
    }
    child.kill(9);
    await child.exited;
    const logs: string[] = [];
    const fs = await openCofferFs({ backend, keys, cacheDir, log: (l) => logs.push(l) });
    expect(logs.join("\n")).toContain("unclean shutdown");
    const ino = await resolve(fs, "synced");
    expect(await readAll(fs, ino)).toEqual(randomData(3 * 1024 * 1024 + 123, 42));
    expect(new TextDecoder().decode(await fs.getxattr(ctx(), ino, "user.k"))).toBe("v");
    await fs.close();
    const fs2 = await openCofferFs({ backend, keys, cacheDir: tempDir() });
    expect(await readAll(fs2, await resolve(fs2, "synced"))).toEqual(randomData(3 * 1024 * 1024 + 123, 42));
    await fs2.close();
  }, 60_000);

  test("metadata snapshots are numbered, rotated at close, and bound to their generation", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    for (let i = 0; i < 5; i++) {
      const fs = await w.open(cacheDir, { keepSnapshots: 3 });
      await fs.mkdir(ctx(), ROOT, `d${i}`, 0o755, 0);
      await fs.close(); // each close ships one snapshot
    }
    expect((await listGenerations(w.backend)).snapshots).toEqual([4, 5, 6]); // mkfs wrote 1
    const again = await w.open(cacheDir, { keepSnapshots: 3 });
    expect(again.stats().metadataSeq).toBe(6);
    await again.close(); // nothing changed: no new snapshot
    expect((await listGenerations(w.backend)).snapshots).toEqual([4, 5, 6]);
    // a snapshot copied under a newer generation is refused (AEAD binds name and generation)
    await w.backend.put(snapshotKey(7), await w.backend.get(snapshotKey(6)));
    await expect(w.open()).rejects.toThrow(/corrupted/);
    await w.backend.delete(snapshotKey(7));
    // a store rolled back behind what this cache shipped is detected
    await w.backend.delete(snapshotKey(6));
    await expect(w.open(cacheDir)).rejects.toBeInstanceOf(MetadataRollbackError);
  });

  test("a cache older than the store (another host mounted since) is replaced by the store's metadata", async () => {
    const w = await newWorld();
    const cacheA = tempDir();
    let fs = await w.open(cacheA);
    await writeFile(fs, ROOT, "from-a", randomData(1000, 1));
    await fs.close();
    fs = await w.open(); // host B, its own cache
    await writeFile(fs, ROOT, "from-b", randomData(1000, 2));
    await fs.close();
    fs = await w.open(cacheA);
    expect(await readAll(fs, await resolve(fs, "from-b"))).toEqual(randomData(1000, 2));
    expect(w.logs.some((l) => l.includes("newer than this cache"))).toBe(true);
    await fs.close();
  });

  test("a crash between a snapshot's put and the local record of it keeps the local database", async () => {
    const w = await newWorld();
    const cacheDir = tempDir();
    const fs = await w.open(cacheDir);
    await fs.mkdir(ctx(), ROOT, "kept", 0o755, 0);
    await fs.flushAll();
    await fs.mkdir(ctx(), ROOT, "local-only", 0o755, 0); // fsynced locally, never uploaded
    await fs.fsyncdir(ctx(), ROOT, 0, false);
    await fs.abandonForTests();
    // as if the put of snapshot N had landed but the process died before recording it
    const st = readLocalState(cacheDir)!;
    writeLocalState(cacheDir, { shippedGen: st.shippedGen - 1, pendingGen: st.shippedGen, clean: false });
    const fs2 = await w.open(cacheDir);
    expect((await fs2.lookup(ctx(), ROOT, "local-only")).attr.mode & 0o170000).toBe(0o040000);
    expect(w.logs.some((l) => l.includes("newer than this cache"))).toBe(false);
    await fs2.close();
  });
});
