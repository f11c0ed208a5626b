// Where a running mount's control socket lives, derived from its mount point so any tool can find it.
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where root's daemons put their sockets: owner-only (0700), like the sockets in it (0600). */
export const SYSTEM_RUNTIME_DIR = "/run/coffer";

/**
 * /run/coffer for root (tmpfs, cleared at boot, like any runtime state); ~/.coffer/run otherwise. Created
 * (owner-only) for a daemon; a client only looks, so a user without a home can still ask.
 */
export function runtimeDir(opts: { create?: boolean } = {}): string {
  const dir = process.getuid?.() === 0 ? SYSTEM_RUNTIME_DIR : join(homedir(), ".coffer", "run");
  if (opts.create ?? true) mkdirSync(dir, { recursive: true, mode: 0o700 });
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

export function controlSocketPath(mountpoint: string, opts: { create?: boolean } = {}): string {
  return join(runtimeDir(opts), socketName(mountpoint));
}

/** The socket of root's daemon for a mount point, as another user would look for it. */
export function systemSocketPath(mountpoint: string): string {
  return join(SYSTEM_RUNTIME_DIR, socketName(mountpoint));
}

function socketName(mountpoint: string): string {
  return `${createHash("sha256").update(canonicalMountpoint(mountpoint)).digest("hex").slice(0, 20)}.sock`;
}
