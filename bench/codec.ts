// Codec throughput per core: encode/decode beside SHA-256 alone and zstd level 1 alone, same run, same data.
//
//   bun bench/codec.ts [--mib 64] [--block 1] [--runs 7] [--level 1] [--pool-only]
//
// The pool table runs the uploader's work (content id, then encode) and decode through CodecPool with 1
// and then 2 Workers, all blocks submitted at once; blocks sit in shared memory as the cache hands them over.
// Text is the concatenation of /usr/include headers, random data comes from the CSPRNG; both are cut into
// blocks (1 MiB default, the FUSE max_write) and every block is processed separately, as the uploader does.
import { createHash, randomFillSync } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { contentId, dataObjectName, decodeObject, encodeObject } from "../src/fs/store/codec.ts";
import { CodecPool, toShared } from "../src/fs/blocks/codec-pool.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MIB = arg("mib", 64);
const BLOCK = arg("block", 1) * 1048576;
const RUNS = arg("runs", 7);
const LEVEL = arg("level", 1);

function textCorpus(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let n = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (n >= bytes) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".h") && statSync(p).size > 0) {
        const b = readFileSync(p);
        out.set(b.subarray(0, bytes - n), n);
        n += Math.min(b.length, bytes - n);
      }
    }
  };
  walk("/usr/include");
  if (n < bytes) throw new Error(`only ${n} bytes of headers in /usr/include`);
  return out;
}

function blocks(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += BLOCK) out.push(data.subarray(i, i + BLOCK));
  return out;
}

/**
 * Median MB/s (10^6 bytes) of each function over all blocks. The functions take turns run by run, so a
 * burst of load from other processes hits all of them alike instead of skewing one column.
 */
function measureAll<K extends string>(bl: Uint8Array[], fns: Record<K, (b: Uint8Array, i: number) => unknown>): Record<K, number> {
  const total = bl.reduce((s, b) => s + b.length, 0);
  const rates = {} as Record<K, number[]>;
  for (const k in fns) rates[k] = [];
  for (let r = -1; r < RUNS; r++) {
    for (const k in fns) {
      const fn = fns[k];
      // An untimed pass first: it absorbs the garbage-collection debt the previous column left behind
      // (1 MiB buffers), so each column is timed in its own steady state.
      for (let i = 0; i < bl.length; i++) fn(bl[i], i);
      const t0 = performance.now();
      for (let i = 0; i < bl.length; i++) fn(bl[i], i);
      const dt = (performance.now() - t0) / 1000;
      if (r >= 0) rates[k].push(total / dt / 1e6); // run -1 warms up the JIT
    }
  }
  const med = {} as Record<K, number>;
  for (const k in rates) {
    const v = rates[k].sort((a, b) => a - b);
    med[k] = v[Math.floor(v.length / 2)];
  }
  return med;
}

const keys = deriveFsKeys(randomFillSync(new Uint8Array(32)), false);
const plainKeys = deriveFsKeys(randomFillSync(new Uint8Array(32)), true);

const corpora = {
  text: blocks(textCorpus(MIB * 1048576)),
  random: blocks(randomFillSync(new Uint8Array(MIB * 1048576))),
};

