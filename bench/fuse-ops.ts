// Benchmark of the FUSE layer (run by hand): nullfs / memfs against bindfs-over-tmpfs and fuse-native, same run.
//
// Usage: bun bench/fuse-ops.ts [--runs 15] [--secs 1] [--mb 256] [--write-results]
// Every figure is the median of --runs runs, the servers measured interleaved in a random order so load drifts hit all alike.
// Clients are separate python3 processes (a mount is never touched from the thread serving it).
// fuse-native is installed into a temp dir with npm and run under Node (it is not a project dependency).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { isMountpoint, unmountPath } from "../src/fs/fuse/index.ts";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt("--runs", 15);
const SECS = opt("--secs", 1);
const MB = opt("--mb", 256);
const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const FN_DIR = "/tmp/coffer-bench-fuse-native";

const CLIENT = String.raw`
import os, sys, time, ctypes
mode, path = sys.argv[1], sys.argv[2]
arg = float(sys.argv[3])
def rate(fn, secs):
    n = 0; t0 = time.perf_counter(); end = t0 + secs
    while True:
        n += fn(n)
        if time.perf_counter() > end: break
    return n / (time.perf_counter() - t0)
if mode == "neg":
    def f(n):
        for i in range(500):
            try: os.stat("%s/missing-%d-%d" % (path, n, i))
            except FileNotFoundError: pass
        return 500
    print(rate(f, arg))
elif mode == "getattr":
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    buf = ctypes.create_string_buffer(256)
    p = path.encode()
    AT_FDCWD, AT_STATX_FORCE_SYNC, STATX_BASIC = -100, 0x2000, 0x7ff
    def f(n):
        for i in range(500):
            if libc.statx(AT_FDCWD, p, AT_STATX_FORCE_SYNC, STATX_BASIC, buf) != 0: raise OSError(ctypes.get_errno(), "statx")
        return 500
    print(rate(f, arg))
elif mode == "create":
    d = "%s/c%d" % (path, os.getpid()); os.mkdir(d)
    def f(n):
        for i in range(100):
            os.close(os.open("%s/f%d" % (d, n + i), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        return 100
    r = rate(f, arg)
    for name in os.listdir(d): os.unlink(d + "/" + name)
    os.rmdir(d)
    print(r)
elif mode == "write":
    chunk = os.urandom(1 << 20); total = int(arg)
    t0 = time.perf_counter()
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
    for i in range(total): os.write(fd, chunk)
    os.close(fd)
    print(total * 1.048576 / (time.perf_counter() - t0))
elif mode == "read":
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    t0 = time.perf_counter(); n = 0
    while True:
        b = os.read(fd, 1 << 20)
        if not b: break
        n += len(b)
    os.close(fd)
    print(n / 1e6 / (time.perf_counter() - t0))
`;

const FUSE_NATIVE_SERVER = String.raw`
const Fuse = require('fuse-native');
const mnt = process.argv[2];
const now = new Date();
const root = { mtime: now, atime: now, ctime: now, nlink: 2, size: 0, mode: 0o40555, uid: 0, gid: 0 };
const fuse = new Fuse(mnt, {
  readdir: (p, cb) => p === '/' ? cb(0, []) : cb(Fuse.ENOENT),
  getattr: (p, cb) => p === '/' ? cb(0, root) : cb(Fuse.ENOENT),
}, { force: true, mkdir: false });
fuse.mount((err) => { if (err) { console.error(String(err)); process.exit(1); } console.log('ready ' + mnt); });
const stop = () => fuse.unmount(() => process.exit(0));
process.on('SIGINT', stop); process.on('SIGTERM', stop);
`;

function client(mode: string, path: string, arg: number): number {
  const r = spawnSync("python3", ["-c", CLIENT, mode, path, String(arg)], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`client ${mode} ${path}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

interface Server {
  name: string;
  mp: string;
  stop(): Promise<void>;
}

/** Start a server that prints "ready" on stdout (in its own process), wait for it. */
async function startProcess(name: string, cmd: string[], mp: string, cwd?: string): Promise<Server> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit", cwd });
  const reader = proc.stdout.getReader();
  let out = "";
  const deadline = Date.now() + 20_000;
  while (!out.includes("ready")) {
    const r = await Promise.race([reader.read(), Bun.sleep(Math.max(1, deadline - Date.now())).then(() => null)]);
    if (!r || r.done) {
      proc.kill("SIGKILL");
      throw new Error(`${name} did not start: ${out}`);
    }
    out += new TextDecoder().decode(r.value);
  }
  return {
    name, mp,
    async stop() {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, Bun.sleep(5000)]);
      if (isMountpoint(mp)) unmountPath(mp, { lazy: true });
    },
  };
}

async function startBindfs(base: string): Promise<Server> {
  const src = `${base}/bindfs-src`, mp = `${base}/bindfs`;
  mkdirSync(src);
  mkdirSync(mp);
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=2g", "tmpfs", src]).status !== 0) throw new Error("mount tmpfs failed");
  const r = spawnSync("bindfs", [src, mp], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bindfs: ${r.stderr}`);
  return {
    name: "bindfs", mp,
    async stop() {
      unmountPath(mp, { lazy: true });
      spawnSync("umount", ["-l", src]);
    },
  };
}

