// Mount time, phase by phase: `coffer mount` timed end to end and through its phase marks (COFFER_PHASE_TRACE).
//
//   bun bench/mount-time.ts [--runs 5] [--store local|s3c] [--entries 0] [--coffer CHECKOUT]   (root: it mounts)
//
// Each run: mkfs a new filesystem, mount it (fresh), unmount, mount again with the same cache (warm),
// unmount, mount with a new empty cache directory (empty cache), unmount. With --entries N the filesystem
// first gets N entries (1,000 per directory, inserted with SQL in its metadata database and shipped as a
// snapshot, as bench/fsck.ts builds its tree), and each run also stats 20,000 random files through the mount
// right after a drop_caches (the kernel's dentry and inode caches cold). Prints, per scenario, the median
// wall time and the median time of each phase mark (ms since `coffer mount` was spawned; the step is the
// time since the previous mark of the same process), the daemon's peak RSS (VmHWM) right after the mount,
// with `uptime` before and after. --coffer times the bin/coffer of another checkout (e.g. a worktree of main,
// for a before/after in one run; a checkout without phase marks gives wall times only).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MetaDb } from "../src/fs/meta/db.ts";
import { openStore, cacheDirFor } from "../src/fs/mount.ts";
import { unlockFilesystemKeys } from "../src/fs/store/key-object.ts";
import { openCofferFs } from "../src/fs/vfs/index.ts";
import { startS3rver, type S3rverHandle } from "../tests/support/s3rver.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const RUNS = Number(arg("runs", "5"));
const STORE = arg("store", "local");
const ENTRIES = Number(arg("entries", "0"));
const PER_DIR = 1000;
const STATS = 20_000;
if (STORE !== "local" && STORE !== "s3c") throw new Error("--store takes local or s3c");

const COFFER = resolve(arg("coffer", resolve(import.meta.dir, "..")), "bin/coffer");
const root = mkdtempSync(join(tmpdir(), "coffer-bench-mount-"));
const uptime = () => Bun.spawnSync(["uptime"]).stdout.toString().trim();
const now = () => performance.timeOrigin + performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

