// Cold sequential read through CofferFs (no FUSE) on s3rver: readahead off vs on, beside raw SDK GETs of the same objects, same run.
//
//   bun bench/cold-read.ts [--mib 256] [--reps 3] [--window N]
//
// One file of random (incompressible) data in 4 MiB blocks is stored once. Each rep, taking turns:
// "sdk 1" / "sdk 8" GET every data object of the file with a bare @aws-sdk/client-s3 client, one at a time
// and 8 at a time (the store's ceiling); "off" / "on" open the filesystem on a new empty cache directory
// (readaheadBlocks 0, or the default / --window) and read the file start to end in 1 MiB reads, as fio
// does through the kernel. MB/s of plaintext, medians.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { openBackend } from "../src/fs/store/open.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";
import { startS3rver } from "../tests/support/s3rver.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MIB = arg("mib", 256);
const REPS = arg("reps", 3);
const WINDOW = arg("window", -1);
const BLOCK = 4 * 1048576;
const ctx = { unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 };

const s3 = await startS3rver();
await s3.createBucket("cold");
const url = s3.url("cold", "fs/");
const keys = deriveFsKeys(randomFillSync(new Uint8Array(32)), false);
const writer = openBackend(url, s3.creds);
await createFilesystemOnStore(writer, keys, { blockSize: BLOCK });

async function store(): Promise<void> {
  const cacheDir = mkdtempSync(join(tmpdir(), "coffer-cold-w-"));
  const fs = await openCofferFs({ backend: writer, keys, cacheDir, cacheSizeBytes: 2 * MIB * 1048576, metadataIntervalMs: 3_600_000 });
  const f = await fs.create(ctx, 1, "big", 0o644, 2, 0o022);
  const chunk = new Uint8Array(1048576);
  for (let off = 0; off < MIB * 1048576; off += chunk.length) {
    randomFillSync(chunk);
    await fs.write(ctx, f.entry.nodeid, f.open.fh, off, chunk, 0);
  }
  await fs.release(ctx, f.entry.nodeid, f.open.fh, 0);
  await fs.close();
  rmSync(cacheDir, { recursive: true, force: true });
}

/** Seconds to read the file start to end in 1 MiB reads on an empty cache. */
async function cofferRead(window: number | undefined): Promise<number> {
  const cacheDir = mkdtempSync(join(tmpdir(), "coffer-cold-r-"));
  const backend = openBackend(url, s3.creds);
  try {
    const fs = await openCofferFs({ backend, keys, cacheDir, metadataIntervalMs: 3_600_000, readaheadBlocks: window });
    const ino = fs.lookup(ctx, 1, "big").nodeid;
    const fh = (await fs.open(ctx, ino, 0)).fh;
    const t0 = performance.now();
    for (let off = 0; off < MIB * 1048576; off += 1048576) await fs.read(ctx, ino, fh, off, 1048576);
    const dt = (performance.now() - t0) / 1000;
    await fs.release(ctx, ino, fh, 0);
    await fs.close();
    return dt;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const client = new S3Client({
  region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, maxAttempts: 3,
  requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED", requestHandler: { httpAgent: agent },
});

/** Seconds to GET every data object `conc` at a time. */
async function sdkRead(names: string[], conc: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    for (let i = next++; i < names.length; i = next++) {
      const r = await client.send(new GetObjectCommand({ Bucket: "cold", Key: names[i] }));
      await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    }
  }));
  return (performance.now() - t0) / 1000;
}

const times: Record<string, number[]> = { "sdk 1": [], "sdk 8": [], off: [], on: [] };
try {
  await store();
  const listed = await client.send(new ListObjectsV2Command({ Bucket: "cold", Prefix: "fs/data/" }));
  const names = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.length > 0);
  for (let rep = 0; rep < REPS; rep++) {
    times["sdk 1"].push(await sdkRead(names, 1));
    times["sdk 8"].push(await sdkRead(names, 8));
    times.off.push(await cofferRead(0));
    times.on.push(await cofferRead(WINDOW >= 0 ? WINDOW : undefined));
    console.error(`rep ${rep}: ${Object.entries(times).map(([k, v]) => `${k} ${v[rep].toFixed(2)} s`).join(", ")}`);
  }
} finally {
  client.destroy();
  agent.destroy();
  await writer.close();
  await s3.stop();
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rate = (s: number) => (MIB * 1048576) / s / 1e6;
console.log(`cold read: ${MIB} MiB in 4 MiB blocks from s3rver, 1 MiB reads, median of ${REPS}`);
console.log("| reader | s (median) | MB/s | runs (s) |");
console.log("|---|---|---|---|");
const labels: Record<string, string> = {
  "sdk 1": "raw SDK GETs, 1 at a time", "sdk 8": "raw SDK GETs, 8 at a time",
  off: "CofferFs, readahead off", on: `CofferFs, readahead ${WINDOW >= 0 ? WINDOW : "default"}`,
};
for (const [k, v] of Object.entries(times)) {
  console.log(`| ${labels[k]} | ${med(v).toFixed(2)} | ${rate(med(v)).toFixed(0)} | ${v.map((t) => t.toFixed(2)).join(", ")} |`);
}
