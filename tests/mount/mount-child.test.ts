// The mount-child harness itself: failures carry the child's output, and stop() leaves no mount behind.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { isMountpoint } from "../../src/fs/fuse/index.ts";
import { startMountChild, withMountChild, withTempMountpoint } from "../support/mount-child.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const MEMFS = join(import.meta.dir, "../../examples/memfs.ts");

describe("startMountChild", () => {
  test("a child that exits early fails with its stderr", async () => {
    await withTempMountpoint(async (mp) => {
      const start = startMountChild(["sh", "-c", "echo 'cannot mount: reason' >&2; exit 3"], mp, { timeoutMs: 5_000 });
      await expect(start).rejects.toThrow(/exited with 3[\s\S]*cannot mount: reason/);
    });
  }, 60_000);

  test("a child that never gets ready fails after the timeout and is killed", async () => {
    await withTempMountpoint(async (mp) => {
      const t0 = Date.now();
      await expect(startMountChild(["sleep", "120"], mp, { timeoutMs: 300 })).rejects.toThrow(/no "ready" line within 300 ms/);
      expect(Date.now() - t0).toBeLessThan(60_000); // killed, not waited for
    });
  }, 120_000);

  test("stop() kills a child that ignores SIGTERM", async () => {
    await withTempMountpoint(async (mp) => {
      const script = `import signal, time, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready ${mp}", flush=True); time.sleep(120)`;
      const child = await startMountChild(["python3", "-c", script], mp, { timeoutMs: 5_000 });
      const t0 = Date.now();
      await child.stop({ timeoutMs: 300 });
      expect(child.proc.signalCode).toBe("SIGKILL");
      expect(Date.now() - t0).toBeLessThan(40_000); // killed, not waited for (it sleeps 120 s)
    });
  }, 120_000);

  test("memfs: ready means mounted; stop() unmounts; a SIGKILLed server's dead mount is cleaned up too", async () => {
    await withMountChild((mp) => ["bun", "run", MEMFS, mp], async (child) => {
      expect(isMountpoint(realpathSync(child.mountpoint))).toBe(true);
      await child.stop();
      expect(child.proc.exitCode).toBe(0);
      expect(isMountpoint(realpathSync(child.mountpoint))).toBe(false);
    });
    await withMountChild((mp) => ["bun", "run", MEMFS, mp], async (child) => {
      child.proc.kill("SIGKILL");
      await child.proc.exited;
      const mp = child.mountpoint;
      await child.stop();
      expect(isMountpoint(mp)).toBe(false);
    });
  }, 120_000);

  test("the watchdog kills a hung server, so a blocked call fails instead of hanging the run", async () => {
    await withMountChild(
      (mp) => ["bun", "run", MEMFS, mp],
      async (child) => {
        child.proc.kill("SIGSTOP"); // the server stops answering; the next request blocks
        const t0 = Date.now();
        let code = "";
        try {
          statSync(`${child.mountpoint}/anything`);
        } catch (e) {
          code = (e as { code?: string }).code ?? String(e);
        }
        // ECONNABORTED when FUSE_ABORT_ERROR was negotiated, ENOTCONN otherwise.
        expect(["ECONNABORTED", "ENOTCONN"]).toContain(code);
        expect(Date.now() - t0).toBeLessThan(60_000); // the watchdog's 1.5 s, not the test's timeout
        await child.proc.exited;
        expect(child.proc.signalCode).toBe("SIGKILL");
      },
      { watchdogMs: 1_500 },
    );
  }, 180_000);
});