const rows: string[] = [];
if (!process.argv.includes("--pool-only")) {
  for (const [label, bl] of Object.entries(corpora)) {
    const z1 = bl.map((b) => Bun.zstdCompressSync(b, { level: 1 }));
    const ratio = z1.reduce((s, z) => s + z.length, 0) / bl.reduce((s, b) => s + b.length, 0);
    const ids = bl.map((b) => contentId(keys, b));
    const encoded = bl.map((b, i) => encodeObject(keys, "data", dataObjectName(ids[i]), b, { level: LEVEL }));
    const r = measureAll(bl, {
      sha256: (b) => createHash("sha256").update(b).digest(),
      zstd1: (b) => Bun.zstdCompressSync(b, { level: 1 }),
      hmac: (b) => contentId(keys, b),
      encode: (b) => encodeObject(keys, "data", dataObjectName(contentId(keys, b)), b, { level: LEVEL }),
      encodeNoVerify: (b) =>
        encodeObject(keys, "data", dataObjectName(contentId(keys, b)), b, { level: LEVEL, verify: false }),
      encodePlain: (b) => encodeObject(plainKeys, "data", dataObjectName(contentId(plainKeys, b)), b, { level: LEVEL }),
      encodeOnly: (b, i) => encodeObject(keys, "data", dataObjectName(ids[i]), b, { level: LEVEL }),
      encodeOnlyNoVerify: (b, i) => encodeObject(keys, "data", dataObjectName(ids[i]), b, { level: LEVEL, verify: false }),
      decode: (_b, i) => decodeObject(keys, "data", dataObjectName(ids[i]), encoded[i]),
      decodeIdCheck: (_b, i) => decodeObject(keys, "data", dataObjectName(ids[i]), encoded[i], { verifyContentId: true }),
    });
    const f = (x: number) => x.toFixed(0).padStart(6);
    rows.push(
      `| ${label.padEnd(6)} | ${ratio.toFixed(3)} | ${f(r.sha256)} | ${f(r.zstd1)} | ${f(r.hmac)} | ${f(r.encode)} | ${(r.encode / r.zstd1).toFixed(2)}x | ${f(r.encodeNoVerify)} | ${f(r.encodePlain)} | ${f(r.encodeOnly)} | ${f(r.encodeOnlyNoVerify)} | ${f(r.decode)} | ${f(r.decodeIdCheck)} |`,
    );
  }
}

/** Median MB/s of the uploader's work (id, then encode) and of decode, per pool size, sizes taking turns run by run. */
async function measurePools(bl: Uint8Array[], sizes: number[]): Promise<Record<number, { encode: number; decode: number }>> {
  const shared = bl.map(toShared);
  const total = bl.reduce((s, b) => s + b.length, 0);
  const pools = sizes.map((w) => new CodecPool({ keys, level: LEVEL, workers: w, inlineBelow: 0 }));
  const rates = sizes.map(() => ({ encode: [] as number[], decode: [] as number[] }));
  try {
    const sealedBy = await Promise.all(pools.map((p) => Promise.all(shared.map((b, i) => p.encode("data", `data/b${i}`, b)))));
    for (let r = -1; r < RUNS; r++) {
      for (let k = 0; k < pools.length; k++) {
        const p = pools[k];
        let t0 = performance.now();
        await Promise.all(shared.map(async (b) => p.encode("data", dataObjectName(await p.contentId(b)), b)));
        const enc = total / ((performance.now() - t0) / 1000) / 1e6;
        t0 = performance.now();
        await Promise.all(sealedBy[k].map((s, i) => p.decode("data", `data/b${i}`, s)));
        const dec = total / ((performance.now() - t0) / 1000) / 1e6;
        if (r >= 0) {
          rates[k].encode.push(enc);
          rates[k].decode.push(dec);
        }
      }
    }
  } finally {
    for (const p of pools) p.close();
  }
  const med = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return Object.fromEntries(sizes.map((w, k) => [w, { encode: med(rates[k].encode), decode: med(rates[k].decode) }]));
}

const poolRows: string[] = [];
for (const [label, bl] of Object.entries(corpora)) {
  const r = await measurePools(bl, [1, 2]);
  const f = (x: number) => x.toFixed(0).padStart(6);
  poolRows.push(
    `| ${label.padEnd(6)} | ${f(r[1].encode)} | ${f(r[2].encode)} | ${(r[2].encode / r[1].encode).toFixed(2)}x | ${f(r[1].decode)} | ${f(r[2].decode)} | ${(r[2].decode / r[1].decode).toFixed(2)}x |`,
  );
}

if (rows.length) {
  console.log(`codec bench: ${MIB} MiB per corpus, ${BLOCK / 1048576} MiB blocks, zstd level ${LEVEL}, median of ${RUNS} runs, MB/s per core`);
  console.log(
    "| data | zstd-1 ratio | SHA-256 | zstd-1 | HMAC id | **encode** (id+zstd+AES+verify) | encode / zstd-1 | encode, no verify | encode --plain | encode, id known (no hash) | same, no verify | **decode** | decode + id check |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}
console.log(`\ncodec pool (CodecPool, all blocks in flight, ${availableParallelism()} cores visible), MB/s`);
console.log("| data | **encode** (id+encode) 1 Worker | 2 Workers | 2 / 1 | **decode** 1 Worker | 2 Workers | 2 / 1 |");
console.log("|---|---|---|---|---|---|---|");
for (const r of poolRows) console.log(r);
