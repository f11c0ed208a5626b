// The device: validate a mountpoint, get a connected /dev/fuse fd (mount(2) as root, fusermount3 otherwise), unmount.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import {
  closeFd, geteuid, MNT_DETACH, mount, MS_NOATIME, MS_NODEV, MS_NOSUID, MS_RELATIME, MS_STRICTATIME, recvFd, socketpair, SysError, umount2,
} from "./libc.ts";

export interface DeviceOptions {
  mountpoint: string;
  fsname?: string;
  subtype?: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  /** Honour device nodes (off by default: nodev, as for any FUSE mount; only root may turn it on). */
  dev?: boolean;
  /** Honour set-user-ID and set-group-ID bits on execution (off by default: nosuid; root only). */
  suid?: boolean;
  /** The atime policy shown in /proc/mounts (the filesystem applies it itself: FUSE inodes are S_NOATIME). */
  atime?: AtimeMode;
}

export type AtimeMode = "relatime" | "strictatime" | "noatime";

/** mount(2) flags for the options: nodev and nosuid unless asked otherwise, and the atime policy. */
export function mountFlags(o: DeviceOptions): number {
  const atime = o.atime === "noatime" ? MS_NOATIME : o.atime === "strictatime" ? MS_STRICTATIME : MS_RELATIME;
  return (o.dev ? 0 : MS_NODEV) | (o.suid ? 0 : MS_NOSUID) | atime;
}

const EBUSY = 16;
const EINVAL = 22;
const ENOENT = 2;
const EPERM = 1;

/** Decode the octal escapes (\040 for space...) of /proc/self/mountinfo fields. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface MountEntry {
  mountpoint: string;
  fstype: string;
  source: string;
  /** "major:minor", e.g. "0:53". */
  dev: string;
  /** The per-mount options ("rw,nosuid,nodev,relatime") and then the filesystem's own ("user_id=0,..."). */
  options: string[];
}

/** Mount points currently listed in /proc/self/mountinfo: the one parser of it (tests use it too). */
export function listMounts(): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    if (!line) continue;
    const f = line.split(" ");
    const sep = f.indexOf("-");
    out.push({
      mountpoint: unescapeMountinfo(f[4] ?? ""), fstype: f[sep + 1] ?? "", source: unescapeMountinfo(f[sep + 2] ?? ""), dev: f[2] ?? "",
      options: [...(f[5] ?? "").split(","), ...(f[sep + 3] ?? "").split(",")].filter(Boolean),
    });
  }
  return out;
}

/**
 * Set the kernel readahead of a mounted FUSE filesystem (its bdi, /sys/class/bdi/MAJ:MIN/read_ahead_kb; root
 * only). The kernel starts FUSE mounts at 128 KiB, so sequential reads arrive as 128 KiB READs; matching
 * max_write (1 MiB) made cold sequential reads through the main thread ~1.7x faster. Found through
 * /proc/self/mountinfo: never stat() a mount from the thread that serves it. Must run after INIT, which
 * clamps the value to the max_readahead of the INIT reply.
 */
export function setReadAhead(mountpoint: string, kb: number): boolean {
  const m = listMounts().findLast((x) => x.mountpoint === mountpoint);
  if (!m || !/^\d+:\d+$/.test(m.dev)) return false;
  try {
    writeFileSync(`/sys/class/bdi/${m.dev}/read_ahead_kb`, `${kb}\n`);
    return true;
  } catch {
    return false;
  }
}

export function isMountpoint(path: string): boolean {
  return listMounts().some((m) => m.mountpoint === path);
}

/** Absolute, symlink-free path of an existing directory that is not already a mount point; throws a clear Error. */
export function validateMountpoint(mountpoint: string): string {
  let real: string;
  try {
    real = realpathSync(mountpoint);
  } catch {
    throw new Error(`mountpoint ${mountpoint} does not exist`);
  }
  if (!statSync(real).isDirectory()) throw new Error(`mountpoint ${mountpoint} is not a directory`);
  if (isMountpoint(real)) throw new Error(`mountpoint ${mountpoint} is already a mount point (unmount it first)`);
  return real;
}

