// The random-ops suite on a plain directory of the local disk: the control for the model itself.

import { afterAll, beforeAll, setDefaultTimeout } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { randomOpsSuite } from "../suites/random-ops.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

let dir = "";

beforeAll(() => {
  dir = mkdtempSync("/var/tmp/coffer-random-ops-control-");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

randomOpsSuite("plain directory (control)", () => dir);
