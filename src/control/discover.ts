// Finds the mount points of every Coffer filesystem mounted on this machine (fstype fuse.coffer).
import { listMounts } from "../fs/fuse/device.ts";

export function cofferMounts(): string[] {
  return [...new Set(listMounts().filter((m) => m.fstype === "fuse.coffer").map((m) => m.mountpoint))];
}
