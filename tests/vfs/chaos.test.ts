// kill -9 at random moments during writes, uploads, metadata uploads and removals: fsynced files survive, metadata stays consistent.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { loadNewestGeneration } from "../../src/fs/metadata/generations.ts";
import { keysCodec } from "../../src/fs/blocks/keys-codec.ts";
import { createFilesystemOnStore, openCofferFs, type CofferFs } from "../../src/fs/vfs/index.ts";
import { checkConsistency } from "./consistency.ts";
import { ROOT, cleanupDirs, ctx, randomData, readAll, tempDir } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

interface Synced {
  len: number;
  seed: number;
  overwrite: boolean;
  maybeGone: boolean;
}

function expected(s: Synced): Uint8Array {
  const d = randomData(s.len, s.seed);
  if (s.overwrite) {
    const mid = Math.floor(s.len / 2);
    d.fill(0, mid, mid + Math.min(1000, s.len - mid));
  }
  return d;
}

async function verify(fs: CofferFs, files: Map<string, Synced>): Promise<void> {
  for (const [name, s] of files) {
    let ino: number;
    try {
      ino = (await fs.lookup(ctx(), ROOT, name)).nodeid;
    } catch {
      if (s.maybeGone) {
        files.delete(name);
        continue;
      }
      throw new Error(`fsynced file ${name} is missing`);
    }
    const got = await readAll(fs, ino);
    if (!Buffer.from(got).equals(Buffer.from(expected(s)))) throw new Error(`fsynced file ${name} has wrong content`);
  }
}

describe("chaos", () => {
  test("repeated kill -9 of a busy filesystem", async () => {
    const storeDir = tempDir("coffer-chaos-store-");
    const cacheDir = tempDir("coffer-chaos-cache-");
    const master = randomKey();
    const keys = deriveFsKeys(master, false);
    const backend = new LocalBackend(storeDir, { fsync: false });
    await createFilesystemOnStore(backend, keys, { blockSize: 65536 });
    const files = new Map<string, Synced>();
    for (let round = 1; round <= 5; round++) {
      const child = Bun.spawn(["bun", `${import.meta.dir}/chaos-child.ts`, storeDir, cacheDir, Buffer.from(master).toString("hex"), String(round)], {
        stdout: "pipe", stderr: "inherit",
      });
      let out = "";
      let started: () => void = () => {};
      const firstSync = new Promise<void>((resolve) => (started = resolve));
      const reading = (async () => {
        for await (const chunk of child.stdout) {
          out += new TextDecoder().decode(chunk);
          if (out.includes("SYNCED ")) started();
        }
        started(); // the child ended on its own: the checks below say what it did
      })();
      // the kill's moment is counted from the child's first fsync, not from its spawn: on a loaded machine
      // starting Bun and opening the filesystem alone can take longer than any fixed delay
      await firstSync;
      await Bun.sleep(100 + ((round * 337) % 900));
      child.kill(9);
      await child.exited;
      await reading;
      for (const line of out.split("\n")) {
        const p = line.split(" ");
        if (p[0] === "SYNCED") files.set(p[1], { len: Number(p[2]), seed: Number(p[3]), overwrite: p[4] === "1", maybeGone: false });
        if (p[0] === "UNLINK" && files.has(p[1])) files.get(p[1])!.maybeGone = true;
      }
      expect(files.size).toBeGreaterThan(0);
      // whatever moment the kill hit, the newest snapshot in the store names only objects in the store
      const { image: image0 } = await loadNewestGeneration(backend, keysCodec(keys));
      expect(await checkConsistency(image0, backend)).toEqual([]);
      if (round % 2 === 0) continue; // the next child recovers the unclean cache itself
      const fs = await openCofferFs({ backend, keys, cacheDir });
      await verify(fs, files);
      await fs.close();
      const { image } = await loadNewestGeneration(backend, keysCodec(keys));
      expect(await checkConsistency(image, backend)).toEqual([]);
    }
    const fresh = await openCofferFs({ backend, keys, cacheDir: tempDir() });
    await verify(fresh, files);
    await fresh.close();
    console.log(`chaos: ${files.size} fsynced files verified after 5 kills`);
  }, 120_000);
});
