// Codec throughput per core: encode/decode beside SHA-256 alone and zstd level 1 alone, same run, same data.
//
//   bun bench/codec.ts [--mib 64] [--block 1] [--runs 7] [--level 1]
//
// Text is the concatenation of /usr/include headers, random data comes from the CSPRNG; both are cut into
// blocks (1 MiB default, the FUSE max_write) and every block is processed separately, as the uploader does.
import { createHash, randomFillSync } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { contentId, dataObjectName, decodeObject, encodeObject } from "../src/fs/store/codec.ts";

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

console.log(`codec bench: ${MIB} MiB per corpus, ${BLOCK / 1048576} MiB blocks, zstd level ${LEVEL}, median of ${RUNS} runs, MB/s per core`);
console.log(
  "| data | zstd-1 ratio | SHA-256 | zstd-1 | HMAC id | **encode** (id+zstd+AES+verify) | encode / zstd-1 | encode, no verify | encode --plain | encode, id known (no hash) | same, no verify | **decode** | decode + id check |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
