// Every test file sets its default timeout: bun test's is 5 s and ignores bunfig, which failed tests under load.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const TESTS = join(import.meta.dir, "..");

test("each *.test.ts calls setDefaultTimeout at the top level", () => {
  const files = [...new Bun.Glob("**/*.test.ts").scanSync(TESTS)];
  expect(files.length).toBeGreaterThan(30);
  const missing = files.filter((f) => !/^setDefaultTimeout\(\d[\d_]*\);/m.test(readFileSync(join(TESTS, f), "utf8")));
  expect(missing).toEqual([]);
});
