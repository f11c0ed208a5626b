// The mount's FUSE writeback cache end to end: O_APPEND of many tiny records (issue 11's 3-million-record case, smaller) and `coffer flush` of pages the kernel still caches.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const box = new CofferSandbox();
const mnt = box.dir("mnt");
const url = `local://${box.dir("store")}`;

beforeAll(async () => {
  box.addAuth(url, { "fs-passphrase": "append records" });
  const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
  expect(made.stderr).toBe("");
}, 60_000);
afterAll(() => box.cleanup(), 120_000);

/** Appends records first..first+n-1 (4 bytes each, little-endian) with one write(2) each. */
function appendRecords(path: string, first: number, n: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o644);
  try {
    const rec = Buffer.alloc(4);
    for (let i = first; i < first + n; i++) {
      rec.writeUInt32LE(i);
      expect(writeSync(fd, rec)).toBe(4);
    }
  } finally {
    closeSync(fd);
  }
}

describe("O_APPEND records", () => {
  test("30,000 appends of 4 bytes over two opens (two writers at once in between): all there after a remount with an empty cache", async () => {
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache1")])).code).toBe(0);
    const log = join(mnt, "records.log");
    appendRecords(log, 0, 10_000);
    // two descriptors appending in turn: each write lands at the end the other one left
    const a = openSync(log, constants.O_WRONLY | constants.O_APPEND);
    const b = openSync(log, constants.O_WRONLY | constants.O_APPEND);
    const rec = Buffer.alloc(4);
    for (let i = 10_000; i < 20_000; i++) {
      rec.writeUInt32LE(i);
      writeSync(i % 2 ? b : a, rec);
    }
    closeSync(a);
    closeSync(b);
    appendRecords(log, 20_000, 10_000);
    expect(statSync(log).size).toBe(120_000);
    const done = await box.umount(mnt);
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);

    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache2")])).code).toBe(0); // nothing local: all from the store
    const data = readFileSync(log);
    expect(data.length).toBe(120_000);
    const wrong: number[] = [];
    for (let i = 0; i < 30_000; i++) if (data.readUInt32LE(4 * i) !== i) wrong.push(i);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect((await box.umount(mnt)).code).toBe(0);
  });

  test("coffer flush stores what a still-open file wrote into the kernel's cache: it survives kill -9 and a remount with an empty cache", async () => {
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache3")])).code).toBe(0);
    writeFileSync(join(mnt, "closed.txt"), "closed before the flush\n");
    const open = openSync(join(mnt, "open.txt"), "w");
    try {
      writeSync(open, "written, still open, not fsynced\n"); // a page in the kernel's write-back cache
      const flushed = await box.coffer(["flush", mnt]);
      expect(flushed.stderr).toBe("");
      expect(flushed.code).toBe(0);
      await box.killDaemon(mnt); // nothing more reaches the store
    } finally {
      try {
        closeSync(open);
      } catch {} // the mount is gone: close may fail
    }
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache4")])).code).toBe(0);
    expect(readFileSync(join(mnt, "closed.txt"), "utf8")).toBe("closed before the flush\n");
    expect(readFileSync(join(mnt, "open.txt"), "utf8")).toBe("written, still open, not fsynced\n");
    expect((await box.umount(mnt)).code).toBe(0);
  });
});
