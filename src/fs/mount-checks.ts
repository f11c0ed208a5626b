// Checks on a mount point before anything expensive happens: it exists, is a directory, is not mounted on.
import { readdirSync, statSync } from "node:fs";
import { listMounts } from "./fuse/index.ts";
import { UserError } from "../user-error.ts";

/** Mount points as the kernel lists them, by path (the last mount on a path is the visible one). */
export function mountedPaths(): Map<string, { fstype: string; source: string }> {
  return new Map(listMounts().map((m) => [m.mountpoint, { fstype: m.fstype, source: m.source }]));
}

/**
 * `mountpoint` must be the path that will be mounted (absolute, symlinks resolved), so every check below is
 * about the directory the kernel mounts over. A directory with entries is refused unless `nonempty`:
 * mounting would hide them, which is rarely what a person meant (a typo, or a forgotten earlier copy).
 */
export function assertMountableDirectory(mountpoint: string, opts: { nonempty?: boolean } = {}): void {
  let isDir: boolean;
  try {
    isDir = statSync(mountpoint).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTCONN") {
      throw new UserError(`mount point ${mountpoint} is a dead FUSE mount (its daemon died); clear it with: coffer umount ${mountpoint}`);
    }
    throw new UserError(`mount point ${mountpoint} does not exist; create it with: mkdir -p ${mountpoint}`);
  }
  if (!isDir) throw new UserError(`mount point ${mountpoint} is not a directory; choose a directory`);
  const existing = mountedPaths().get(mountpoint);
  if (existing) {
    throw new UserError(`${mountpoint} is already a mount point (${existing.fstype} from ${existing.source}); unmount it or choose another directory`);
  }
  if (!opts.nonempty) {
    const entries = readdirSync(mountpoint);
    if (entries.length > 0) {
      throw new UserError(`mount point ${mountpoint} is not empty (${entries.length} entries, e.g. ${entries[0]}); mounting would hide them: choose an empty directory, or add --nonempty`);
    }
  }
}
