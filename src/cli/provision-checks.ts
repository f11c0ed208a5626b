// What `coffer provision` checks before it writes anything: the store and its filesystem, the mount point,
// the share name, the share owner. Each failure is one UserError line that says what to do.
import { createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AuthInfo } from "../config/authinfo.ts";
import { keyObjectExists, unlockFilesystemKeys } from "../fs/store/key-object.ts";
import { mountedPaths } from "../fs/mount-checks.ts";
import { openStore, probeStore } from "../fs/mount.ts";
import { underRoot } from "../provision/index.ts";
import { UserError } from "../user-error.ts";

/** The mount point as provision finds it: to be created, an empty directory, or this filesystem already mounted. */
export type MountpointState = "missing" | "directory" | "mounted-here";

export function checkMountpoint(mountpoint: string, url: string, root: string | undefined): MountpointState {
  const path = underRoot(root, mountpoint);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    if (code === "ENOTCONN") return "mounted-here"; // a dead mount: the unit's ExecStartPre clears it
    throw new UserError(`cannot look at mount point ${mountpoint}: ${code}; check the path`);
  }
  if (!isDir) throw new UserError(`mount point ${mountpoint} is not a directory; choose a directory (--mountpoint)`);
  const mounted = mountedPaths().get(path);
  if (mounted) {
    if (mounted.fstype === "fuse.coffer" && mounted.source === url) return "mounted-here";
    throw new UserError(`mount point ${mountpoint} is in use (${mounted.fstype} from ${mounted.source}); unmount it or choose another --mountpoint`);
  }
  return "directory";
}

/** What the store holds: nothing yet (mkfs needed) or a filesystem whose passphrase opened. */
export type StoreState = { kind: "empty" } | { kind: "filesystem"; fsid: string };

/**
 * Opens the store with the credentials: a missing bucket or refused credentials fail here, with the store's
 * own one-line message. An existing filesystem must open with the passphrase; its id becomes the NFS fsid.
 */
export async function checkStore(url: string, auth: AuthInfo): Promise<StoreState> {
  const backend = openStore(url, auth);
  try {
    await probeStore(backend);
    if (!(await keyObjectExists(backend))) return { kind: "empty" };
    const keys = await unlockFilesystemKeys(backend, auth.fsPassphrase ?? null);
    return { kind: "filesystem", fsid: filesystemUuid(keys.dedup) };
  } finally {
    await backend.close();
  }
}

/**
 * A stable UUID for the filesystem: keyed from its master key material (which never changes, not even with
 * the passphrase), so it is the same on every machine and after every remount, and reveals nothing of the key.
 */
export function filesystemUuid(keyMaterial: Uint8Array): string {
  const h = createHmac("sha256", keyMaterial).update("coffer nfs fsid v1").digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // RFC 9562 version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80; // variant 10
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Every [section] -> path in an smb.conf and the files it includes (as Samba reads them, by absolute path). */
export function sambaSharePaths(smbConf: string, root: string | undefined, seen = new Set<string>()): Map<string, string> {
  const shares = new Map<string, string>();
  const file = underRoot(root, smbConf);
  if (seen.has(file)) return shares;
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return shares;
  }
  let section = "";
  for (const raw of text.replace(/\\\n/g, " ").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim().toLowerCase();
      if (!shares.has(section)) shares.set(section, "");
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!.trim().toLowerCase();
    const value = kv[2]!.trim();
    if (key === "path" && section) shares.set(section, value);
    if (key === "include" && !value.includes("%")) {
      for (const [k, v] of sambaSharePaths(resolve(dirname(smbConf), value), root, seen)) if (!shares.has(k) || v) shares.set(k, v);
    }
  }
  return shares;
}

/** A share name already used for another path is refused; the same name for the same mount point is a re-run. */
export function checkShareName(share: string, mountpoint: string, smbConf: string, root: string | undefined): void {
  const existing = sambaSharePaths(smbConf, root).get(share.toLowerCase());
  if (existing !== undefined && existing.replace(/\/+$/, "") !== mountpoint) {
    throw new UserError(`Samba share [${share}] already exists for ${existing || "another service"}; choose another name (--samba NAME)`);
  }
}

/** user and group ids from the system's account database (getent: also LDAP/sssd users). */
export function lookupAccount(user: string, group: string): { uid: number; gid: number } | null {
  const u = Bun.spawnSync(["getent", "passwd", user]).stdout.toString().split(":");
  const g = Bun.spawnSync(["getent", "group", group]).stdout.toString().split(":");
  if (u.length < 4 || g.length < 3) return null;
  return { uid: Number(u[2]), gid: Number(g[2]) };
}
