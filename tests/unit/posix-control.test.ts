// The POSIX suite on a plain directory of the local disk: the control that shows the suite itself is right.

import { afterAll, beforeAll, setDefaultTimeout } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { posixSuite } from "../suites/posix.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

let dir = "";

beforeAll(() => {
  // /var/tmp, not /tmp: on some machines /tmp is a tmpfs without user xattrs.
  dir = mkdtempSync("/var/tmp/coffer-posix-control-");
  chmodSync(dir, 0o755); // the non-root checks must be able to reach inside
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

posixSuite("plain directory (control)", () => dir, { control: true });
