// Shared helpers of the POSIX suite: a fresh directory per test, errno assertions, and the suite's options.

import { expect } from "bun:test";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

export interface PosixSuiteOptions {
  /**
   * The directory is a plain local filesystem used as the control: limits of that filesystem which the
   * suite does not require of Coffer (ext4's 4 KiB xattr values, a missing xattr namespace) skip the one
   * assertion with a printed reason instead of failing.
   */
  control?: boolean;
  /** Run the checks that switch to uid 65534 (needs `allow_other` on a FUSE mount). Default true. */
  nonRootAccess?: boolean;
}

export interface SuiteContext {
  name: string;
  opts: PosixSuiteOptions;
  /** A new empty directory for one test, inside the directory under test. */
  fresh(label: string): string;
  /** Logs why an assertion was skipped, so a skipped check is visible in the output. */
  skip(what: string, why: string): void;
}

export function makeContext(name: string, getDir: () => string, opts: PosixSuiteOptions): SuiteContext {
  let counter = 0;
  return {
    name,
    opts,
    fresh(label) {
      const base = getDir();
      // A mount that died leaves its empty directory on the disk beneath: never test (nor fill) that disk.
      if (!opts.control && statSync(base).dev === statSync(dirname(base)).dev) {
        throw new Error(`${base} is no longer a mount of the filesystem under test (it died?): refusing to run on the disk beneath`);
      }
      const dir = join(base, `${label.replace(/[^A-Za-z0-9_-]+/g, "-")}-${++counter}`);
      mkdirSync(dir, { mode: 0o755 });
      return dir;
    },
    skip(what, why) {
      console.warn(`[posix ${name}] skipped: ${what}: ${why}`);
    },
  };
}

/** The `code` ("ENOENT") of what `fn` throws; fails if it does not throw. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  throw new Error("expected an error, the call succeeded");
}

export function expectCode(fn: () => unknown, code: string): void {
  expect(codeOf(fn)).toBe(code);
}

/** Lets a filesystem with coarse timestamps see a later time (ext4 ticks every few ms). */
export function tick(): void {
  Bun.sleepSync(15);
}
