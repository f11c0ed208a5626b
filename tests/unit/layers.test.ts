// Checks the layering of src/: every import points down (rules below) and no module cycles exist.
//
// Type-only imports count too: a type from a higher layer is a dependency on it all the same.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const SRC = resolve(import.meta.dir, "../../src");

/**
 * The layers, highest first. A module may import from its own layer group and from any lower rank.
 * Longest matching prefix wins, so `fs/mount.ts` (the composition root) sits above `fs/vfs`.
 *   cli → daemon/mount → fs/admin, fs/fsck → tui/provision → control → fs/vfs → fs/metadata → fs/blocks → fs/meta → fs/store → fs/crypto
 * fs/fuse (the kernel protocol) is beside the stack: vfs implements its interface, and it knows nothing
 * of store, meta, blocks, vfs or crypto (FORBIDDEN below). Leaves everyone may use: config, names, user-error.
 */
const RANKS: Array<[prefix: string, rank: number]> = [
  ["cli/", 100],
  ["daemon/", 95], // runs a mount: above the composition root it calls
  ["fs/mount.ts", 90], // the composition root
  ["fs/mkfs.ts", 92], // wiring beside the root (uses its store helpers)
  ["fs/unlock.ts", 92],
  ["describe-error.ts", 85], // classifies the errors of every layer below the daemon
  ["fs/admin/", 80], // offline administration: passphrase, key rotation, metadata backups, clear
  ["fs/fsck/", 80], // offline check and repair (holds the mount lock like fs/admin)
  ["tui/", 70],
  ["provision/", 70],
  ["control/", 60],
  ["fs/mount-lock.ts", 55], // a store object with the mount's record: above store, below the root
  ["fs/mount-checks.ts", 55],
  ["fs/vfs/", 50],
  ["fs/metadata/", 45], // the metadata's life: params, local copy, shipping, generations
  ["fs/blocks/", 40],
  ["fs/meta/", 30],
  ["fs/fuse/", 25],
  ["fs/store/", 20],
  ["fs/crypto/", 10],
  ["config/", 5],
  ["fs/names.ts", 5],
  ["fs/posix-acl.ts", 5], // pure ACL/mode rules shared by the vfs and the memfs example
  ["fs/fsync.ts", 5], // every fsync of the cache directory, observable by tests
  ["fs/fallocate.ts", 5], // libc fallocate for the cache's reserved blocks
  ["user-error.ts", 0],
  ["schema-issue.ts", 0], // one line for a failed schema parse, at every boundary
  ["rate-meter.ts", 0], // bytes per second of a counter: the dashboard's, the progress bars' and systemd's
  ["format-bytes.ts", 0], // sizes as people read them, everywhere they are printed
];

/** Pairs that the ranks would allow but the design forbids. */
const FORBIDDEN: Array<[from: string, to: string, why: string]> = [
  ["fs/fuse/", "fs/store/", "the FUSE protocol layer knows no store"],
  ["fs/fuse/", "fs/crypto/", "the FUSE protocol layer knows no keys"],
  ["fs/fuse/", "fs/meta/", "the FUSE protocol layer knows no SQLite"],
  ["fs/fuse/", "config/", "the FUSE protocol layer reads no configuration"],
  ["fs/meta/", "fs/fuse/", "metadata is below the protocol, not beside it"],
  ["fs/store/", "fs/fuse/", "the store knows no FUSE"],
  ["fs/crypto/", "config/", "crypto takes and returns bytes"],
];

function layerOf(file: string): { prefix: string; rank: number } | null {
  let best: { prefix: string; rank: number } | null = null;
  for (const [prefix, rank] of RANKS) {
    if (file.startsWith(prefix) && (!best || prefix.length > best.prefix.length)) best = { prefix, rank };
  }
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic `import("…")`), resolved to src-relative paths. */
export function importsOf(file: string, text = readFileSync(file, "utf8")): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter((s) => s.startsWith("."));
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sourceFiles(SRC)) g.set(relative(SRC, f), importsOf(f));
  return g;
}

/** Every edge that breaks a rule, as "from -> to: why". */
export function layerViolations(g: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, tos] of g) {
    const a = layerOf(from);
    for (const to of tos) {
      if (to.startsWith("..")) {
        out.push(`${from} -> ${to}: imports from outside src/`);
        continue;
      }
      const b = layerOf(to);
      if (!a || !b) {
        out.push(`${from} -> ${to}: ${!a ? from : to} is in no layer; add it to RANKS in tests/unit/layers.test.ts`);
        continue;
      }
      const rule = FORBIDDEN.find(([f, t]) => from.startsWith(f) && to.startsWith(t));
      if (rule) out.push(`${from} -> ${to}: ${rule[2]}`);
      else if (a.prefix !== b.prefix && a.rank <= b.rank) out.push(`${from} -> ${to}: ${a.prefix} (rank ${a.rank}) may not import ${b.prefix} (rank ${b.rank})`);
    }
  }
  return out.sort();
}

/** Module cycles (strongly connected components of more than one file, or a file importing itself). */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe("layers of src/", () => {
  test("no import runs from a lower layer to a higher one", () => {
    expect(layerViolations(graph())).toEqual([]);
  });

  test("no module cycles", () => {
    expect(cycles(graph())).toEqual([]);
  });

  test("the checker catches what it is for (an upward import, a forbidden pair, a cycle)", () => {
    const bad = new Map([
      ["fs/crypto/keys.ts", ["fs/store/backend.ts"]],
      ["fs/store/backend.ts", ["fs/crypto/keys.ts"]],
      ["fs/fuse/server.ts", ["fs/crypto/aead.ts"]],
      ["somewhere/new.ts", ["user-error.ts"]],
    ]);
    const v = layerViolations(bad);
    expect(v).toContain("fs/crypto/keys.ts -> fs/store/backend.ts: fs/crypto/ (rank 10) may not import fs/store/ (rank 20)");
    expect(v).toContain("fs/fuse/server.ts -> fs/crypto/aead.ts: the FUSE protocol layer knows no keys");
    expect(v.some((l) => l.startsWith("somewhere/new.ts -> user-error.ts: somewhere/new.ts is in no layer"))).toBe(true);
    expect(cycles(bad)).toEqual([["fs/crypto/keys.ts", "fs/store/backend.ts"]]);
  });

  test("imports are parsed in every form (type-only, re-export, multi-line, dynamic)", () => {
    const fake = `import type { A } from "../store/backend.ts";\nexport { B } from "./aead.ts";\nimport {\n  C,\n} from "../../user-error.ts";\nconst m = await import("../vfs/index.ts");\nimport "./side-effect.ts";\nimport { z } from "zod";\n`;
    expect(importsOf(join(SRC, "fs/crypto/probe.ts"), fake).sort()).toEqual([
      "fs/crypto/aead.ts", "fs/crypto/side-effect.ts", "fs/store/backend.ts", "fs/vfs/index.ts", "user-error.ts",
    ]);
  });
});
