// coffer rm vs rm -rf through the mount on the same 100k-entry tree (and coffer cp's time for that tree).
// Run: bun bench/tree-ops.ts [--entries 100000]   (root; mounts a fresh local:// filesystem with bin/coffer)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const entries = arg("entries", 100_000);
const PER_DIR = 1000;
const COFFER = resolve(import.meta.dir, "../bin/coffer");
const root = mkdtempSync(join(tmpdir(), "coffer-bench-tree-"));
const store = join(root, "store");
const mnt = join(root, "mnt");
const auth = join(root, "authinfo");
mkdirSync(store);
mkdirSync(mnt);
writeFileSync(auth, `[b]\nstorage-url: local://${store}\n`, { mode: 0o600 });

function run(argv: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString().trim()}`);
  return (performance.now() - t0) / 1000;
}
const coffer = (...args: string[]) => run([process.execPath, COFFER, ...args]);
const uptime = () => Bun.spawnSync(["uptime"]).stdout.toString().trim();

console.log(`load before: ${uptime()}`);
coffer("mkfs", "--plain", "--authfile", auth, `local://${store}`);
coffer("mount", "--authfile", auth, "--cachedir", join(root, "cache"), "--log", join(root, "mount.log"), `local://${store}`, mnt);
try {
  const tree = join(mnt, "a");
  const t0 = performance.now();
  let made = 1;
  mkdirSync(tree);
  for (let d = 0; made < entries; d++) {
    const dir = join(tree, `d${d}`);
    mkdirSync(dir);
    made++;
    for (let f = 0; f < PER_DIR - 1 && made < entries; f++, made++) writeFileSync(join(dir, `f${f}`), "");
  }
  console.log(`created ${made} entries through the mount in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  coffer("flush", mnt);
  const cp = coffer("cp", tree, join(mnt, "b"));
  console.log(`coffer cp of the tree: ${cp.toFixed(2)} s`);
  coffer("flush", mnt);
  // both trees are in the kernel's caches to the same degree: walk each once first
  run(["find", join(mnt, "a"), "-printf", ""]);
  run(["find", join(mnt, "b"), "-printf", ""]);
  const rmrf = run(["rm", "-rf", join(mnt, "a")]);
  const crm = coffer("rm", join(mnt, "b"));
  console.log(`rm -rf through the mount: ${rmrf.toFixed(2)} s`);
  console.log(`coffer rm:                ${crm.toFixed(2)} s (${(rmrf / crm).toFixed(1)}x faster; includes starting the coffer CLI)`);
} finally {
  try {
    coffer("umount", mnt);
  } catch (error) {
    console.error(String(error));
    Bun.spawnSync(["umount", "-l", mnt]);
  }
  rmSync(root, { recursive: true, force: true });
  console.log(`load after: ${uptime()}`);
}
