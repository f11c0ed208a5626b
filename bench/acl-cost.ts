// What kernel-enforced POSIX ACLs cost on a Coffer mount: the same tree copy and non-owner reads with FUSE_POSIX_ACL on and off.
// Run: bun bench/acl-cost.ts [runs]   (root; mounts served by tests/mount/coffer-child.ts, interleaved on/off)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../src/fs/crypto/aead.ts";
import { makeTempMountpoint, startMountChild } from "../tests/support/mount-child.ts";

const runs = Number(process.argv[2] ?? 3);
const TREE = "/usr/include/linux";
const sh = (cmd: string): number => {
  const t0 = performance.now();
  const r = Bun.spawnSync(["sh", "-c", cmd], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One mount: copy the tree (cp -a), drop caches, read every file as uid 65534 (each new inode costs a GETXATTR with ACLs on). */
async function once(acl: boolean): Promise<{ copy: number; readAsOther: number }> {
  const work = mkdtempSync(join(tmpdir(), "coffer-aclbench-"));
  const mp = makeTempMountpoint("coffer-aclbench-mnt-");
  const master = Buffer.from(randomKey()).toString("hex");
  const args = [mp.path, join(work, "store"), join(work, "cache"), master, "--mkfs", "--allow-other", ...(acl ? [] : ["--no-posix-acl"])];
  const child = await startMountChild(["bun", join(import.meta.dir, "../tests/mount/coffer-child.ts"), ...args], mp.path);
  try {
    const copy = sh(`cp -a ${TREE} ${mp.path}/tree`);
    sh("echo 3 > /proc/sys/vm/drop_caches");
    const readAsOther = sh(`setpriv --reuid=65534 --regid=65534 --clear-groups find ${mp.path}/tree -type f -exec cat {} + > /dev/null`);
    return { copy, readAsOther };
  } finally {
    await child.stop();
    mp.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

const results: Record<string, { copy: number[]; readAsOther: number[] }> = { on: { copy: [], readAsOther: [] }, off: { copy: [], readAsOther: [] } };
for (let i = 0; i < runs; i++) {
  for (const acl of i % 2 ? [false, true] : [true, false]) {
    const r = await once(acl);
    const k = acl ? "on" : "off";
    results[k]!.copy.push(r.copy);
    results[k]!.readAsOther.push(r.readAsOther);
  }
}
const files = Bun.spawnSync(["sh", "-c", `find ${TREE} -type f | wc -l`]).stdout.toString().trim();
for (const k of ["on", "off"]) {
  const r = results[k]!;
  console.log(`POSIX ACLs ${k}: cp -a ${TREE} (${files} files) ${median(r.copy).toFixed(2)} s; read all as uid 65534 after drop_caches ${median(r.readAsOther).toFixed(2)} s (medians of ${runs})`);
}
