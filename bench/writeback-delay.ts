// How long pages written to a file held open (no fsync, no close) stay in the kernel's writeback cache before
// the Coffer daemon sees them: on a fresh local:// mount, after 300 MiB of earlier writes, for 4 KiB, 64 KiB, 1 MiB.
// Usage (root): bun bench/writeback-delay.ts   (prints one line per size)
import { chmodSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const coffer = join(import.meta.dir, "..", "bin", "coffer");
const w = `/var/tmp/coffer-wbdelay-${process.pid}`;
mkdirSync(`${w}/store`, { recursive: true });
mkdirSync(`${w}/mnt`);
writeFileSync(`${w}/auth`, `[x]\nstorage-url: local://${w}/store\nfs-passphrase: bench\n`);
chmodSync(`${w}/auth`, 0o600);
const run = (...a: string[]) => Bun.spawnSync([coffer, ...a], { stdout: "pipe", stderr: "pipe" });
const cacheBytes = (): number => JSON.parse(run("stat", "--json", `${w}/mnt`).stdout.toString()).cache.usedBytes;
try {
  run("mkfs", "--authfile", `${w}/auth`, `local://${w}/store`);
  run("mount", "--authfile", `${w}/auth`, "--cachedir", `${w}/cache`, "--metadata-interval", "1", `local://${w}/store`, `${w}/mnt`);
  const bulk = openSync(`${w}/mnt/bulk`, "w"); // write-back history for the mount's device
  for (let i = 0; i < 300; i++) writeSync(bulk, Buffer.alloc(1 << 20, 3));
  closeSync(bulk);
  for (const size of [4096, 65536, 1 << 20]) {
    const before = cacheBytes();
    const fd = openSync(`${w}/mnt/held-${size}`, "w");
    writeSync(fd, Buffer.alloc(size, 1));
    const t0 = Date.now();
    let now = before;
    while (now <= before && Date.now() - t0 < 45_000) {
      now = cacheBytes();
      if (now <= before) await Bun.sleep(100);
    }
    console.log(JSON.stringify({ size, reached_daemon_ms: now > before ? Date.now() - t0 : null, load: require("node:os").loadavg()[0].toFixed(2) }));
    closeSync(fd);
  }
} finally {
  run("umount", `${w}/mnt`);
  rmSync(w, { recursive: true, force: true });
}
