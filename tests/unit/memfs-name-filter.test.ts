// memfs's shared NameFilter: never says "absent" for a name that is present, across adds and removes.
import { expect, setDefaultTimeout, test } from "bun:test";
import { NameFilter } from "../../examples/memfs/name-filter.ts";
import { mulberry32 } from "../../src/fs/store/faulty.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

test("no false negatives; removed names are mostly reported absent", () => {
  const filter = new NameFilter();
  const present = new Set<string>();
  const rng = mulberry32(7);
  for (let i = 0; i < 20000; i++) {
    const parent = 1 + Math.floor(rng() * 50);
    const name = `n${Math.floor(rng() * 2000)}`;
    const key = `${parent}/${name}`;
    if (present.has(key)) {
      filter.remove(parent, name);
      present.delete(key);
    } else {
      filter.add(parent, name);
      present.add(key);
    }
  }
  for (const key of present) {
    const [parent, name] = key.split("/");
    expect(filter.mayContain(Number(parent), name!)).toBe(true);
  }
  let falsePositives = 0;
  for (let i = 0; i < 10000; i++) if (filter.mayContain(999, `absent${i}`)) falsePositives++;
  expect(falsePositives).toBeLessThan(10);
});

test("a second view of the same shared memory sees the main thread's names", () => {
  const main = new NameFilter();
  const worker = new NameFilter(main.buffer);
  expect(worker.mayContain(1, "x")).toBe(false);
  main.add(1, "x");
  expect(worker.mayContain(1, "x")).toBe(true);
  main.remove(1, "x");
  expect(worker.mayContain(1, "x")).toBe(false);
});
