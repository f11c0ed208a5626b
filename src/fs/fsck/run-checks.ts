// Runs the fsck checks in dependency order, asking before each repair and applying it before the next check.
import { checkDanglingRows, checkIntegrity } from "./db-checks.ts";
import { checkCacheFiles } from "./cache-checks.ts";
import { checkRefcounts, checkStoreObjects } from "./object-checks.ts";
import { checkDirectoryNames, checkLinkCounts, checkReachability } from "./tree-checks.ts";
import type { FsckContext, Problem } from "./problem.ts";

export interface FoundProblem {
  title: string;
  count: number;
  examples: string[];
  repaired: boolean;
}

/*
 * Order matters: rows pointing at nothing go first (the tree is then made of real rows), the tree next
 * (purged inodes drop blocks), then the cache (a verified cache file can replace a missing object), the
 * store, and reference counts last, counted from the block map every earlier repair has settled.
 */
const CHECKS: { phase: string; run: (c: FsckContext) => Problem[] | Promise<Problem[]> }[] = [
  { phase: "database integrity", run: checkIntegrity },
  { phase: "references between tables", run: checkDanglingRows },
  { phase: "directories with several names", run: checkDirectoryNames },
  { phase: "directory tree", run: checkReachability },
  { phase: "link counts", run: checkLinkCounts },
  { phase: "cache files", run: checkCacheFiles },
  { phase: "store objects", run: checkStoreObjects },
  { phase: "reference counts", run: checkRefcounts },
];

export async function runChecks(c: FsckContext): Promise<FoundProblem[]> {
  const found: FoundProblem[] = [];
  for (const check of CHECKS) {
    c.ui.phase(check.phase, 0);
    for (const p of await check.run(c)) {
      const repaired = await c.ui.confirm(p);
      // Database changes of a repair commit together; a repair that also talks to the store (deleting
      // orphan objects) touches no rows, and its store I/O is awaited after the (empty) commit.
      if (repaired) await c.db.tx(() => p.repair());
      found.push({ title: p.title, count: p.count, examples: p.examples, repaired });
    }
  }
  return found;
}
