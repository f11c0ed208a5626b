// The one-mount-at-a-time lock: an encrypted "mount-lock" object in the store saying who mounts it, where, since when.
//
// The store offers no compare-and-swap that every S3-compatible service honours (s3rver ignores
// If-None-Match), so taking the lock is write-then-verify: put our record, wait, read it back, and only
// proceed if it is still ours. Two mounts started within the same second on two machines could both
// pass; everything slower than that is refused. A lock left by a crashed daemon on this machine is
// recognised (its pid is gone) and taken over; one from another machine needs `--force-unlock`.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Backend } from "./store/backend.ts";
import { isNotFound } from "./store/backend.ts";
import { decodeObject, encodeObject } from "./store/codec.ts";
import type { FsKeys } from "./crypto/keys.ts";
import { UserError } from "../user-error.ts";

export const LOCK_KEY = "mount-lock";
const VERIFY_DELAY_MS = 300;

/** The lock object's content, one schema for the writer (acquire) and the reader (readLock). */
export const LockRecordSchema = z.object({
  id: z.string().min(1),
  host: z.string().min(1),
  pid: z.number().int().positive(),
  /** The mount point, or what an offline admin command holds the lock for, e.g. "(coffer rotate-key)". */
  mountpoint: z.string().min(1),
  since: z.number().int().nonnegative(), // ms since the epoch
});
export type LockRecord = z.infer<typeof LockRecordSchema>;

/** The lock object decrypted but does not hold a lock record (another program wrote it, or a bug did). */
export class LockObjectError extends UserError {
  constructor(problem: string) {
    super(`the ${LOCK_KEY} object in the store is not a valid mount lock (${problem}); if no machine mounts this filesystem, remove it by mounting with --force-unlock`);
    this.name = "LockObjectError";
  }
}

/** Parses a lock object's plaintext, or throws one LockObjectError naming the first problem. */
export function parseLockRecord(plaintext: Uint8Array): LockRecord {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw new LockObjectError("not JSON");
  }
  const parsed = LockRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LockObjectError(`${issue.path.join(".") || "record"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The writer's side: a record the reader would refuse is a bug here, said as such. */
export function encodeLockRecord(record: LockRecord): Uint8Array {
  const parsed = LockRecordSchema.safeParse(record);
  if (!parsed.success) throw new Error(`bug: refusing to write an invalid mount lock (${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message})`);
  return new TextEncoder().encode(JSON.stringify(parsed.data));
}

/** Whether a process of this machine still runs: a zombie (killed, not yet reaped) does not count. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function readLock(backend: Backend, keys: FsKeys): Promise<LockRecord | null> {
  try {
    const bytes = await backend.get(LOCK_KEY);
    return parseLockRecord(decodeObject(keys, "meta-head", LOCK_KEY, bytes));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export class MountLock {
  private constructor(
    private readonly backend: Backend,
    private readonly keys: FsKeys,
    readonly record: LockRecord,
    /** The lock we replaced because its daemon had died here: the cache may hold its unsaved work. */
    readonly tookOverFrom: LockRecord | null,
  ) {}

  /** Takes the lock or throws a UserError saying where and since when the filesystem is mounted. */
  static async acquire(backend: Backend, keys: FsKeys, url: string, mountpoint: string, opts: { force?: boolean } = {}): Promise<MountLock> {
    const existing = await readLock(backend, keys).catch((error) => {
      if (opts.force && error instanceof LockObjectError) return null; // --force-unlock replaces it
      throw error;
    });
    let tookOverFrom: LockRecord | null = null;
    if (existing) {
      const here = existing.host === hostname();
      const since = new Date(existing.since).toISOString();
      if (here && pidAlive(existing.pid) && existing.pid !== process.pid) {
        throw new UserError(`${url} is already mounted at ${existing.mountpoint} on this machine (pid ${existing.pid}) since ${since}; unmount it first with: coffer umount ${existing.mountpoint}`);
      }
      if (!here && !opts.force) {
        throw new UserError(`${url} is mounted on ${existing.host} at ${existing.mountpoint} since ${since}; unmount it there first, or if that machine is gone for good, mount with --force-unlock`);
      }
      tookOverFrom = existing;
    }
    const record: LockRecord = { id: randomUUID(), host: hostname(), pid: process.pid, mountpoint, since: Date.now() };
    await backend.put(LOCK_KEY, encodeObject(keys, "meta-head", LOCK_KEY, encodeLockRecord(record)));
    await Bun.sleep(VERIFY_DELAY_MS);
    const check = await readLock(backend, keys);
    if (check?.id !== record.id) {
      throw new UserError(`${url} was mounted by ${check?.host ?? "another process"} at the same moment; try again in a minute`);
    }
    return new MountLock(backend, keys, record, tookOverFrom);
  }

  /** Drops the lock if it is still ours (a forced takeover elsewhere must not be undone). */
  async release(): Promise<void> {
    const current = await readLock(this.backend, this.keys);
    if (current?.id === this.record.id) await this.backend.delete(LOCK_KEY);
  }
}