/** The comma-separated options; `fd`, `rootmode`, `user_id`, `group_id` only for mount(2) (fusermount3 adds them). */
export function mountOptions(o: DeviceOptions, fd?: number): string {
  const opts: string[] = [];
  if (fd !== undefined) {
    opts.push(`fd=${fd}`, "rootmode=40000", `user_id=${process.getuid?.() ?? 0}`, `group_id=${process.getgid?.() ?? 0}`);
  } else {
    opts.push(`fsname=${o.fsname ?? "coffer"}`);
    if (o.subtype) opts.push(`subtype=${o.subtype}`);
  }
  if (o.allowOther) opts.push("allow_other");
  if (o.defaultPermissions) opts.push("default_permissions");
  if (fd === undefined) {
    // fusermount3 turns these into mount flags (dev and suid only for root)
    opts.push(o.dev ? "dev" : "nodev", o.suid ? "suid" : "nosuid");
    if (o.atime && o.atime !== "relatime") opts.push(o.atime);
  }
  return opts.join(",");
}

/** Open /dev/fuse and mount it with mount(2) (needs root / CAP_SYS_ADMIN). Returns the connected fd. */
export function mountAsRoot(mountpoint: string, o: DeviceOptions): number {
  const fd = openSync("/dev/fuse", "r+");
  try {
    mount(o.fsname ?? "coffer", mountpoint, o.subtype ? `fuse.${o.subtype}` : "fuse", mountFlags(o), mountOptions(o, fd));
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Mount through the setuid `fusermount3`, which sends back the /dev/fuse fd over a Unix socket (SCM_RIGHTS). */
export async function mountWithFusermount(mountpoint: string, o: DeviceOptions): Promise<number> {
  const [mine, theirs] = socketpair();
  try {
    const child = spawn("fusermount3", ["-o", mountOptions(o), "--", mountpoint], {
      stdio: ["ignore", "ignore", "pipe", theirs],
      env: { ...process.env, _FUSE_COMMFD: "3" },
    });
    closeFd(theirs);
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const code: number = await new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c: number | null) => resolve(c ?? -1));
    });
    if (code !== 0) throw new Error(`fusermount3 failed (exit ${code}): ${stderr.trim()}`);
    const fd = recvFd(mine);
    if (fd < 0) throw new Error(`fusermount3 did not send a /dev/fuse descriptor: ${stderr.trim()}`);
    return fd;
  } finally {
    closeFd(mine);
  }
}

/**
 * Unmount any FUSE mount point (for sessions and for test cleanup of mounts served by other processes):
 * umount2 as root, else `fusermount3 -u`; with `lazy`, a busy mount is detached (MNT_DETACH / -z).
 * Not mounted is not an error.
 */
export function unmountPath(mountpoint: string, opts: { lazy?: boolean } = {}): void {
  let path = mountpoint;
  try {
    path = realpathSync(mountpoint);
  } catch {
    // a dead FUSE mount can make realpath fail (ENOTCONN); use the path as given
  }
  if (geteuid() === 0) {
    try {
      umount2(path, 0);
      return;
    } catch (e) {
      const err = (e as SysError).errno;
      if ((err === EINVAL || err === ENOENT) && !isMountpoint(path)) return;
      if (err === EBUSY && opts.lazy) return umount2(path, MNT_DETACH);
      if (err !== EPERM) throw e;
    }
  }
  if (!isMountpoint(path)) return;
  const args = opts.lazy ? ["-u", "-z", "--", path] : ["-u", "--", path];
  const r = spawnSync("fusermount3", args, { encoding: "utf8" });
  if (r.status !== 0 && isMountpoint(path)) throw new Error(`fusermount3 ${args.join(" ")} failed: ${(r.stderr ?? "").trim()}`);
}
