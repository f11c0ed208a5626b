// Assertions for refused commands: exit ≠ 0 with one line on stderr, and a store left exactly as it was.
import { expect } from "bun:test";
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Expects a refusal: exit ≠ 0 and exactly one line on stderr matching `pattern`. */
export function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
}

/** Every object file of a local:// store with its size and mtime: compare two calls to show nothing changed. */
export function storeListing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile() && e.name.endsWith("#"))
    .map((e) => {
      const s = statSync(join(e.parentPath, e.name));
      return `${join(e.parentPath, e.name)} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}
