// `coffer mount --max-connections`: a bad value is one line before anything happens; a good one sizes the store's limit.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountCommand } from "../../../src/cli/mount.ts";
import { openStore } from "../../../src/fs/mount.ts";
import { LimitBackend } from "../../../src/fs/store/limit.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("--max-connections", () => {
  test("a value that is not a whole number >= 1 is refused with one line naming the option", async () => {
    for (const bad of ["many", "0", "2.5", "-3"]) {
      const err = await mountCommand("local:///nonexistent", "/nonexistent", { maxConnections: bad }).catch((e) => e);
      expect(String(err?.message)).toMatch(/^--max-connections (takes a whole number|must be at least 1)$/);
    }
  });

  test("it overrides the connections backend option as the store's limit on requests in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coffer-maxconn-"));
    try {
      const auth = { backendOptions: { connections: "5" } } as Parameters<typeof openStore>[1];
      const withOption = openStore(`local://${dir}`, auth);
      expect((withOption as LimitBackend).maxConcurrent).toBe(5);
      const overridden = openStore(`local://${dir}`, auth, 3);
      expect(overridden).toBeInstanceOf(LimitBackend);
      expect((overridden as LimitBackend).maxConcurrent).toBe(3);
      await withOption.close();
      await overridden.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
