// Randomised file operations checked against an in-memory model after every step, as a suite over a directory.
//
// A seeded PRNG picks writes, reads, truncates, renames, links and unlinks over a handful of names (some
// kept open across steps, even after unlink); after each step the touched file is read back and compared,
// and every few steps the whole directory (names, sizes, link counts, shared inodes, contents). A failure
// names the seed and the last operations; RANDOM_OPS_SEED=N replays one seed.

import { describe, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import { ModelFile, mulberry32, type Rng } from "./random-ops/model.ts";

export interface RandomOpsOptions {
  /** Operations per seed (default 400). */
  ops?: number;
  /** Distinct names used (default 5). */
  names?: number;
  /** Seeds to run; default a few fixed ones plus one fresh, or just $RANDOM_OPS_SEED. */
  seeds?: number[];
}

const CHUNK = 64 * 1024;
const MAX_SIZE = 2 * 1024 * 1024;
const FULL_CHECK_EVERY = 20;

export function defaultSeeds(): number[] {
  const env = process.env.RANDOM_OPS_SEED;
  if (env) return [Number(env) >>> 0];
  return [1, 2, 3, (Date.now() ^ (process.pid << 16)) >>> 0];
}

/** Registers one test per seed under describe(`random ops: ${name}`). */
export function randomOpsSuite(name: string, getDir: () => string, opts: RandomOpsOptions = {}): void {
  describe(`random ops: ${name}`, () => {
    for (const seed of opts.seeds ?? defaultSeeds()) {
      test(`seed ${seed}`, () => {
        const dir = join(getDir(), `random-ops-${seed}`);
        fs.mkdirSync(dir);
        runRandomOps(dir, seed, opts);
        fs.rmSync(dir, { recursive: true });
      }, 120_000);
    }
  });
}

interface OpenFd {
  fd: number;
  file: ModelFile;
}

/** Runs the sequence for `seed` in the empty directory `dir`; throws with the seed and recent history on a mismatch. */
export function runRandomOps(dir: string, seed: number, opts: RandomOpsOptions = {}): void {
  const rng = mulberry32(seed);
  const nops = opts.ops ?? 400;
  const names = Array.from({ length: opts.names ?? 5 }, (_, i) => `f${i}`);
  const model = new Map<string, ModelFile>();
  const open: OpenFd[] = [];
  const history: string[] = [];
  const path = (n: string) => join(dir, n);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const existing = () => [...model.keys()];

  const step = (): { desc: string; check: ModelFile[] } => {
    const r = rng();
    const name = pick(names);
    const file = model.get(name);
    if (r < 0.3 || !file) {
      const offset = randomOffset(rng, file?.size ?? 0);
      const data = randomData(rng, 1 + Math.floor(rng() * (rng() < 0.8 ? 8192 : 200_000)));
      const target = file ?? new ModelFile();
      const fd = fs.openSync(path(name), file ? "r+" : "w");
      try {
        writeAll(fd, data, offset);
      } finally {
        fs.closeSync(fd);
      }
      target.write(offset, data);
      model.set(name, target);
      return { desc: `write ${name} @${offset} +${data.length}`, check: [target] };
    }
    if (r < 0.45) {
      const offset = Math.floor(rng() * (file.size + 1000));
      const length = 1 + Math.floor(rng() * 100_000);
      const fd = fs.openSync(path(name), "r");
      try {
        const buf = Buffer.alloc(length);
        const n = fs.readSync(fd, buf, 0, length, offset);
        compare(buf.subarray(0, n), file.read(offset, length), `read ${name} @${offset} +${length}`);
      } finally {
        fs.closeSync(fd);
      }
      return { desc: `read ${name} @${offset} +${length}`, check: [] };
    }
    if (r < 0.55) {
      const size = rng() < 0.5 ? Math.floor(rng() * (file.size + 1)) : randomOffset(rng, file.size);
      fs.truncateSync(path(name), size);
      file.truncate(size);
      return { desc: `truncate ${name} ${size}`, check: [file] };
    }
    if (r < 0.65) {
      const to = pick(names);
      fs.renameSync(path(name), path(to));
      // Renaming onto another link of the same inode changes nothing (POSIX).
      if (model.get(to) !== file) {
        model.delete(name);
        model.set(to, file);
      }
      return { desc: `rename ${name} -> ${to}`, check: [file] };
    }
    if (r < 0.72) {
      const to = pick(names.filter((n) => !model.has(n)));
      if (!to) return { desc: "link skipped (all names used)", check: [] };
      fs.linkSync(path(name), path(to));
      model.set(to, file);
      return { desc: `link ${name} -> ${to}`, check: [file] };
    }
    if (r < 0.8) {
      fs.unlinkSync(path(name));
      model.delete(name);
      return { desc: `unlink ${name}`, check: [] };
    }
    if (r < 0.86 && open.length < 3) {
      open.push({ fd: fs.openSync(path(name), "r+"), file });
      return { desc: `keep ${name} open (fd ${open.at(-1)!.fd})`, check: [] };
    }
    if (r < 0.95 && open.length > 0) {
      // Through a descriptor kept open, possibly of a file unlinked since.
      const o = pick(open);
      const offset = randomOffset(rng, o.file.size);
      const data = randomData(rng, 1 + Math.floor(rng() * 20_000));
      writeAll(o.fd, data, offset);
      o.file.write(offset, data);
      const back = Buffer.alloc(o.file.size);
      const n = fs.readSync(o.fd, back, 0, back.length, 0);
      compare(back.subarray(0, n), o.file.read(0, o.file.size), `read back through fd ${o.fd}`);
      return { desc: `write fd ${o.fd} @${offset} +${data.length}`, check: [o.file] };
    }
    if (open.length > 0) {
      const o = open.splice(Math.floor(rng() * open.length), 1)[0]!;
      if (rng() < 0.5) fs.fsyncSync(o.fd);
      fs.closeSync(o.fd);
      return { desc: `close fd ${o.fd}`, check: [] };
    }
    return { desc: "noop", check: [] };
  };

  const checkFile = (file: ModelFile) => {
    const name = existing().find((n) => model.get(n) === file);
    if (!name) return; // reachable only through an open descriptor: checked when written through it
    const actual = fs.readFileSync(path(name));
    compare(actual, file.read(0, file.size), `content of ${name}`);
  };

  const checkAll = () => {
    const listed = fs.readdirSync(dir).sort();
    const expected = existing().sort();
    if (listed.join(",") !== expected.join(",")) throw new Error(`listing [${listed}] != model [${expected}]`);
    const inoOf = new Map<ModelFile, bigint>();
    for (const n of expected) {
      const file = model.get(n)!;
      const st = fs.statSync(path(n), { bigint: true });
      const links = expected.filter((m) => model.get(m) === file).length;
      if (Number(st.size) !== file.size) throw new Error(`size of ${n}: ${st.size} != ${file.size}`);
      if (Number(st.nlink) !== links) throw new Error(`nlink of ${n}: ${st.nlink} != ${links}`);
      const ino = inoOf.get(file);
      if (ino !== undefined && ino !== st.ino) throw new Error(`${n} should share inode ${ino}, has ${st.ino}`);
      inoOf.set(file, st.ino);
      checkFile(file);
    }
  };

  try {
    for (let i = 0; i < nops; i++) {
      const { desc, check } = step();
      history.push(`${i}: ${desc}`);
      try {
        for (const f of check) checkFile(f);
        if (i % FULL_CHECK_EVERY === FULL_CHECK_EVERY - 1) checkAll();
      } catch (e) {
        throw new Error(`after step ${desc}: ${(e as Error).message}`);
      }
    }
    checkAll();
  } catch (e) {
    throw new Error(
      `random ops failed (seed ${seed}; replay with RANDOM_OPS_SEED=${seed}) in ${dir}: ${(e as Error).message}\n` +
        `last operations:\n  ${history.slice(-15).join("\n  ")}`,
    );
  } finally {
    for (const o of open) fs.closeSync(o.fd);
  }
}

/** Offsets cluster around chunk boundaries and the end of file, where block-based filesystems go wrong. */
function randomOffset(rng: Rng, size: number): number {
  const r = rng();
  let at: number;
  if (r < 0.3) at = Math.floor(rng() * (size + 1));
  else if (r < 0.6) at = Math.max(0, Math.floor(rng() * 32) * CHUNK + Math.floor(rng() * 17) - 8);
  else if (r < 0.85) at = Math.max(0, size + Math.floor(rng() * 200) - 100);
  else at = Math.floor(rng() * MAX_SIZE);
  return Math.min(at, MAX_SIZE);
}

function randomData(rng: Rng, length: number): Uint8Array {
  const data = new Uint8Array(length);
  // Random fill in 32-bit steps is plenty (and the tail is taken byte by byte).
  const words = new Uint32Array(data.buffer, 0, length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = (rng() * 2 ** 32) >>> 0;
  for (let i = words.length * 4; i < length; i++) data[i] = (rng() * 256) | 0;
  return data;
}

function writeAll(fd: number, data: Uint8Array, offset: number): void {
  for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
}

function compare(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} bytes, expected ${expected.length}`);
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  if (a.equals(expected)) return;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  throw new Error(`${what}: first difference at byte ${i} (got ${actual[i]}, expected ${expected[i]})`);
}