function ensureFuseNative(): boolean {
  if (!existsSync(`${FN_DIR}/node_modules/fuse-native`)) {
    mkdirSync(FN_DIR, { recursive: true });
    const r = spawnSync("npm", ["install", "--silent", "--prefix", FN_DIR, "fuse-native@2.2.6"], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) {
      console.error(`cannot install fuse-native: ${r.stderr}`);
      return false;
    }
  }
  writeFileSync(`${FN_DIR}/empty.js`, FUSE_NATIVE_SERVER);
  return true;
}

type Row = Record<string, number[]>;

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function main() {
  const base = mkdtempSync("/tmp/coffer-bench-");
  const results: Record<string, Row> = {};
  const add = (server: string, metric: string, v: number) => (((results[server] ??= {})[metric] ??= []).push(v));
  const loadBefore = load();
  const servers: Server[] = [];
  try {
    for (const n of ["nullfs", "nullfs-main", "memfs", "fuse-native"]) mkdirSync(`${base}/${n}`);
    servers.push(await startProcess("nullfs", ["bun", `${REPO}/examples/nullfs.ts`, `${base}/nullfs`], `${base}/nullfs`));
    servers.push(await startProcess("nullfs (main thread only)", ["bun", `${REPO}/examples/nullfs.ts`, `${base}/nullfs-main`, "--main-only"], `${base}/nullfs-main`));
    const memfsPath = `${REPO}/examples/memfs.ts`;
    const haveMemfs = existsSync(memfsPath);
    if (haveMemfs) servers.push(await startProcess("memfs", ["bun", memfsPath, `${base}/memfs`], `${base}/memfs`));
    servers.push(await startBindfs(base));
    if (ensureFuseNative()) servers.push(await startProcess("fuse-native (Node)", ["node", `${FN_DIR}/empty.js`, `${base}/fuse-native`], `${base}/fuse-native`, FN_DIR));
    const writable = servers.filter((s) => s.name === "memfs" || s.name === "bindfs");
    for (let run = 0; run < RUNS; run++) {
      // a fresh server order for every metric of every run, so no server always follows the same neighbour
      for (const s of shuffled(servers)) add(s.name, "neg", client("neg", s.mp, SECS));
      for (const s of shuffled(servers)) add(s.name, "getattr", client("getattr", s.mp, SECS));
      for (const s of shuffled(writable)) add(s.name, "create", client("create", s.mp, SECS));
      for (const s of shuffled(writable)) {
        add(s.name, "write", client("write", `${s.mp}/seq.bin`, MB));
        add(s.name, "read", client("read", `${s.mp}/seq.bin`, 0));
        rmSync(`${s.mp}/seq.bin`);
      }
      console.error(`run ${run + 1}/${RUNS} done (load ${load()})`);
    }
  } finally {
    for (const s of servers.reverse()) await s.stop().catch((e) => console.error(`${s.name}: ${e.message}`));
    const stillMounted = servers.some((s) => isMountpoint(s.mp)) || isMountpoint(`${base}/bindfs-src`);
    if (stillMounted) console.error(`leaving ${base} in place: something is still mounted under it`);
    else rmSync(base, { recursive: true, force: true });
  }
  const loadAfter = load();
  const fmt = (v: number, unit: string) => (Number.isNaN(v) ? "–" : unit === "MB/s" ? `${v.toFixed(0)}` : `${(v / 1000).toFixed(1)}k`);
  const metrics: [string, string, string][] = [
    ["neg", "negative lookups/s", "/s"], ["getattr", "getattr/s (statx FORCE_SYNC on the root)", "/s"], ["create", "creates/s", "/s"],
    ["write", "1 MiB seq write MB/s", "MB/s"], ["read", "1 MiB seq read MB/s (cold page cache)", "MB/s"],
  ];
  const order = ["nullfs", "nullfs (main thread only)", "memfs", "bindfs", "fuse-native (Node)"];
  const names = order.filter((n) => results[n]);
  let table = `| metric | ${names.join(" | ")} |\n|---|${names.map(() => "---").join("|")}|\n`;
  for (const [m, label, unit] of metrics) table += `| ${label} | ${names.map((n) => fmt(median(results[n]![m] ?? []), unit)).join(" | ")} |\n`;
  const fn = median(results["fuse-native (Node)"]?.neg ?? []);
  const ratios = [
    `nullfs / fuse-native negative lookups: ${(median(results.nullfs!.neg!) / fn).toFixed(2)}x (target >= 1.5x)`,
    results.memfs ? `memfs / fuse-native negative lookups: ${(median(results.memfs.neg!) / fn).toFixed(2)}x (target >= 1.0x)` : "memfs: not found",
    results.memfs ? `memfs / bindfs seq write: ${(median(results.memfs.write!) / median(results.bindfs!.write!)).toFixed(2)}x, seq read: ${(median(results.memfs.read!) / median(results.bindfs!.read!)).toFixed(2)}x (target >= 1x)` : "",
  ].filter(Boolean);
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const section =
    `## FUSE layer (issue 2)\n\n` +
    `${date}, \`bun bench/fuse-ops.ts --runs ${RUNS} --secs ${SECS} --mb ${MB}\`, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ` +
    `Bun ${Bun.version}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}; load average before ${loadBefore}, after ${loadAfter}.\n` +
    `Medians of ${RUNS} runs, servers interleaved in random order; one python3 client process; nullfs answers in its reader Workers (default count: CPUs + 1, each on its own cloned fd), ` +
    `"main thread only" hands every request to the main thread; memfs answers LOOKUPs of missing names in its reader Workers from a shared counting filter of names and serves everything else on the main thread; bindfs serves a tmpfs directory; ` +
    `fuse-native 2.2.6 (libfuse 2) serves an empty directory under Node ${spawnSync("node", ["--version"], { encoding: "utf8" }).stdout.trim()}.\n\n` +
    table + "\n" + ratios.map((r) => `- ${r}`).join("\n") + "\n";
  console.log(section);
  if (args.includes("--write-results")) writeSection(section);
}

