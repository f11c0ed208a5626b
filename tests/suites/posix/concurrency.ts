// POSIX suite, concurrency: several processes create, write, verify, rename and remove files in one directory at once.

import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { PYTHON } from "../../support/pyops.ts";
import type { SuiteContext } from "./context.ts";

// Each worker checks its own files; the lister only checks that listing never fails while names churn.
const WORKER = String.raw`
import os, sys, random
d, wid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(wid)
for i in range(rounds):
    p = os.path.join(d, f"w{wid}-{i}")
    data = rng.randbytes(rng.choice([0, 1, 4095, 4096, 65537, 300000]))
    with open(p, "wb") as f: f.write(data)
    q = os.path.join(d, f"r{wid}-{i}")
    os.rename(p, q)
    with open(q, "rb") as f: back = f.read()
    if back != data: sys.exit(f"worker {wid} round {i}: read {len(back)} bytes, wrote {len(data)}, contents differ")
    sub = os.path.join(d, f"dir{wid}-{i}")
    os.mkdir(sub); os.link(q, os.path.join(sub, "l"))
    if os.stat(q).st_nlink != 2: sys.exit(f"worker {wid}: nlink {os.stat(q).st_nlink}")
    os.unlink(os.path.join(sub, "l")); os.rmdir(sub)
    if i % 2: os.unlink(q)
`;
const LISTER = String.raw`
import os, sys, time
d, until = sys.argv[1], time.time() + float(sys.argv[2])
n = 0
while time.time() < until:
    for e in os.scandir(d):
        try: e.stat(follow_symlinks=False)
        except FileNotFoundError: pass
    n += 1
print(n)
`;

export function concurrencyTests(c: SuiteContext): void {
  describe("concurrency", () => {
    test("8 processes churn one directory while another lists it", async () => {
      const d = c.fresh("concurrent");
      const rounds = 60;
      const run = (args: string[]) => Bun.spawn([PYTHON, "-I", "-c", ...args], { stdout: "pipe", stderr: "pipe" });
      const workers = Array.from({ length: 8 }, (_, w) => run([WORKER, d, String(w), String(rounds)]));
      const lister = run([LISTER, d, "3"]);
      for (const p of [...workers, lister]) {
        const code = await p.exited;
        expect(`exit ${code} ${await new Response(p.stderr).text()}`).toBe("exit 0 ");
      }
      expect(Number(await new Response(lister.stdout).text())).toBeGreaterThan(0);
      // Even rounds keep their file: 8 workers x 30.
      expect(readdirSync(d).length).toBe(8 * (rounds / 2));
    }, 120_000);
  });
}
