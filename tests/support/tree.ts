// Trees to copy into a mount and compare: a private copy of a system tree (never compared live), cp -a, diff -r, and the remount round trip.
//
// Comparing with /usr/include itself failed under load: packages were being installed into it while the
// test ran. So each test process copies the tree once to a private place and every copy and diff uses that.

import { expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";

const copies = new Map<string, string>();

/** A private, unchanging copy of `source`, made once per test process and removed at its exit. */
export function privateTree(source = "/usr/include"): string {
  const made = copies.get(source);
  if (made) return made;
  const root = mkdtempSync("/var/tmp/coffer-tree-");
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, basename(source));
  // a package manager may change the source while we copy: try again on a clean slate
  for (let attempt = 1; ; attempt++) {
    const cp = Bun.spawnSync(["cp", "-a", source, dir], { stderr: "pipe" });
    if (cp.exitCode === 0) break;
    rmSync(dir, { recursive: true, force: true });
    if (attempt === 3) throw new Error(`copying ${source} to ${dir} failed: ${cp.stderr.toString().slice(0, 2000)}`);
  }
  copies.set(source, dir);
  return dir;
}

/** cp -a of the private copy of `source` to `dest` (which must not exist); returns that private copy. */
export function copyTreeInto(dest: string, source?: string): string {
  const src = privateTree(source);
  const cp = Bun.spawnSync(["cp", "-a", src, dest], { stderr: "pipe" });
  expect(cp.stderr.toString()).toBe("");
  expect(cp.exitCode).toBe(0);
  return src;
}

/** diff -r --no-dereference of two trees: "" when equal, else the start of what differs. */
export function treeDiff(a: string, b: string): string {
  const diff = Bun.spawnSync(["diff", "-r", "--no-dereference", a, b], { stdout: "pipe", stderr: "pipe" });
  const out = diff.stdout.toString().slice(0, 4000) + diff.stderr.toString();
  return diff.exitCode === 0 ? out : out || `diff exited ${diff.exitCode}`;
}

/**
 * The durability round trip: copy a tree into `dest` on a mount, `remount` (unmount, mount again with an
 * empty cache so everything comes from the store), and diff the tree read back against its source.
 */
export async function copyRemountDiff(dest: string, remount: () => Promise<void>, source?: string): Promise<void> {
  const src = copyTreeInto(dest, source);
  await remount();
  expect(treeDiff(src, dest)).toBe("");
}
