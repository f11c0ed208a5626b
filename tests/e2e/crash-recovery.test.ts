// kill -9 in the middle of a write workload (every fsynced byte is back), and machine loss (RPO ≤ 10 s), on local:// and s3c://.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { seededBytes, syncedFiles } from "../support/fsync-writer.ts";
import { type S3rverHandle, startS3rver } from "../support/s3rver.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const WRITER = join(import.meta.dir, "../support/fsync-writer.ts");

/** Every file in `files` under `dir` has exactly the content the writer fsynced. */
function expectAllBack(dir: string, files: Map<string, { len: number; seed: number }>): void {
  const wrong: string[] = [];
  for (const [name, f] of files) {
    let got: Buffer | null = null;
    try {
      got = readFileSync(join(dir, name));
    } catch {}
    if (!got || !got.equals(Buffer.from(seededBytes(f.len, f.seed)))) wrong.push(`${name} (${got ? `${got.length} bytes, differs` : "missing"})`);
  }
  expect(wrong).toEqual([]);
}

/** Starts the writer in `dir`, waits for `fsyncs` SYNCED lines plus `extraMs` (mid-write), kills the daemon. */
async function killDuringWrites(box: CofferSandbox, mnt: string, seed: number, fsyncs: number, extraMs: number) {
  const writer = Bun.spawn(["bun", WRITER, mnt, String(seed)], { stdout: "pipe", stderr: "ignore" });
  let out = "";
  const reading = (async () => {
    for await (const chunk of writer.stdout) out += new TextDecoder().decode(chunk);
  })();
  try {
    const end = Date.now() + 60_000;
    while (syncedFiles(out).size < fsyncs) {
      if (Date.now() > end) throw new Error(`writer made only ${syncedFiles(out).size} fsyncs in 60 s`);
      await Bun.sleep(5);
    }
    await Bun.sleep(extraMs);
    const cleared = await box.killDaemon(mnt); // the writer is mid-write: its next call fails
    // coffer umount clears the dead mount and says where the unstored data is (exit 1: not everything stored)
    expect(cleared.code).toBe(1);
    expect(cleared.stderr).toMatch(/next coffer mount/);
  } finally {
    writer.kill(9);
    await writer.exited;
    await reading;
  }
  return syncedFiles(out);
}

