// The POSIX behaviour suite: one set of bun:test tests, run on every filesystem (memfs, Coffer) and on a plain directory.
//
// Tests use node:fs (and python3 children for what node lacks) on paths under `getDir()`, so the
// filesystem under test must be served by another process than the one running the tests. Each test
// works in a fresh subdirectory of `getDir()`. Reuse from a mount test (see tests/mount/memfs.test.ts):
//
//   beforeAll(async () => { mp = makeTempMountpoint(); child = await startMountChild([...cmd, mp.path], mp.path); });
//   afterAll(async () => { await child?.stop(); mp?.remove(); });
//   posixSuite("coffer", () => mp.path);          // non-root checks need allow_other, or { nonRootAccess: false }

import { describe } from "bun:test";
import { aclTests } from "./posix/acl.ts";
import { attrTests } from "./posix/attrs.ts";
import { concurrencyTests } from "./posix/concurrency.ts";
import { makeContext, type PosixSuiteOptions } from "./posix/context.ts";
import { dirTests } from "./posix/dirs.ts";
import { fileTests } from "./posix/files.ts";
import { linkTests } from "./posix/links.ts";
import { newUserTests } from "./posix/new-user.ts";
import { renameTests } from "./posix/rename.ts";

export type { PosixSuiteOptions } from "./posix/context.ts";

/** Registers the suite as `describe(name)`; `getDir` is called inside the tests, after beforeAll has run. */
export function posixSuite(name: string, getDir: () => string, opts: PosixSuiteOptions = {}): void {
  const c = makeContext(name, getDir, opts);
  describe(`posix: ${name}`, () => {
    fileTests(c);
    dirTests(c);
    linkTests(c);
    renameTests(c);
    attrTests(c);
    aclTests(c);
    concurrencyTests(c);
    newUserTests(c);
  });
}
