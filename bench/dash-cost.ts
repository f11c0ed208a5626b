// What watching costs the daemon: its CPU time idle with nobody watching vs with a real `coffer dash` attached (in tmux).
//
//   bun bench/dash-cost.ts [--secs 20] [--rounds 3] [--files 2000] [--baseline DIR]
//
// Mounts a fresh local:// filesystem, creates --files small files (so each snapshot's SQL counts have rows
// to count), then alternates phases of --secs seconds: unwatched, watched by `coffer dash` (default 500 ms
// updates), watched at --interval 100 (the fastest the dashboard allows). CPU time is the daemon's
// utime+stime from /proc/PID/stat; the dashboard's own CPU is reported too. --baseline DIR (a checkout of
// Coffer without the control API, e.g. `git archive main | tar -x -C DIR` plus node_modules) mounts a second
// filesystem with that daemon, set up the same way, and measures it unwatched in the same rounds.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: {
  secs: { type: "string", default: "20" }, rounds: { type: "string", default: "3" }, files: { type: "string", default: "2000" }, baseline: { type: "string" },
} });
const SECS = Number(values.secs);
const ROUNDS = Number(values.rounds);
const FILES = Number(values.files);
const COFFER = resolve(import.meta.dir, "../bin/coffer");
const BASELINE = values.baseline ? resolve(values.baseline, "bin/coffer") : null;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14, 15)
}

function run(args: string[], coffer = COFFER): string {
  const r = Bun.spawnSync([process.execPath, coffer, ...args], { env: { ...process.env, CI: "true" } });
  if (r.exitCode !== 0) throw new Error(`coffer ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const root = mkdtempSync(join(tmpdir(), "coffer-dash-bench-"));
const session = `coffer-dash-bench-${process.pid}`;
/** Mounted filesystems: mount point -> the coffer that mounted it (for the umount in finally). */
const mounts = new Map<string, string>();

/** mkfs + mount a fresh local:// filesystem with `coffer`, fill it with FILES small files; returns the daemon's pid. */
function prepare(name: string, coffer: string): { mnt: string; pid: number } {
  const store = join(root, `${name}-store`);
  const mnt = join(root, `${name}-mnt`);
  mkdirSync(store);
  mkdirSync(mnt);
  const url = `local://${store}`;
  const auth = join(root, `${name}-authinfo`);
  writeFileSync(auth, `[a]\nstorage-url: ${url}\n`, { mode: 0o600 });
  run(["mkfs", "--plain", "--authfile", auth, url], coffer);
  const line = run(["mount", "--authfile", auth, "--cachedir", join(root, `${name}-cache`), "--log", join(root, `${name}-log`), url, mnt], coffer);
  mounts.set(mnt, coffer);
  for (let i = 0; i < FILES; i++) writeFileSync(join(mnt, `f${i}`), `file ${i}\n`);
  run(["flush", mnt], coffer);
  return { mnt, pid: Number(/daemon pid (\d+)/.exec(line)![1]) };
}

async function measure(what: string, target: { mnt: string; pid: number }, dashInterval: number | null): Promise<{ what: string; daemon: number; dash: number | null }> {
  const { mnt, pid } = target;
  let dashPid: number | null = null;
  if (dashInterval !== null) {
    Bun.spawnSync(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", `exec ${process.execPath} ${COFFER} dash --interval ${dashInterval} ${mnt}`]);
    dashPid = Number(Bun.spawnSync(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"]).stdout.toString().trim());
    // the pane's process is the dashboard itself (exec), and it must be drawing, or the figures mean nothing
    let screen = "";
    for (let waited = 0; waited < 60_000 && !/Cache \(\d+ blocks\)/.test(screen); waited += 500) {
      await Bun.sleep(500);
      screen = Bun.spawnSync(["tmux", "capture-pane", "-p", "-t", session]).stdout.toString();
    }
    if (!/Cache \(\d+ blocks\)/.test(screen)) throw new Error(`coffer dash is not showing the mount:\n${screen}`);
    if (!readFileSync(`/proc/${dashPid}/cmdline`, "utf8").includes("dash")) throw new Error("the tmux pane does not run coffer dash");
    await Bun.sleep(2000); // past the start-up work, so the phase counts steady watching
  }
  const d0 = cpuSeconds(pid);
  const s0 = dashPid ? cpuSeconds(dashPid) : 0;
  const t0 = performance.now();
  await Bun.sleep(SECS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const result = { what, daemon: (cpuSeconds(pid) - d0) / wall, dash: dashPid ? (cpuSeconds(dashPid) - s0) / wall : null };
  if (dashInterval !== null) Bun.spawnSync(["tmux", "kill-session", "-t", session]);
  return result;
}

console.log(`start: ${new Date().toISOString()}; uptime: ${Bun.spawnSync(["uptime"]).stdout.toString().trim()}`);
try {
  const ours = prepare("control", COFFER);
  const baseline = BASELINE ? prepare("baseline", BASELINE) : null;
  await Bun.sleep(2000);
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (baseline) rows.push(await measure("baseline daemon, unwatched", baseline, null));
    rows.push(await measure("unwatched", ours, null));
    rows.push(await measure("coffer dash (500 ms)", ours, 500));
    rows.push(await measure("coffer dash --interval 100", ours, 100));
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  console.log(`end: ${new Date().toISOString()}; uptime: ${Bun.spawnSync(["uptime"]).stdout.toString().trim()}`);
  console.log(`${FILES} files, ${SECS} s per phase, ${ROUNDS} rounds (interleaved); CPU as a share of one core`);
  for (const what of [...new Set(rows.map((r) => r.what))]) {
    const mine = rows.filter((r) => r.what === what);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const daemon = mine.map((r) => r.daemon);
    const dash = mine.map((r) => r.dash).filter((x): x is number => x !== null);
    console.log(`| ${what} | daemon ${pct(median(daemon))} (runs: ${daemon.map(pct).join(", ")}) | ${dash.length ? `dash ${pct(median(dash))}` : "-"} |`);
  }
} finally {
  Bun.spawnSync(["tmux", "kill-session", "-t", session]);
  for (const [mnt, coffer] of mounts) Bun.spawnSync([process.execPath, coffer, "umount", mnt]);
  rmSync(root, { recursive: true, force: true });
}
