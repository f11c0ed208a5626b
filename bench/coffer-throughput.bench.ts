// Throughput through a real mount (not a test): sequential write, unmount (= upload everything), cold read, small creates.
// Run: bun bench/coffer-throughput.bench.ts [MiB]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../src/fs/crypto/aead.ts";
import { makeTempMountpoint, startMountChild } from "../tests/support/mount-child.ts";

const mib = Number(process.argv[2] ?? 256);
const work = mkdtempSync(join(tmpdir(), "coffer-bench-"));
const master = Buffer.from(randomKey()).toString("hex");
const mp = makeTempMountpoint("coffer-bench-mnt-");
const serve = (cache: string, mkfs: boolean) =>
  startMountChild(["bun", join(import.meta.dir, "../tests/mount/coffer-child.ts"), mp.path, join(work, "store"), join(work, cache), master, ...(mkfs ? ["--mkfs"] : [])], mp.path);
const sh = (cmd: string) => {
  const t0 = performance.now();
  const r = Bun.spawnSync(["sh", "-c", cmd], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};
try {
  sh(`head -c ${mib}M /dev/urandom > ${work}/src.bin`);
  let child = await serve("c1", true);
  const w = sh(`dd if=${work}/src.bin of=${mp.path}/big bs=1M conv=fsync status=none`);
  const creates = sh(`python3 -c "
import os
d='${mp.path}/small'; os.mkdir(d)
for i in range(2000):
    with open(f'{d}/f{i}','wb') as f: f.write(b'x'*4096)
"`);
  let t0 = performance.now();
  await child.stop();
  const unmount = (performance.now() - t0) / 1000;
  child = await serve("c2", false);
  const r = sh(`cmp ${work}/src.bin ${mp.path}/big`);
  await child.stop();
  console.log(
    `${mib} MiB: write+fsync ${(mib / w).toFixed(0)} MB/s; 2000 x 4 KiB creates ${(2000 / creates).toFixed(0)}/s; ` +
      `unmount (upload all) ${unmount.toFixed(1)} s; cold read+cmp from a fresh cache ${(mib / r).toFixed(0)} MB/s`,
  );
} finally {
  mp.remove();
  rmSync(work, { recursive: true, force: true });
}
