// Cache cap under a write of several times its size through a real mount: du of the cache sampled, throughput per second.
//
//   bun bench/cache-cap.ts [--cache-mib 64] [--write-mib 256] [--store s3c|local] [--sample-ms 150]
//
// Mounts a fresh filesystem (s3c:// to an s3rver started here, or local://) with --cachesize CACHE, then
// `dd` writes WRITE MiB of random data (prepared beforehand, read from the page cache) into one file in
// one go. Every SAMPLE ms it samples the bytes the cache's block files take on disk (like du: st_blocks)
// and the file's size in the mount. Prints the max overshoot over the cap, the per-second throughput
// curve, the rate once the cache is full beside the rate before, the umount time (everything stored),
// and checks the file byte for byte through a second mount with an empty cache.
import { randomFillSync } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { diskBytes } from "../tests/support/disk-usage.ts";
import { startS3rver } from "../tests/support/s3rver.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const CACHE_MIB = Number(arg("cache-mib", "64"));
const WRITE_MIB = Number(arg("write-mib", "256"));
const STORE = arg("store", "s3c");
const SAMPLE_MS = Number(arg("sample-ms", "150"));
const BLOCK = 4 * 1048576; // the default block size: the cap must hold within one of these

const coffer = join(import.meta.dir, "../bin/coffer");
const work = mkdtempSync("/var/tmp/coffer-cache-cap-");
const mnt = join(work, "mnt");
const source = join(work, "source.bin");
mkdirSync(mnt);
const run = (args: string[]) => {
  const r = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
};

/** The blocks/ directory of the one filesystem under a --cachedir. */
function blocksDir(cacheRoot: string): string {
  for (const e of readdirSync(cacheRoot, { withFileTypes: true })) {
    if (e.isDirectory() && readdirSync(join(cacheRoot, e.name)).includes("blocks")) return join(cacheRoot, e.name, "blocks");
  }
  throw new Error(`no blocks/ directory under ${cacheRoot}`);
}

const s3 = STORE === "s3c" ? await startS3rver() : null;
try {
  // the source: random (incompressible, no dedup), written once and then read from the page cache
  const fd = openSync(source, "w");
  const chunk = new Uint8Array(1048576);
  for (let i = 0; i < WRITE_MIB; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);

  let url: string;
  const auth = join(work, "authinfo");
  if (s3) {
    await s3.createBucket("cap");
    url = s3.url("cap", "fs");
    await Bun.write(auth, `[s3]\nstorage-url: s3c://127.0.0.1:${s3.port}/\nbackend-login: ${s3.creds.login}\nbackend-password: ${s3.creds.password}\n` +
      `backend-options: no-ssl\n\n[fs]\nstorage-url: ${url}\nfs-passphrase: bench passphrase\n`);
  } else {
    url = `local://${join(work, "store")}`;
    await Bun.write(auth, `[fs]\nstorage-url: ${url}\nfs-passphrase: bench passphrase\n`);
  }
  chmodSync(auth, 0o600);
  run([coffer, "mkfs", "--authfile", auth, url]);
  const cache1 = join(work, "cache1");
  run([coffer, "mount", "--authfile", auth, "--cachedir", cache1, "--cachesize", `${CACHE_MIB}M`, "--log", join(work, "mount.log"), url, mnt]);
  try {
    const blocks = blocksDir(cache1);
    const cap = CACHE_MIB * 1048576;
    const samples: { t: number; du: number; written: number }[] = [];
    const t0 = performance.now();
    const dd = Bun.spawn(["dd", `if=${source}`, `of=${join(mnt, "big")}`, "bs=1M", "status=none"], { stderr: "pipe" });
    let finished = false;
    void dd.exited.then(() => (finished = true));
    while (!finished) {
      let written = 0;
      try {
        written = statSync(join(mnt, "big")).size;
      } catch {
        // not created yet
      }
      samples.push({ t: (performance.now() - t0) / 1000, du: diskBytes(blocks), written });
      await Bun.sleep(SAMPLE_MS);
    }
    if ((await dd.exited) !== 0) throw new Error(`dd failed: ${await new Response(dd.stderr).text()}`);
    const writeS = (performance.now() - t0) / 1000;
    samples.push({ t: writeS, du: diskBytes(blocks), written: WRITE_MIB * 1048576 });
    const tu = performance.now();
    run([coffer, "umount", mnt]);
    const umountS = (performance.now() - tu) / 1000;

    // per-second throughput: written bytes at each whole second, by interpolation between samples
    const at = (t: number) => {
      let prev = samples[0]!;
      for (const s of samples) {
        if (s.t >= t) return prev.written + ((s.written - prev.written) * (t - prev.t)) / Math.max(1e-9, s.t - prev.t);
        prev = s;
      }
      return prev.written;
    };
    const curve: number[] = [];
    for (let sec = 1; sec <= Math.ceil(writeS); sec++) curve.push(+((at(Math.min(sec, writeS)) - at(sec - 1)) / 1048576 / Math.min(1, writeS - sec + 1)).toFixed(1));
    const full = samples.find((s) => s.written >= cap);
    const rate = (a: number, b: number) => (at(b) - at(a)) / 1048576 / Math.max(1e-9, b - a);
    const maxDu = Math.max(...samples.map((s) => s.du));
    console.log(JSON.stringify({
      date: new Date().toISOString(), load: run(["cut", "-d", " ", "-f1-3", "/proc/loadavg"]).trim(), store: STORE,
      cacheMiB: CACHE_MIB, writeMiB: WRITE_MIB, samples: samples.length,
      maxDuMiB: +(maxDu / 1048576).toFixed(2), maxOvershootMiB: +((maxDu - cap) / 1048576).toFixed(2), blockMiB: BLOCK / 1048576,
      withinOneBlock: maxDu <= cap + BLOCK,
      writeS: +writeS.toFixed(2), overallMBps: +(WRITE_MIB / writeS).toFixed(1),
      beforeFullMBps: full ? +rate(0, full.t).toFixed(1) : null, onceFullMBps: full ? +rate(full.t, writeS).toFixed(1) : null,
      umountS: +umountS.toFixed(2), curveMBps: curve,
    }));

    // everything is in the store: a mount with an empty cache reads it back byte for byte
    run([coffer, "mount", "--authfile", auth, "--cachedir", join(work, "cache2"), "--log", join(work, "mount2.log"), url, mnt]);
    const cmp = Bun.spawnSync(["cmp", source, join(mnt, "big")], { stdout: "pipe", stderr: "pipe" });
    console.log(JSON.stringify({ verifiedAfterRemountWithEmptyCache: cmp.exitCode === 0 }));
  } finally {
    Bun.spawnSync([coffer, "umount", mnt], { stdout: "ignore", stderr: "ignore" });
  }
} finally {
  await s3?.stop();
  rmSync(work, { recursive: true, force: true });
}
