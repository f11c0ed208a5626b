// HANDLE_KILLPRIV_V2: the filesystem clears set-user/group-id and file capabilities on write, truncate, O_TRUNC open and chown.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { FATTR, FUSE_OPEN_KILL_SUIDGID, FUSE_WRITE_KILL_SUIDGID } from "../../src/fs/fuse/kernel.ts";
import type { CofferFs } from "../../src/fs/vfs/index.ts";
import { ROOT, cleanupDirs, ctx, newWorld, setattrIn } from "./helpers.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

afterEach(cleanupDirs);

const CAP = "security.capability";
const mode = async (fs: CofferFs, ino: number) => (await fs.getattr(ctx(), ino, undefined)).attr.mode & 0o7777;

async function fileWith(fs: CofferFs, name: string, perm: number): Promise<{ ino: number; fh: number }> {
  const { entry, open } = await fs.create(ctx(), ROOT, name, 0o644, 2, 0);
  await fs.write(ctx(), entry.nodeid, open.fh, 0, new Uint8Array(10), 0);
  await fs.setattr(ctx(), entry.nodeid, setattrIn({ valid: FATTR.MODE, mode: perm }));
  return { ino: entry.nodeid, fh: open.fh };
}

describe("kill suid/sgid/capabilities (HANDLE_KILLPRIV_V2)", () => {
  test("a write flagged by the kernel clears suid, and sgid with group execute or from outside the group; unflagged (CAP_FSETID) keeps them", async () => {
    const fs = await (await newWorld()).open();
    const a = await fileWith(fs, "a", 0o6755);
    await fs.write(ctx(), a.ino, a.fh, 0, new Uint8Array([1]), 0); // root with CAP_FSETID: no flag
    expect(await mode(fs, a.ino)).toBe(0o6755);
    await fs.write(ctx(), a.ino, a.fh, 5, new Uint8Array([1]), FUSE_WRITE_KILL_SUIDGID);
    expect(await mode(fs, a.ino)).toBe(0o755);
    // set-group-ID without group execute: kept for a writer in the file's group, dropped for others (Linux 6.x)
    const b = await fileWith(fs, "b", 0o6745);
    await fs.write(ctx(0, 0), b.ino, b.fh, 0, new Uint8Array([1]), FUSE_WRITE_KILL_SUIDGID);
    expect(await mode(fs, b.ino)).toBe(0o2745);
    await fs.write(ctx(1000, 1000), b.ino, b.fh, 0, new Uint8Array([1]), FUSE_WRITE_KILL_SUIDGID);
    expect(await mode(fs, b.ino)).toBe(0o745);
    await fs.close();
  });

  test("any write drops security.capability; chown and truncate too", async () => {
    const fs = await (await newWorld()).open();
    const cap = new Uint8Array([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const a = await fileWith(fs, "a", 0o755);
    fs.setxattr(ctx(), a.ino, CAP, cap, 0);
    await fs.write(ctx(), a.ino, a.fh, 3, new Uint8Array([7]), 0);
    expect(fs.listxattr(ctx(), a.ino)).not.toContain(CAP);
    fs.setxattr(ctx(), a.ino, CAP, cap, 0);
    await fs.setattr(ctx(), a.ino, setattrIn({ valid: FATTR.UID, uid: 1000 }));
    expect(fs.listxattr(ctx(), a.ino)).not.toContain(CAP);
    fs.setxattr(ctx(), a.ino, CAP, cap, 0);
    await fs.setattr(ctx(), a.ino, setattrIn({ valid: FATTR.SIZE, size: 2 }));
    expect(fs.listxattr(ctx(), a.ino)).not.toContain(CAP);
    // a chown arrives flagged KILL_SUIDGID too: root's chown keeps set-group-ID without group execute
    await fs.setattr(ctx(), a.ino, setattrIn({ valid: FATTR.MODE, mode: 0o6745 }));
    await fs.setattr(ctx(), a.ino, setattrIn({ valid: FATTR.UID | FATTR.GID | FATTR.KILL_SUIDGID, uid: 1001, gid: 1001 }));
    expect(await mode(fs, a.ino)).toBe(0o2745);
    fs.setxattr(ctx(), a.ino, "user.other", cap, 0);
    await fs.write(ctx(), a.ino, a.fh, 0, new Uint8Array([7]), 0);
    expect(fs.listxattr(ctx(), a.ino)).toContain("user.other"); // only the capability goes
    await fs.close();
  });

  test("a flagged truncate (setattr) and a flagged O_TRUNC open clear suid; sgid without group execute stays for the group", async () => {
    const fs = await (await newWorld()).open();
    const a = await fileWith(fs, "a", 0o6755);
    await fs.setattr(ctx(), a.ino, setattrIn({ valid: FATTR.SIZE | FATTR.KILL_SUIDGID, size: 3 }));
    expect(await mode(fs, a.ino)).toBe(0o755);
    const b = await fileWith(fs, "b", 0o6745);
    await fs.setattr(ctx(0, 0), b.ino, setattrIn({ valid: FATTR.SIZE | FATTR.KILL_SUIDGID, size: 3 }));
    expect(await mode(fs, b.ino)).toBe(0o2745);
    await fs.setattr(ctx(1000, 1000), b.ino, setattrIn({ valid: FATTR.SIZE | FATTR.KILL_SUIDGID, size: 2 }));
    expect(await mode(fs, b.ino)).toBe(0o745);
    const c = await fileWith(fs, "c", 0o4755);
    await fs.release(ctx(), c.ino, c.fh, 0);
    const kept = await fs.open(ctx(), c.ino, 2 | 0o1000, 0); // O_RDWR|O_TRUNC by a CAP_FSETID caller
    expect(await mode(fs, c.ino)).toBe(0o4755);
    const killed = await fs.open(ctx(), c.ino, 2 | 0o1000, FUSE_OPEN_KILL_SUIDGID);
    expect(await mode(fs, c.ino)).toBe(0o755);
    expect((await fs.getattr(ctx(), c.ino, undefined)).attr.size).toBe(0);
    await fs.release(ctx(), c.ino, kept.fh, 0);
    await fs.release(ctx(), c.ino, killed.fh, 0);
    await fs.close();
  });
});
