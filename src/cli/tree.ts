// `coffer cp`, `rm`, `lock`, `snapshot`, `expire`: whole-tree operations sent to the daemon of the mount holding the paths.
import { mkdirSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { controlRequest } from "../control/client.ts";
import { parseKeepPolicy, parseSnapshotName, snapshotName, snapshotsToKeep } from "../fs/admin/retention.ts";
import { UserError } from "../user-error.ts";
import { locateInMount, mountOf } from "./mount-path.ts";

/** Copy-on-write copy of directory SRC to the new path DST in the same mount. */
export async function cpCommand(src: string, dst: string): Promise<void> {
  const from = locateInMount(src, { mustExist: true });
  const to = mountOf(dst, { mustExist: false });
  if (to?.mountpoint !== from.mountpoint) {
    throw new UserError(`${src} and ${dst} are in different filesystems; coffer cp copies within one coffer mount — use cp -a across filesystems`);
  }
  const { entries } = (await controlRequest(from.mountpoint, { op: "cp", src: from.parts, dst: to.parts })) as { entries: number };
  process.stdout.write(`Copied ${src} to ${dst}: ${entries} entries, data shared (nothing new stored).\n`);
}

/** Removes directory DIR with everything under it, without the kernel walking it; locked trees too. */
export async function rmCommand(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const at = locateInMount(dir, { mustExist: true });
    if (at.parts.length === 0) throw new UserError(`${dir} is the mount point; coffer rm removes directories inside it`);
    const { entries } = (await controlRequest(at.mountpoint, { op: "rm", path: at.parts })) as { entries: number };
    process.stdout.write(`Removed ${dir} (${entries} entries).\n`);
  }
}

/** Makes directory DIR immutable, or with --status tells whether PATH lies in a locked tree. */
export async function lockCommand(paths: string[], opts: { status?: boolean }): Promise<void> {
  for (const path of paths) {
    const at = locateInMount(path, { mustExist: true });
    if (opts.status) {
      const s = (await controlRequest(at.mountpoint, { op: "lock-status", path: at.parts })) as { locked: boolean; lockedRoot: boolean };
      process.stdout.write(`${path}: ${s.lockedRoot ? "locked (the root of a locked tree)" : s.locked ? "locked (inside a locked tree)" : "not locked"}\n`);
      continue;
    }
    const { newlyLocked } = (await controlRequest(at.mountpoint, { op: "lock", path: at.parts })) as { newlyLocked: boolean };
    process.stdout.write(newlyLocked ? `Locked ${path}: it can no longer change; only coffer rm removes it.\n` : `${path} was locked already.\n`);
  }
}

/** cp of DIR into INTO/<name of DIR>/<UTC date>, optionally locked; prints the snapshot's path. */
export async function snapshotCommand(dir: string, opts: { into?: string; lock?: boolean }): Promise<void> {
  const from = locateInMount(dir, { mustExist: true });
  if (from.parts.length === 0) throw new UserError(`${dir} is the mount point; snapshot a directory inside it (snapshots live in the same filesystem)`);
  if (opts.into && mountOf(opts.into, { mustExist: true })?.mountpoint !== from.mountpoint) {
    throw new UserError(`--into ${opts.into} is not in the coffer mount holding ${dir}; snapshots must live in the same mount`);
  }
  const into = resolve(opts.into ?? join(from.mountpoint, ".snapshots"), from.parts.at(-1)!);
  mkdirSync(into, { recursive: true });
  const target = join(into, snapshotName(new Date()));
  await cpCommand(dir, target);
  if (opts.lock) await lockCommand([target], {});
  process.stdout.write(`${target}\n`);
}

/** Removes the snapshots in DIR (folders named by coffer snapshot) that the --keep policy does not keep. */
export async function expireCommand(dir: string, opts: { keep?: string; dryRun?: boolean }): Promise<void> {
  if (!opts.keep) throw new UserError("coffer expire needs --keep, e.g. --keep daily=7,weekly=4,monthly=12");
  let policy;
  try {
    policy = parseKeepPolicy(opts.keep);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  locateInMount(dir, { mustExist: true }); // refuses a directory outside a coffer mount before anything else
  const snapshots = readdirSync(dir)
    .map((name) => ({ name, at: parseSnapshotName(name) }))
    .filter((s): s is { name: string; at: Date } => s.at !== null)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const keep = snapshotsToKeep(snapshots.map((s) => s.at), policy);
  const doomed = snapshots.filter((_, i) => !keep.has(i));
  const removing = opts.dryRun ? "would remove" : "remove";
  snapshots.forEach((s, i) => process.stdout.write(`${(keep.has(i) ? "keep" : removing).padEnd(removing.length)} ${s.name}\n`));
  if (opts.dryRun) return;
  if (doomed.length > 0) await rmCommand(doomed.map((s) => join(dir, s.name)));
  process.stdout.write(`Kept ${keep.size} of ${snapshots.length} snapshots in ${basename(resolve(dir))}.\n`);
}
