// A session that fails after mount(2) but before its readers run leaves no dead mount behind.
import { afterAll, afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountFuse, unmountPath } from "../../src/fs/fuse/index.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const mounted = (path: string) => readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === path);
const dir = mkdtempSync(join(tmpdir(), "coffer-startfail-"));

afterEach(() => {
  if (mounted(dir)) unmountPath(dir, { lazy: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a reader that cannot be started (workerData that cannot be cloned) unmounts and throws", async () => {
  // A function cannot be structured-cloned: new Worker() throws after mount(2) already succeeded.
  const attempt = mountFuse({}, { mountpoint: dir, readers: 1, workerData: { notCloneable: () => 1 } });
  await expect(attempt).rejects.toThrow();
  expect(mounted(dir)).toBe(false);
  expect(statSync(dir).isDirectory()).toBe(true); // usable, not "transport endpoint is not connected"
}, 20_000);
