// Store throughput to s3rver: our backend stack (limit + retry + S3Backend) beside raw @aws-sdk/client-s3 calls.
//
//   bun bench/store.ts [--reps 3] [--mib-per-cell 40]
//
// Three clients take turns on the same server in the same run: "coffer" is openBackend() exactly as the
// filesystem uses it; "sdk" is a bare S3Client configured like ours (keep-alive agent with enough sockets,
// SDK's standard retry, checksums only where required) so the difference is our layers alone; "sdk-default" is
// a bare S3Client with the SDK's defaults, for reference. Objects are random bytes (the codec is not
// involved). s3rver (one Node process) is the bottleneck, which is why figures are relative.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomFillSync } from "node:crypto";
import { Agent } from "node:http";
import { openBackend } from "../src/fs/store/open.ts";
import { startS3rver } from "../tests/support/s3rver.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const REPS = arg("reps", 3);
const MIB_PER_CELL = arg("mib-per-cell", 40);
const SIZES = [1, 4, 10];
const CONCS = [1, 4, 16];

interface Client {
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

function sdkClient(endpoint: string, bucket: string, prefix: string, likeOurs: boolean): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    ...(likeOurs
      ? {
          // The SDK's own standard retry (s3rver drops a connection now and then under load).
          maxAttempts: 3,
          requestChecksumCalculation: "WHEN_REQUIRED" as const,
          responseChecksumValidation: "WHEN_REQUIRED" as const,
          requestHandler: { httpAgent: agent },
        }
      : {}),
  });
  return {
    put: async (key, data) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: data, ContentLength: data.length }));
    },
    get: async (key) => {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
      return (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    },
    close: async () => {
      client.destroy();
      agent.destroy();
    },
  };
}

/** Runs `count` operations with `conc` workers; returns MB/s (10^6 bytes). */
async function run(conc: number, count: number, bytes: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return (count * bytes) / ((performance.now() - t0) / 1000) / 1e6;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ratios: { put: number[]; get: number[] } = { put: [], get: [] };

const s3 = await startS3rver();
try {
  await s3.createBucket("bench");
  const clients: Record<string, Client> = {
    coffer: openBackend(s3.url("bench", "coffer/"), s3.creds, { maxConcurrent: 16 }),
    sdk: sdkClient(s3.endpoint, "bench", "sdk/", true),
    "sdk-default": sdkClient(s3.endpoint, "bench", "sdkdef/", false),
  };
  const names = Object.keys(clients);
  console.log(`store bench against s3rver ${s3.endpoint}: median of ${REPS} reps, ~${MIB_PER_CELL} MiB per cell, MB/s`);
  console.log("| object | conc | put coffer | put sdk | put sdk-default | put overhead | get coffer | get sdk | get sdk-default | get overhead |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const size of SIZES) {
    const bytes = size * 1048576;
    const data = randomFillSync(new Uint8Array(bytes));
    for (const conc of CONCS) {
      const count = Math.max(conc * 2, Math.ceil(MIB_PER_CELL / size));
      const put: Record<string, number[]> = {};
      const get: Record<string, number[]> = {};
      for (const n of names) (put[n] = []), (get[n] = []);
      for (let rep = 0; rep < REPS; rep++) {
        // Clients take turns within each rep so load changes hit all of them.
        for (const n of names) {
          const c = clients[n];
          put[n].push(await run(conc, count, bytes, (i) => c.put(`o${size}/${i}`, data)));
          get[n].push(
            await run(conc, count, bytes, async (i) => {
              const got = await c.get(`o${size}/${i}`);
              if (got.length !== bytes) throw new Error(`short get: ${got.length}`);
            }),
          );
        }
      }
      const p = Object.fromEntries(names.map((n) => [n, median(put[n])]));
      const g = Object.fromEntries(names.map((n) => [n, median(get[n])]));
      ratios.put.push(p.coffer / p.sdk);
      ratios.get.push(g.coffer / g.sdk);
      const ovh = (ours: number, ref: number) => `${(((ref - ours) / ref) * 100).toFixed(1)}%`;
      const f = (x: number) => x.toFixed(0);
      console.log(
        `| ${size} MiB | ${conc} | ${f(p.coffer)} | ${f(p.sdk)} | ${f(p["sdk-default"])} | ${ovh(p.coffer, p.sdk)} | ${f(g.coffer)} | ${f(g.sdk)} | ${f(g["sdk-default"])} | ${ovh(g.coffer, g.sdk)} |`,
      );
    }
  }
  // One robust summary: the geometric mean of coffer/sdk over all cells (noise in single cells is large).
  const gm = (v: number[]) => Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
  console.log(
    `overall (geometric mean over cells): put overhead ${((1 - gm(ratios.put)) * 100).toFixed(1)}%, get overhead ${((1 - gm(ratios.get)) * 100).toFixed(1)}% (negative: ours faster)`,
  );
  for (const c of Object.values(clients)) await c.close();
} finally {
  await s3.stop();
}
