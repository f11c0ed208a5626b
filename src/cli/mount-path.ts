// Maps a path given on the command line to the coffer mount holding it and the components below its mount point.
import { realpathSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { cofferMounts } from "../control/discover.ts";
import { UserError } from "../user-error.ts";

export interface MountPath {
  mountpoint: string;
  /** Components below the mount point ([] = the mount point itself). */
  parts: string[];
}

/** `mustExist: false` allows a new last component (coffer cp's destination); its parent must exist. */
export function locateInMount(path: string, opts: { mustExist: boolean }): MountPath {
  const found = mountOf(path, opts);
  if (!found) throw new UserError(`${path} is not inside a mounted coffer filesystem; give a path under a coffer mount point`);
  return found;
}

/** The coffer mount holding `path`, or null when it lies outside every coffer mount. */
export function mountOf(path: string, opts: { mustExist: boolean }): MountPath | null {
  const abs = resolve(path);
  let real: string;
  try {
    real = opts.mustExist ? realpathSync(abs) : resolve(realpathSync(dirname(abs)), basename(abs));
  } catch {
    throw new UserError(opts.mustExist ? `${path} does not exist; check the path` : `the directory holding ${path} does not exist; create it first`);
  }
  const mountpoint = cofferMounts()
    .sort((a, b) => b.length - a.length)
    .find((m) => real === m || real.startsWith(m.endsWith("/") ? m : m + "/"));
  return mountpoint ? { mountpoint, parts: relative(mountpoint, real).split("/").filter(Boolean) } : null;
}
