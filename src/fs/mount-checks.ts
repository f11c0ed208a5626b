// Checks on a mount point before anything expensive happens: it exists, is a directory, is not mounted on.
import { readFileSync, statSync } from "node:fs";
import { UserError } from "../user-error.ts";

/** Mount points as the kernel lists them (octal escapes such as \040 for a space decoded). */
export function mountedPaths(): Map<string, { fstype: string; source: string }> {
  const result = new Map<string, { fstype: string; source: string }>();
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    if (!line) continue;
    const [left, right] = line.split(" - ");
    const mountpoint = decode(left!.split(" ")[4]!);
    const [fstype, source] = right!.split(" ");
    result.set(mountpoint, { fstype: fstype!, source: decode(source ?? "") });
  }
  return result;
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
