// Where a running mount's control socket lives, derived from its mount point so any tool can find it.
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** /run/coffer for root (tmpfs, cleared at boot, like any runtime state); ~/.coffer/run otherwise. */
export function runtimeDir(): string {
  const dir = process.getuid?.() === 0 ? "/run/coffer" : join(homedir(), ".coffer", "run");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function canonicalMountpoint(mountpoint: string): string {
  try {
    return realpathSync(mountpoint);
  } catch {
    // A dead FUSE mount ("transport endpoint is not connected") cannot be resolved: use the path as given.
    return resolve(mountpoint);
  }
}

export function controlSocketPath(mountpoint: string): string {
  const id = createHash("sha256").update(canonicalMountpoint(mountpoint)).digest("hex").slice(0, 20);
  return join(runtimeDir(), `${id}.sock`);
}