const NOTES = `
Reading these figures: this 2-CPU VM is shared with other engineers' test runs, and the same server measured
minutes apart moves by 2-3x (bindfs alone: 23k-57k lookups/s across the runs below; a python stat loop on
tmpfs stays ~275k/s, so the loss is in thread wake-ups, i.e. CPU contention and steal). The ratios measured in
one run are the meaningful figures; under contention all servers converge, because every request is a chain
of 2-4 thread wake-ups whichever server answers it. Layer ceilings measured by hand on a quiet moment: a
main-thread filesystem returning a constant buffer read 2.0-2.5 GB/s cold with the kernel's 128 KiB readahead
and up to 4.3 GB/s at 1 MiB (hence FuseMountOptions.readAheadKb, default 1 MiB as root); memfs vs fuse-native,
alternated 6 times with 2 s stat loops at load ~2: 38-41k vs 32-35k lookups/s (about 1.15x).
The figures are bimodal (runs of the same server sit near either ~20k or ~60k lookups/s for a while, likely the
VM's halt-polling and CPU placement): several readers each on a cloned fd win in the slow mode (1 reader: 20k,
3: 30k/s, fuse-native 17k), which is why nullfs now defaults to CPUs + 1 readers. The main-thread path does not
gain from more readers, and in the slow mode (idle machine) it trails: a 9-run A/B at load ~2 gave nullfs 28.6k,
memfs 16.6k, fuse-native 18.9k/s (0.88x), while runs under load (the tables since 22:56Z) give memfs 1.2-1.3x.
Since 2026-11-26T23:00Z memfs answers a READ with a view of its 1 MiB extent instead of a fresh zero-filled
1 MiB buffer (cold reads ~2x).
`;

/**
 * Replace (or append) only the "## FUSE layer (issue 2)" section of bench/RESULTS.md, keeping the ratio
 * lines of earlier runs under "### Earlier runs" (this machine's load swings figures by 2x between runs).
 */
function writeSection(section: string): void {
  const file = `${REPO}/bench/RESULTS.md`;
  let text = existsSync(file) ? readFileSync(file, "utf8") : "# Coffer benchmark results\n";
  const start = text.indexOf("## FUSE layer (issue 2)");
  const next = start < 0 ? -1 : text.indexOf("\n## ", start + 1);
  const old = start < 0 ? "" : text.slice(start, next < 0 ? undefined : next + 1);
  const hist = old.includes("### Earlier runs") ? old.slice(old.indexOf("### Earlier runs")).split("\n").filter((l) => l.startsWith("- ")) : [];
  const prev = /^(\d{4}-\d\d-\d\dT[\d:]+Z), `bun bench\/fuse-ops.ts ([^`]*)`.*load average before ([\d. ]+?),/m.exec(old);
  const current = old.includes("### Earlier runs") ? old.slice(0, old.indexOf("### Earlier runs")) : old;
  const prevRatios = current.split("\n").filter((l) => l.startsWith("- ") && l.includes(" / ")).map((l) => l.slice(2).replace(/ \(target[^)]*\)/, "")).join("; ");
  if (prev && prevRatios) hist.unshift(`- ${prev[1]} \`${prev[2]}\` (load ${prev[3]}): ${prevRatios}`);
  const body = section + NOTES + `\n### Earlier runs (ratios only, newest first)\n\n${hist.slice(0, 12).join("\n")}\n`;
  if (start < 0) text = text.replace(/\n*$/, "\n\n") + body;
  else text = text.slice(0, start) + body + (next < 0 ? "" : "\n" + text.slice(next + 1));
  writeFileSync(file, text);
}

await main();
