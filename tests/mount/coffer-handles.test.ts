// NFS readiness: file handles of a Coffer mount still open after the kernel forgot the inodes (drop_caches) and after the daemon restarted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, fstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../../src/fs/crypto/aead.ts";
import { nameToHandle, openByHandle } from "../support/file-handles.ts";
import { type MountChild, makeTempMountpoint, startMountChild } from "../support/mount-child.ts";

const work = mkdtempSync(join(tmpdir(), "coffer-handles-test-"));
const storeDir = join(work, "store");
const master = Buffer.from(randomKey()).toString("hex");
let mp: ReturnType<typeof makeTempMountpoint>;
let child: MountChild | undefined;

const serve = (cacheDir: string, mkfs: boolean) =>
  startMountChild(["bun", join(import.meta.dir, "coffer-child.ts"), mp.path, storeDir, cacheDir, master, ...(mkfs ? ["--mkfs"] : [])], mp.path);

beforeAll(async () => {
  mp = makeTempMountpoint("coffer-handles-");
  child = await serve(join(work, "cache1"), true);
}, 30_000);

afterAll(async () => {
  await child?.stop();
  mp?.remove();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** The kernel drops every unused dentry and inode, so the next use of a handle must ask the daemon. */
const dropCaches = () => writeFileSync("/proc/sys/vm/drop_caches", "3");

function readByHandle(handle: Uint8Array): string {
  const fd = openByHandle(mp.path, handle);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function isDirByHandle(handle: Uint8Array): boolean {
  const fd = openByHandle(mp.path, handle);
  try {
    return fstatSync(fd).isDirectory();
  } finally {
    closeSync(fd);
  }
}

describe("coffer: file handles (LOOKUP of '.' and '..', stable node ids)", () => {
  test("handles open after drop_caches and after the daemon restarts; a removed file's handle is stale", async () => {
    const dir = join(mp.path, "share", "deep");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(mp.path, "top.txt"), "top");
    writeFileSync(join(dir, "inner.txt"), "inner");
    writeFileSync(join(dir, "gone.txt"), "gone");
    const top = nameToHandle(join(mp.path, "top.txt"));
    const inner = nameToHandle(join(dir, "inner.txt"));
    const gone = nameToHandle(join(dir, "gone.txt"));
    const deep = nameToHandle(dir);

    expect(readByHandle(inner)).toBe("inner");
    dropCaches();
    // a forgotten regular file: the kernel asks LOOKUP(node, ".") (ENOTDIR here used to mean ESTALE)
    expect(readByHandle(top)).toBe("top");
    expect(readByHandle(inner)).toBe("inner");
    expect(isDirByHandle(deep)).toBe(true);

    unlinkSync(join(dir, "gone.txt"));
    dropCaches();
    expect(() => readByHandle(gone)).toThrow(/ESTALE/);

    await child!.stop(); // unmount, everything stored
    child = await serve(join(work, "cache2"), false); // a new daemon with an empty cache: ids come from the store
    expect(readByHandle(top)).toBe("top");
    expect(readByHandle(inner)).toBe("inner");
    expect(isDirByHandle(deep)).toBe(true);
    expect(() => readByHandle(gone)).toThrow(/ESTALE/);
    dropCaches();
    expect(readByHandle(inner)).toBe("inner");
  }, 120_000);
});
