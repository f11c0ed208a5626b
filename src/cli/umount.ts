// `coffer umount`: asks the daemon to unmount and returns only once every dirty block and the metadata are stored.
import { existsSync } from "node:fs";
import { unmountPath } from "../fs/fuse/index.ts";
import { mountedPaths } from "../fs/mount-checks.ts";
import { DaemonUnreachableError, controlRequest } from "../control/client.ts";
import { canonicalMountpoint, controlSocketPath } from "../control/paths.ts";
import { UserError } from "../user-error.ts";
import { flushProgress } from "./progress.ts";

export async function umountCommand(mountpoint: string): Promise<void> {
  const path = canonicalMountpoint(mountpoint);
  const entry = mountedPaths().get(path);
  const mounted = entry?.fstype === "fuse.coffer";
  // Not mounted any more but its daemon still answers: an earlier `coffer umount` was interrupted (Ctrl-C)
  // while the daemon stores the data (say, during a store outage); this one waits for that to finish.
  if (!mounted && !existsSync(controlSocketPath(path))) {
    throw new UserError(`${mountpoint} is not a coffer mount point; see mounted ones with: grep fuse.coffer /proc/mounts`);
  }
  const progress = flushProgress();
  try {
    await controlRequest(path, { op: "umount" }, (p) => progress.update(p));
  } catch (error) {
    if (!(error instanceof DaemonUnreachableError)) throw error;
    if (!mounted) throw new UserError(`${mountpoint} is not a coffer mount point; see mounted ones with: grep fuse.coffer /proc/mounts`);
    // The daemon is gone (killed, crashed): clear the dead mount so the directory is usable again.
    unmountPath(path, { lazy: true });
    throw new UserError(`the daemon serving ${mountpoint} was gone; removed the dead mount. Data it had not stored is in its cache and is uploaded at the next coffer mount`, 1);
  } finally {
    progress.end();
  }
  process.stdout.write(`Unmounted ${mountpoint}; everything is stored.\n`);
}