function coffer(args: string[], env: Record<string, string> = {}): { ms: number; stdout: string } {
  const t0 = now();
  const r = Bun.spawnSync([process.execPath, COFFER, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`coffer ${args.join(" ")}: ${r.stderr.toString().trim()}`);
  return { ms: now() - t0, stdout: r.stdout.toString() };
}

type Mark = { pid: number; phase: string; t: number };
type Sample = { wallMs: number; marks: Array<{ key: string; at: number; step: number }>; hwmMb: number };

/** The peak RSS of the daemon serving `mnt` (its pid from `coffer mount`'s output), MB. */
function daemonPeakRssMb(stdout: string): number {
  const pid = /daemon pid (\d+)/.exec(stdout)?.[1];
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** One timed mount: wall time, and each phase mark relative to the spawn. */
function timedMount(url: string, auth: string, mnt: string, cacheRoot: string): Sample {
  const trace = join(root, `trace-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const spawnedAt = now();
  const { ms: wallMs, stdout } = coffer(["mount", "--authfile", auth, "--cachedir", cacheRoot, "--log", join(root, "mount.log"), url, mnt], { COFFER_PHASE_TRACE: trace });
  const hwmMb = daemonPeakRssMb(stdout);
  if (!existsSync(trace)) return { wallMs, marks: [], hwmMb }; // a checkout without phase marks
  const marks = readFileSync(trace, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Mark).sort((a, b) => a.t - b.t);
  rmSync(trace);
  const cliPid = marks.find((m) => m.phase === "process start")!.pid;
  const last = new Map<number, number>();
  const out = marks.map((m) => {
    const role = m.pid === cliPid ? "cli" : "daemon";
    const prev = last.get(m.pid) ?? (m.phase === "process start" ? (role === "cli" ? spawnedAt : m.t) : m.t);
    last.set(m.pid, m.t);
    return { key: `${role}: ${m.phase}`, at: m.t - spawnedAt, step: m.t - prev };
  });
  return { wallMs, marks: out, hwmMb };
}

function report(title: string, samples: Sample[]): void {
  console.log(`\n${title}: median ${(median(samples.map((s) => s.wallMs)) / 1000).toFixed(3)} s of ${samples.length} (${samples.map((s) => (s.wallMs / 1000).toFixed(2)).join(", ")}); daemon peak RSS after the mount: median ${median(samples.map((s) => s.hwmMb)).toFixed(0)} MB`);
  if (!samples.some((s) => s.marks.length)) return;
  const keys: string[] = [];
  for (const s of samples) for (const m of s.marks) if (!keys.includes(m.key)) keys.push(m.key);
  const rows = keys.map((k) => {
    const ms = samples.flatMap((s) => s.marks.filter((m) => m.key === k));
    return { k, at: median(ms.map((m) => m.at)), step: median(ms.map((m) => m.step)) };
  });
  rows.sort((a, b) => a.at - b.at);
  console.log("| phase mark (process: what just ended) | at, ms | step, ms |\n|---|---|---|");
  for (const r of rows) console.log(`| ${r.k} | ${r.at.toFixed(0)} | ${r.step.toFixed(0)} |`);
}

/** Inserts `entries` entries (directories of PER_DIR empty files) with SQL, then ships them as a snapshot. */
async function buildEntries(url: string, auth: { backendLogin?: string; backendPassword?: string; backendOptions: Record<string, string | true> }, passphrase: string, cacheRoot: string): Promise<void> {
  const t0 = now();
  const backend = openStore(url, auth);
  const keys = await unlockFilesystemKeys(backend, passphrase);
  const cacheDir = cacheDirFor(cacheRoot, url);
  await (await openCofferFs({ backend, keys, cacheDir })).close(); // the local copy the SQL goes into
  const db = MetaDb.open(join(cacheDir, "metadata.db"));
  db.tx(() => {
    const ins = db.q("INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) VALUES (?, 0, 0, ?, 0, 0, 0, 0, 0, 0) RETURNING id");
    const ent = db.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)");
    let made = 0, dirs = 0;
    for (let d = 0; made < ENTRIES; d++, dirs++) {
      const dir = (ins.get(0o040755, 2) as { id: number }).id;
      ent.run(1, `dir-${d}`, dir);
      made++;
      for (let f = 0; f < PER_DIR && made < ENTRIES; f++, made++) ent.run(dir, `file-${f}`, (ins.get(0o100644, 1) as { id: number }).id);
    }
    db.q("UPDATE inodes SET nlink = 2 + ? WHERE id = 1").run(dirs);
  });
  db.close();
  // One change through the filesystem, so its close ships a snapshot holding the SQL's rows too.
  const fs = await openCofferFs({ backend, keys, cacheDir });
  fs.mkdir({ unique: 1n, nodeid: 1, uid: 0, gid: 0, pid: 1 }, 1, "built", 0o755, 0o022);
  await fs.close();
  await backend.close();
  console.log(`built ${ENTRIES} entries with SQL and shipped them in ${((now() - t0) / 1000).toFixed(1)} s`);
}

/** Stats of random files with the kernel's caches dropped first: files per second. */
function randomStats(mnt: string): number {
  Bun.spawnSync(["sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"]);
  const dirs = Math.max(1, Math.floor(ENTRIES / (PER_DIR + 1)));
  const t0 = performance.now();
  for (let i = 0; i < STATS; i++) {
    const d = Math.floor(Math.random() * dirs), f = Math.floor(Math.random() * PER_DIR);
    statSync(join(mnt, `dir-${d}`, `file-${f}`), { throwIfNoEntry: false });
  }
  return STATS / ((performance.now() - t0) / 1000);
}

let s3: S3rverHandle | null = null;
const mnt = join(root, "mnt");
mkdirSync(mnt);
const scenarios = new Map<string, Sample[]>();
const add = (name: string, s: Sample) => scenarios.set(name, [...(scenarios.get(name) ?? []), s]);
const statRates: number[] = [];
console.log(`mount-time: --store ${STORE} --runs ${RUNS} --entries ${ENTRIES}, ${COFFER}; load before: ${uptime()}`);
try {
  if (STORE === "s3c") s3 = await startS3rver();
  for (let run = 1; run <= RUNS; run++) {
    const passphrase = "bench passphrase";
    let url: string;
    let creds = "";
    if (s3) {
      await s3.createBucket(`mount-${run}`);
      url = s3.url(`mount-${run}`);
      creds = "backend-login: S3RVER\nbackend-password: S3RVER\nbackend-options: no-ssl\n";
    } else {
      mkdirSync(join(root, `store-${run}`));
      url = `local://${join(root, `store-${run}`)}`;
    }
    const auth = join(root, `authinfo-${run}`);
    writeFileSync(auth, `[b]\nstorage-url: ${url}\nfs-passphrase: ${passphrase}\n${creds}`, { mode: 0o600 });
    coffer(["mkfs", "--authfile", auth, url]);
    const cacheRoot = join(root, `cache-${run}`);
    if (ENTRIES > 0) {
      await buildEntries(url, { ...(s3 ? { backendLogin: "S3RVER", backendPassword: "S3RVER" } : {}), backendOptions: s3 ? { "no-ssl": true } : {} }, passphrase, cacheRoot);
    } else {
      add("fresh filesystem (first mount)", timedMount(url, auth, mnt, cacheRoot));
      coffer(["umount", mnt]);
    }
    add("warm cache (remount)", timedMount(url, auth, mnt, cacheRoot));
    if (ENTRIES > 0) statRates.push(randomStats(mnt));
    coffer(["umount", mnt]);
    add("empty cache (new --cachedir)", timedMount(url, auth, mnt, join(root, `empty-cache-${run}`)));
    if (ENTRIES > 0) statRates.push(randomStats(mnt));
    coffer(["umount", mnt]);
  }
} finally {
  if (Bun.spawnSync(["mountpoint", "-q", mnt]).exitCode === 0) Bun.spawnSync([process.execPath, COFFER, "umount", mnt]);
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
}
for (const [name, samples] of scenarios) report(name, samples);
if (statRates.length) {
  console.log(`\nrandom stat after drop_caches (${STATS} files of ${ENTRIES} entries): median ${median(statRates).toFixed(0)}/s (${statRates.map((r) => r.toFixed(0)).join(", ")})`);
}
console.log(`\nload after: ${uptime()}`);
