// Mount smoke test of examples/nullfs.ts (the Worker fast path), served by a child process, as root and as `nobody`.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, chownSync, statSync } from "node:fs";
import { listMounts } from "../../src/fs/fuse/index.ts";
import { cleanupMount, isMounted, py, REPO, run, startServer, tempMountpoint } from "./fuse-support.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const mounts: string[] = [];
afterEach(() => {
  for (const mp of mounts.splice(0)) cleanupMount(mp);
});

const PROBE = `
import os, sys, errno
d = sys.argv[1]
st = os.stat(d)
print(oct(st.st_mode), st.st_nlink)
print(sorted(os.listdir(d)))
try:
    os.stat(d + "/missing")
    print("found?!")
except OSError as e:
    print(errno.errorcode[e.errno])
print(os.statvfs(d).f_namemax)
`;

describe("nullfs", () => {
  test("serves an empty read-only root from reader Workers and exits 0 on SIGTERM", async () => {
    const mp = tempMountpoint("nullfs");
    mounts.push(mp);
    const s = await startServer(["bun", `${REPO}/examples/nullfs.ts`, mp, "--debug"]);
    expect(s.output()).toContain(`ready ${mp}`);
    expect(await isMounted(mp)).toBe(true);
    const r = await py(PROBE, mp);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual(["0o40555 2", "[]", "ENOENT", "255", ""]);
    const w = await run(["sh", "-c", `touch ${mp}/x`]);
    expect(w.code).not.toBe(0);
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
    expect(await isMounted(mp)).toBe(false); // the server unmounted itself
    await s.stop();
    // --debug: one line per request and per reply, the fast-path ones answered in reader Workers ("rN")
    expect(s.output()).toMatch(/<- #\d+ INIT /);
    expect(s.output()).toMatch(/r\d <- #\d+ LOOKUP node=1 .*name="missing"/);
    expect(s.output()).toMatch(/r\d -> #\d+ ENOENT 16B/);
  }, 120_000);

  test("a mountpoint that is missing or already mounted is refused with a clear error", async () => {
    const bad = await run(["bun", `${REPO}/examples/nullfs.ts`, "/tmp/coffer-does-not-exist-xyz"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("does not exist");
    const mp = tempMountpoint("nullfs2");
    mounts.push(mp);
    const s = await startServer(["bun", `${REPO}/examples/nullfs.ts`, mp]);
    const again = await run(["bun", `${REPO}/examples/nullfs.ts`, mp]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already a mount point");
    s.proc.kill("SIGINT");
    expect(await s.proc.exited).toBe(0);
    await s.stop();
  }, 120_000);

  test("mounts as an unprivileged user through fusermount3 (fd passed back with SCM_RIGHTS)", async () => {
    // fusermount3 opens /dev/fuse with the caller's rights: make it 0666 (the usual distro default) for the test.
    const mode = statSync("/dev/fuse").mode & 0o777;
    chmodSync("/dev/fuse", 0o666);
    const mp = tempMountpoint("nullfs-user");
    mounts.push(mp);
    chownSync(mp, 65534, 65534);
    const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
    try {
      const s = await startServer([...asNobody, "bun", `${REPO}/examples/nullfs.ts`, mp], { env: { HOME: "/tmp" } });
      const m = listMounts().find((x) => x.mountpoint === mp);
      expect(m?.fstype).toBe("fuse.nullfs");
      expect(m?.options).toContain("user_id=65534");
      expect(m?.options).toContain("nodev");
      const r = await run([...asNobody, "/usr/bin/python3", "-c", PROBE, mp]);
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\n")).toEqual(["0o40555 2", "[]", "ENOENT", "255", ""]);
      s.proc.kill("SIGTERM");
      expect(await s.proc.exited).toBe(0);
      expect(await isMounted(mp)).toBe(false);
      await s.stop();
    } finally {
      chmodSync("/dev/fuse", mode);
    }
  }, 120_000);
});
