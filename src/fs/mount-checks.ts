// Checks on a mount point before anything expensive happens: it exists, is a directory, is not mounted on.
import { statSync } from "node:fs";
import { listMounts } from "./fuse/index.ts";
import { UserError } from "../user-error.ts";

/** Mount points as the kernel lists them, by path (the last mount on a path is the visible one). */
export function mountedPaths(): Map<string, { fstype: string; source: string }> {
  return new Map(listMounts().map((m) => [m.mountpoint, { fstype: m.fstype, source: m.source }]));
}

export function assertMountableDirectory(mountpoint: string): void {
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
}