function crashSuite(name: string, setup: (box: CofferSandbox) => Promise<string>) {
  describe(`kill -9 and machine loss on ${name}`, () => {
    const box = new CofferSandbox();
    const mnt = box.dir("mnt");
    let url = "";
    beforeAll(async () => {
      url = await setup(box);
      const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
      expect(made.stderr).toBe("");
    }, 60_000);
    afterAll(() => box.cleanup(), 120_000);

    test("kill -9 during a write workload, at several points: every fsynced byte is back after the next mount", async () => {
      const cache = box.dir("cache-crash");
      const all = new Map<string, { len: number; seed: number }>();
      // kill points: right after the first fsync; during uploads and metadata ships (1 s interval, 0.5 s upload delay); later
      for (const [round, fsyncs, extraMs] of [[1, 1, 0], [2, 6, 150], [3, 20, 700]] as const) {
        const mounted = await box.mount(url, mnt, ["--cachedir", cache, "--metadata-interval", "1"]);
        expect(mounted.stderr).toBe("");
        expect(mounted.code).toBe(0);
        expectAllBack(mnt, all); // what earlier rounds fsynced survived this crash too
        const synced = await killDuringWrites(box, mnt, round, fsyncs, extraMs);
        expect(synced.size).toBeGreaterThanOrEqual(fsyncs);
        for (const [k, v] of synced) all.set(k, v);
      }
      expect((await box.mount(url, mnt, ["--cachedir", cache])).code).toBe(0);
      expectAllBack(mnt, all);
      expect(box.log()).toContain("unclean shutdown");
      expect((await box.umount(mnt)).code).toBe(0);
      // and it all reached the store: a mount with an empty cache has it
      expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache-fresh")])).code).toBe(0);
      expectAllBack(mnt, all);
      expect((await box.umount(mnt)).code).toBe(0);
    }, 600_000);

    test("machine loss: kill -9, the cache directory gone; mounted elsewhere, every file written over 10 s before is there", async () => {
      const cache = box.dir("cache-lost");
      const m0 = await box.mount(url, mnt, ["--cachedir", cache]); // default metadata interval
      expect(m0.stderr).toBe("");
      const t0 = Date.now();
      expect(m0.code).toBe(0);
      const early = new Map<string, { len: number; seed: number }>();
      for (let i = 0; i < 30; i++) {
        const f = { len: 1 + ((i * 7919) % 300_000), seed: 900_000 + i };
        await Bun.write(join(mnt, `early-${i}`), seededBytes(f.len, f.seed)); // no fsync: only the interval protects it
        early.set(`early-${i}`, f);
      }
      console.log(`machine loss: 30 files written in ${Date.now() - t0} ms`);
      await Bun.sleep(10_500);
      await Bun.write(join(mnt, "late"), "written just before the loss: may be lost");
      await box.killDaemon(mnt);
      rmSync(cache, { recursive: true, force: true }); // the machine and its disk are gone
      await Bun.sleep(5_000); // the interval: nothing ships from a dead machine
      const elsewhere = box.dir("mnt-elsewhere");
      const mounted = await box.mount(url, elsewhere, ["--cachedir", box.dir("cache-elsewhere"), "--force-unlock"]);
      expect(mounted.stderr).toBe("");
      expect(mounted.code).toBe(0);
      try {
        expectAllBack(elsewhere, early);
      } catch (e) {
        console.log(`mount log:\n${box.log()}`); // which ships and uploads happened when
        throw e;
      }
      expect((await box.umount(elsewhere)).code).toBe(0);
      expect(isMounted(elsewhere)).toBe(false);
    }, 180_000);
  });
}

crashSuite("local://", async (box) => {
  const url = `local://${box.dir("store")}`;
  box.addAuth(url, { "fs-passphrase": "crash passphrase" });
  return url;
});

describe("through the CLI: a broken metadata chain and a bad --metadata-interval are one clear line", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  afterAll(() => box.cleanup(), 120_000);

  test("a log removed from the store: the mount refuses with one line, nothing applied", async () => {
    box.addAuth(url, { "fs-passphrase": "tamper passphrase" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("c1"), "--metadata-interval", "0.2"])).code).toBe(0);
    const backend = new LocalBackend(store);
    const logs = async () => {
      const out: string[] = [];
      for await (const o of backend.list("meta/log-")) out.push(o.key);
      return out;
    };
    for (let i = 0; (await logs()).length < 3; i++) {
      if (i > 600) throw new Error("no metadata logs shipped in 60 s");
      await Bun.write(join(mnt, `f${i}`), `file ${i}`);
      await Bun.sleep(100);
    }
    await box.killDaemon(mnt); // no final snapshot: the logs are the newest state
    await backend.delete((await logs())[1]!);
    const refused = await box.mount(url, mnt, ["--cachedir", box.dir("c2"), "--force-unlock"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/^coffer: metadata log chain broken: log \d+ is missing/);
    expect(isMounted(mnt)).toBe(false);
  }, 120_000);

  test("--metadata-interval that is not a number of seconds", async () => {
    const r = await box.coffer(["mount", "--authfile", box.authfile, "--metadata-interval", "soon", url, mnt]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--metadata-interval/);
  });
});

let s3: S3rverHandle | null = null;
afterAll(async () => {
  await s3?.stop();
});
crashSuite("s3c:// (s3rver)", async (box) => {
  s3 = await startS3rver();
  await s3.createBucket("coffer-crash");
  const url = s3.url("coffer-crash", "fs");
  box.addAuth(`s3c://127.0.0.1:${s3.port}/`, { "backend-login": s3.creds.login, "backend-password": s3.creds.password, "backend-options": "no-ssl" });
  box.addAuth(url, { "fs-passphrase": "crash passphrase" });
  return url;
});
