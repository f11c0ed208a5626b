// The reader-Worker fast path on a real mount: handlers answer in Workers, FORWARD reaches the main thread, lookups are noted.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { ENOENT, FuseError, mountFuse, type FuseSession } from "../../src/fs/fuse/index.ts";
import { fileAttr } from "./fuse-worker-fixture.ts";
import { cleanupMount, py, tempMountpoint } from "./fuse-support.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

let session: FuseSession | null = null;
let mp = "";
afterEach(async () => {
  if (session) await Promise.race([session.unmount({ lazy: true }).catch(() => {}), Bun.sleep(5000)]);
  session = null;
  cleanupMount(mp);
});

test("Worker handlers answer, FORWARD goes to the main thread, lookups are reported", async () => {
  mp = tempMountpoint("fuse-worker");
  const mainLookups: string[] = [];
  const noted = new Map<number, number>();
  const forgotten = new Map<number, number>();
  const lines: string[] = [];
  session = await mountFuse(
    {
      lookup(_c, _p, name) {
        mainLookups.push(name);
        if (name === "m") expect(noted.get(2)).toBe(3);
        if (name !== "m") throw new FuseError(ENOENT);
        return { nodeid: 3, generation: 0, entryValid: 0, attrValid: 0, attr: fileAttr(3) };
      },
      getattr: (_c, nodeid) => ({ attrValid: 0, attr: fileAttr(nodeid) }),
      noteLookup: (id, n) => void noted.set(id, (noted.get(id) ?? 0) + n),
      forget: (id, n) => void forgotten.set(id, (forgotten.get(id) ?? 0) + n),
    },
    {
      mountpoint: mp, readers: 2, workerModule: new URL("./fuse-worker-fixture.ts", import.meta.url).pathname,
      workerData: { wNode: 2 }, debug: (l) => lines.push(l),
    },
  );
  await session.ready;
  const r = await py(
    `
import os, sys, errno
d = sys.argv[1]
out = []
for n in ["w1", "w2", "w3", "m", "w-missing", "nope"]:
    try: out.append(os.stat(d + "/" + n).st_ino)
    except OSError as e: out.append(errno.errorcode[e.errno])
print(out)
`,
    mp,
  );
  expect(r.stderr).toBe("");
  expect(r.stdout.trim()).toBe("[2, 2, 2, 3, 'ENOENT', 'ENOENT']");
  expect(mainLookups).toEqual(["m", "nope"]); // w* answered in Workers
  // Worker lookups reach noteLookup before the main thread serves any later request (here: LOOKUP "m")
  expect(noted.get(2)).toBe(3);
  expect(lines.some((l) => /^r\d <- #\d+ LOOKUP .*name="w1"/.test(l))).toBe(true);
  expect(lines.some((l) => /^<- #\d+ LOOKUP .*name="m"/.test(l))).toBe(true);
  await session.unmount();
  session = null;
}, 120_000);
