// NFS readiness: file handles of a Coffer mount (the real daemon) still open after the kernel forgot the inodes (drop_caches) and after the daemon restarted.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, fstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";
import { nameToHandle, openByHandle } from "../support/file-handles.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const box = new CofferSandbox();
const url = `local://${box.dir("store")}`;
const mnt = box.dir("mnt");

async function mount(cache: string): Promise<void> {
  const r = await box.mount(url, mnt, ["--cachedir", box.dir(cache)]);
  if (r.code !== 0) throw new Error(`coffer mount failed: ${r.stderr}`);
}

beforeAll(async () => {
  box.addAuth(url, { "fs-passphrase": "handles test passphrase" });
  const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
  if (made.code !== 0) throw new Error(`coffer mkfs failed: ${made.stderr}`);
  await mount("cache1");
}, 60_000);

afterAll(() => box.cleanup(), 60_000);

/** The kernel drops every unused dentry and inode, so the next use of a handle must ask the daemon. */
const dropCaches = () => writeFileSync("/proc/sys/vm/drop_caches", "3");

function readByHandle(handle: Uint8Array): string {
  const fd = openByHandle(mnt, handle);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function isDirByHandle(handle: Uint8Array): boolean {
  const fd = openByHandle(mnt, handle);
  try {
    return fstatSync(fd).isDirectory();
  } finally {
    closeSync(fd);
  }
}

describe("coffer: file handles (LOOKUP of '.' and '..', stable node ids)", () => {
  test("handles open after drop_caches and after the daemon restarts; a removed file's handle is stale", async () => {
    const dir = join(mnt, "share", "deep");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(mnt, "top.txt"), "top");
    writeFileSync(join(dir, "inner.txt"), "inner");
    writeFileSync(join(dir, "gone.txt"), "gone");
    const top = nameToHandle(join(mnt, "top.txt"));
    const inner = nameToHandle(join(dir, "inner.txt"));
    const gone = nameToHandle(join(dir, "gone.txt"));
    const deep = nameToHandle(dir);

    expect(readByHandle(inner)).toBe("inner");
    dropCaches();
    // a forgotten regular file: the kernel asks LOOKUP(node, "."), ENOTDIR here used to mean ESTALE;
    // a forgotten directory is reconnected to the root through LOOKUP(dir, "..")
    expect(readByHandle(top)).toBe("top");
    expect(readByHandle(inner)).toBe("inner");
    expect(isDirByHandle(deep)).toBe(true);

    unlinkSync(join(dir, "gone.txt"));
    dropCaches();
    expect(() => readByHandle(gone)).toThrow(/ESTALE/);

    expect((await box.umount(mnt)).code).toBe(0); // the daemon stores everything and exits
    await mount("cache2"); // a new daemon with an empty cache: ids and generations come from the store
    expect(readByHandle(top)).toBe("top");
    expect(readByHandle(inner)).toBe("inner");
    expect(isDirByHandle(deep)).toBe(true);
    expect(() => readByHandle(gone)).toThrow(/ESTALE/);
    dropCaches();
    expect(readByHandle(inner)).toBe("inner");
  }, 120_000);
});
