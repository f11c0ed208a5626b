// syncfs(2) on a mount from the CLI: the kernel's write-back cache hands its dirty pages to the daemon first.
import { UserError } from "../user-error.ts";

/**
 * The mount runs with the FUSE writeback cache: data written (and mmap'd pages) may still sit in the
 * kernel's page cache, unseen by the daemon, until the kernel writes it back. `coffer flush` and `coffer cp`
 * must see it, so they sync the filesystem first. From this process, never from the daemon: the daemon's
 * own syncfs would wait for WRITEs that only it can answer.
 */
export function syncMount(mountpoint: string): void {
  const r = Bun.spawnSync(["sync", "-f", mountpoint], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new UserError(`cannot sync ${mountpoint} before asking its daemon (${r.stderr.toString().trim() || `sync exited ${r.exitCode}`}); is it still mounted?`);
  }
}
