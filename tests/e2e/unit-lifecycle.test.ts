// The generated systemd unit's life without systemd: start (READY, STATUS, WATCHDOG), write 200 MB, stop over a slow
// link (STOPPING, EXTEND_TIMEOUT_USEC while the flush runs), then everything is in the store.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { startS3rver, type S3rverHandle } from "../support/s3rver.ts";
import { startSlowLink, type SlowLink } from "../support/slow-link.ts";
import { UnitRunner } from "../support/unit-runner.ts";
import { parseProvisionConfig, renderUnit } from "../../src/provision/index.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const MiB = 1 << 20;
const WRITE_BYTES = 200 * MiB;
/** Slow enough that the stop's flush takes seconds (the daemon then has to extend the stop timeout). */
const LINK_BYTES_PER_SECOND = 25 * MiB;

/** The unit exactly as `coffer provision` renders it (src/provision), for this test's store and paths. */
function unitText(p: { authfile: string; cacheDir: string; url: string; mountpoint: string }): string {
  return renderUnit(
    parseProvisionConfig({
      storageUrl: p.url,
      mountpoint: p.mountpoint,
      authfile: p.authfile,
      cacheDir: p.cacheDir,
      fsid: "5f0c1e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b",
      owner: { user: "root", group: "root", uid: 0, gid: 0 },
      rootMode: "0755",
    }),
  );
}

function sha256File(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(4 * MiB);
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

describe("the generated unit's life cycle, run without systemd", () => {
  const box = new CofferSandbox();
  const mnt = box.dir("mnt");
  let s3: S3rverHandle;
  let link: SlowLink;
  let runner: UnitRunner | null = null;
  let url = "";

  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.createBucket("unit");
    link = await startSlowLink(s3.port, LINK_BYTES_PER_SECOND);
    url = `s3c://127.0.0.1:${link.port}/unit/fs`;
    box.addAuth(url, { "backend-login": s3.creds.login, "backend-password": s3.creds.password, "backend-options": "no-ssl", "fs-passphrase": "unit life" });
    const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await runner?.cleanup();
    if (isMounted(mnt)) Bun.spawnSync(["umount", "-l", mnt]);
    await box.cleanup();
    await link?.stop();
    await s3?.stop();
  }, 120_000);

  test("READY, STATUS and WATCHDOG at start; STOPPING and EXTEND_TIMEOUT_USEC during a 200 MB stop flush; all stored", async () => {
    const unitPath = join(box.root, "coffer-test.service");
    writeFileSync(unitPath, unitText({ authfile: box.authfile, cacheDir: box.dir("cache-unit"), url, mountpoint: mnt }));
    runner = new UnitRunner(unitPath, process.env, 2_000_000);

    // A crashed daemon left a dead mount ("transport endpoint is not connected"): ExecStartPre must clear it.
    const crashed = await box.mount(url, mnt, ["--cachedir", box.dir("cache-crashed")]);
    expect(crashed.code).toBe(0);
    process.kill(box.daemonPid(mnt)!, "SIGKILL");
    box.forget(mnt);
    await Bun.sleep(500);
    expect(isMounted(mnt)).toBe(true);

    const ready = await runner.start();
    expect(ready.pid).toBe(runner.mainPid!); // sent by the daemon itself, so NotifyAccess=main accepts it
    expect(ready.fields.get("READY")).toBe("1");
    expect(isMounted(mnt)).toBe(true);
    const status = await runner.waitFor("STATUS", 60_000, runner.messages.indexOf(ready) + 1);
    expect(status.fields.get("STATUS")).toMatch(/dirty/);
    await runner.waitFor("WATCHDOG", 30_000);

    // 200 MB of random data: no compression or dedup can shrink what the stop has to upload.
    const hash = createHash("sha256");
    const fd = openSync(join(mnt, "big.bin"), "w");
    for (let written = 0; written < WRITE_BYTES; written += 4 * MiB) {
      const chunk = randomBytes(4 * MiB);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    writeFileSync(join(mnt, "note.txt"), "written through the unit\n");

    const stopFrom = runner.messages.length;
    const started = Date.now();
    const stopped = await runner.stop();
    const stopMs = Date.now() - started;
    expect(stopped.killed).toBe(false);
    expect(stopped.exitCode).toBe(0);
    expect(isMounted(mnt)).toBe(false);
    const during = runner.messages.slice(stopFrom);
    expect(during.some((m) => m.fields.get("STOPPING") === "1")).toBe(true);
    const extensions = during.filter((m) => m.fields.has("EXTEND_TIMEOUT_USEC")).map((m) => Number(m.fields.get("EXTEND_TIMEOUT_USEC")));
    expect(extensions.length).toBeGreaterThanOrEqual(1);
    for (const usec of extensions) expect(usec).toBeGreaterThan(0);
    console.log(`stop took ${stopMs} ms with ${extensions.length} EXTEND_TIMEOUT_USEC (${extensions.map((u) => `${Math.round(u / 1e6)} s`).join(", ")})`);

    // Everything is in the store: mount again with an empty cache and compare.
    const again = await box.mount(url, mnt, ["--cachedir", box.dir("cache-empty")]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(sha256File(join(mnt, "big.bin"))).toBe(hash.digest("hex"));
    expect(await Bun.file(join(mnt, "note.txt")).text()).toBe("written through the unit\n");
    expect((await box.umount(mnt)).code).toBe(0);
  }, 600_000);
});
