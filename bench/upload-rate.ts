// Upload rate: settle time after writing 1 GiB into Coffer (codec Worker pool, and inline) beside raw SDK puts, same s3rver, same run.
//
//   bun bench/upload-rate.ts [--mib 1024] [--block-mib 4] [--reps 3] [--conc 4]
//
// "sdk" puts the blocks with a bare @aws-sdk/client-s3 S3Client (configured like ours), `conc` at a time.
// "pool" / "inline" write the same blocks into a CofferFs (no FUSE) on the same s3rver with uploads held
// back, then time flushAll() until everything is stored: read from the cache, content id, zstd, AES-GCM,
// self-check, put and commit, `conc` uploads in flight. Blocks are random (incompressible) and all
// different, so every configuration sends the same number of bytes. The three take turns rep by rep.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { openBackend } from "../src/fs/store/open.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";
import { startS3rver } from "../tests/support/s3rver.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MIB = arg("mib", 1024);
const BLOCK = arg("block-mib", 4) * 1048576;
const REPS = arg("reps", 3);
const CONC = arg("conc", 4);
const COUNT = Math.ceil((MIB * 1048576) / BLOCK);

const base = randomFillSync(new Uint8Array(BLOCK));
/** Block i: the random base with i stamped in, so every block is distinct and incompressible. */
function block(i: number, rep: number): Uint8Array {
  const b = base.slice();
  new DataView(b.buffer).setUint32(0, i);
  new DataView(b.buffer).setUint32(4, rep);
  return b;
}

const s3 = await startS3rver();
let bucketNo = 0;
async function freshBucket(): Promise<string> {
  const name = `up${bucketNo++}`;
  await s3.createBucket(name);
  return name;
}

async function sdkRun(rep: number): Promise<number> {
  const bucket = await freshBucket();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const client = new S3Client({
    region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, maxAttempts: 3,
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED", requestHandler: { httpAgent: agent },
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const body = block(i, rep);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `b${i}`, Body: body, ContentLength: body.length }));
      }
    }),
  );
  const dt = (performance.now() - t0) / 1000;
  client.destroy();
  agent.destroy();
  return dt;
}

const ctx = { unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 };

/** Seconds from flushAll() to everything stored, after writing COUNT blocks with uploads held back. */
async function cofferRun(rep: number, codecWorkers: number): Promise<number> {
  const backend = openBackend(s3.url(await freshBucket(), "fs/"), s3.creds);
  const keys = deriveFsKeys(randomFillSync(new Uint8Array(32)), false);
  await createFilesystemOnStore(backend, keys, { blockSize: BLOCK });
  const cacheDir = mkdtempSync(join(tmpdir(), "coffer-upload-rate-"));
  try {
    const fs = await openCofferFs({
      backend, keys, cacheDir, cacheSizeBytes: 2 * MIB * 1048576, codecWorkers,
      uploadDelayMs: 3_600_000, metadataIntervalMs: 3_600_000, removalIntervalMs: 3_600_000, uploadConcurrency: CONC,
    });
    const f = await fs.create(ctx, 1, "big", 0o644, 2, 0o022);
    for (let i = 0; i < COUNT; i++) {
      const b = block(i, rep);
      for (let off = 0; off < b.length; off += 1048576) await fs.write(ctx, f.entry.nodeid, f.open.fh, i * BLOCK + off, b.subarray(off, off + 1048576), 0);
    }
    await fs.release(ctx, f.entry.nodeid, f.open.fh, 0);
    const t0 = performance.now();
    await fs.flushAll();
    const dt = (performance.now() - t0) / 1000;
    await fs.close();
    return dt;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const times: Record<string, number[]> = { sdk: [], pool: [], inline: [] };
try {
  for (let rep = 0; rep < REPS; rep++) {
    times.sdk.push(await sdkRun(rep));
    times.pool.push(await cofferRun(rep, availableParallelism()));
    times.inline.push(await cofferRun(rep, 0));
    console.error(`rep ${rep}: sdk ${times.sdk[rep].toFixed(1)} s, pool ${times.pool[rep].toFixed(1)} s, inline ${times.inline[rep].toFixed(1)} s`);
  }
} finally {
  await s3.stop();
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rate = (s: number) => (COUNT * BLOCK) / s / 1e6;
console.log(`upload rate: ${COUNT} x ${BLOCK / 1048576} MiB random blocks to s3rver, ${CONC} in flight, median of ${REPS}, ${availableParallelism()} cores`);
console.log("| client | settle s (median) | MB/s | vs raw SDK | runs (s) |");
console.log("|---|---|---|---|---|");
for (const [k, label] of [["sdk", "raw @aws-sdk/client-s3 puts"], ["pool", `Coffer, codec pool (${availableParallelism()} Workers)`], ["inline", "Coffer, codec inline (main thread)"]] as const) {
  const m = med(times[k]);
  console.log(`| ${label} | ${m.toFixed(2)} | ${rate(m).toFixed(0)} | ${(med(times.sdk) / m).toFixed(2)}x | ${times[k].map((t) => t.toFixed(1)).join(", ")} |`);
}
