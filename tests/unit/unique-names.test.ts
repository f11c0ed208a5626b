// One exported type name, one meaning: no two modules of src/ export a type, interface, class or enum of the same name.
//
// A zod schema and the type inferred from it share their name in one file; that is one declaration here.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

setDefaultTimeout(30_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const SRC = resolve(import.meta.dir, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

/** Exported type-like names of a source text (type aliases, interfaces, classes, enums, zod schemas). */
export function exportedTypeNames(text: string): string[] {
  const names = [...text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:interface|type|class|enum)\s+([A-Z][A-Za-z0-9_]*)/gm)].map((m) => m[1]!);
  return [...new Set(names)];
}

/** Names exported by more than one file, as "Name: file, file". */
export function duplicateNames(files: Map<string, string>): string[] {
  const where = new Map<string, string[]>();
  for (const [file, text] of files) for (const n of exportedTypeNames(text)) where.set(n, [...(where.get(n) ?? []), file]);
  return [...where].filter(([, fs]) => fs.length > 1).map(([n, fs]) => `${n}: ${fs.sort().join(", ")}`).sort();
}

describe("exported names in src/", () => {
  test("no two modules export a type of the same name", () => {
    const files = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f), readFileSync(f, "utf8")]));
    expect(duplicateNames(files)).toEqual([]);
  });

  test("the check finds a duplicate and accepts a schema with its inferred type", () => {
    const files = new Map([
      ["a.ts", "export interface MountOptions { x: number }\nexport const Lock = z.object({});\nexport type Lock = z.infer<typeof Lock>;\n"],
      ["b.ts", "export type MountOptions = z.infer<typeof MountOptions>;\nexport class Other {}\n"],
    ]);
    expect(duplicateNames(files)).toEqual(["MountOptions: a.ts, b.ts"]);
  });
});
