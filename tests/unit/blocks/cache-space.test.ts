// The cache's room accounting and back-pressure as pure parts: LRU eviction under two caps, vetoes, admission, pacing.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { BackPressure, LOW_WATER, pacedRate } from "../../../src/fs/blocks/back-pressure.ts";
import { CacheSpace, defaultMaxEntries } from "../../../src/fs/blocks/cache-space.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

/** A CacheSpace whose evictions are recorded (and forget the block, as BlockCache does); `veto` keys stay. */
function spaceWith(maxBytes: number, maxEntries: number, veto = new Set<string>()) {
  const sizes = new Map<string, number>();
  const evicted: string[] = [];
  const space: CacheSpace = new CacheSpace({ maxBytes, maxEntries }, (key) => {
    if (veto.has(key)) return false;
    evicted.push(key);
    space.resize(key, sizes.get(key), undefined, false);
    sizes.delete(key);
    return true;
  });
  const add = (key: string, size: number, dirty = false) => {
    space.resize(key, sizes.get(key), size, dirty);
    sizes.set(key, size);
  };
  return { space, evicted, add };
}

describe("CacheSpace", () => {
  test("evicts clean blocks least recently used first, never dirty ones, until the newcomer fits", () => {
    const { space, evicted, add } = spaceWith(400, 100);
    add("a", 100);
    add("b", 100);
    add("d", 100, true);
    add("c", 100);
    space.touch("a"); // a is now the most recently used clean block: b goes first
    expect(space.makeRoom(150, 1)).toBe(true);
    expect(evicted).toEqual(["b", "c"]);
    expect(space.bytes).toBe(200);
    expect(space.dirtyBytes).toBe(100);
    // only the dirty block and `keep` are left: no room for more than the cap allows
    expect(space.makeRoom(301, 1, "a")).toBe(false);
    expect(evicted).toEqual(["b", "c"]);
  });

  test("the entry cap evicts by count, whatever the bytes", () => {
    const { space, evicted, add } = spaceWith(1 << 30, 3);
    add("a", 1);
    add("b", 1);
    add("c", 1);
    expect(space.makeRoom(1, 1)).toBe(true);
    expect(evicted).toEqual(["a"]);
    expect(space.entries).toBe(2);
  });

  test("a vetoed block stays; downloads in flight count until they land", () => {
    const { space, evicted, add } = spaceWith(300, 100, new Set(["a"]));
    add("a", 100);
    add("b", 100);
    space.incoming(100, 1);
    expect(space.makeRoom(100, 1)).toBe(true);
    expect(evicted).toEqual(["b"]);
    expect(space.hasFreeRoom(101)).toBe(false); // a, the download and 100 more: the cap exactly
    space.incoming(100, -1);
    expect(space.hasFreeRoom(101)).toBe(true);
  });

  test("admission over the cap only when waiting cannot help, one at a time", () => {
    const { space, add } = spaceWith(100, 100, new Set(["pinned"]));
    add("pinned", 100); // e.g. a reservation: not evictable, not dirty
    expect(space.admit(50, 1)).toBe(true); // nothing to wait for: one goes over (within one block)
    space.incoming(50, 1);
    expect(space.admit(50, 1)).toBe(false); // the one in flight lands first
    space.incoming(50, -1);
    add("d", 50, true);
    expect(space.admit(50, 1)).toBe(false); // dirty data: uploads will make room, wait for them
    expect(space.admit(50, 1, undefined, () => true)).toBe(false);
  });

  test("a block going dirty moves its bytes to the dirty side and out of the eviction candidates", () => {
    const { space, add } = spaceWith(1000, 100);
    add("a", 100);
    space.setDirty("a", 100, true);
    expect(space.dirtyBytes).toBe(100);
    expect(space.cleanKeys()).toEqual([]);
    space.setDirty("a", 100, false);
    expect(space.dirtyBytes).toBe(0);
    expect(space.cleanKeys()).toEqual(["a"]);
  });

  test("the default entry cap is one per 4 KiB of cache, at least 1024", () => {
    expect(defaultMaxEntries(1024 ** 3)).toBe(262_144);
    expect(defaultMaxEntries(1024 * 1024)).toBe(1024);
  });
});

describe("BackPressure", () => {
  test("the paced rate is unlimited below the low water mark, the drain rate mid-band, zero at the cap, falling in between", () => {
    const drain = 50e6;
    expect(pacedRate(drain, 0.5)).toBe(Infinity);
    expect(pacedRate(drain, LOW_WATER - 0.001)).toBe(Infinity);
    expect(pacedRate(drain, (LOW_WATER + 1) / 2)).toBeCloseTo(drain, 0);
    expect(pacedRate(drain, 1)).toBe(0);
    let last = Infinity;
    for (let p = LOW_WATER + 0.01; p < 1; p += 0.01) {
      const r = pacedRate(drain, p);
      expect(r).toBeLessThan(last); // smooth: strictly falling, no step to zero before the cap
      expect(r).toBeGreaterThan(0);
      last = r;
    }
  });

  test("writers share one schedule: the second write waits for the first one's slot", () => {
    let now = 1000;
    const bp = new BackPressure(() => now);
    bp.noteDrained(8 * 1024 * 1024);
    const p = (LOW_WATER + 1) / 2; // paced at the drain rate
    const first = bp.pauseMs(64 * 1024, p);
    const second = bp.pauseMs(64 * 1024, p);
    const third = bp.pauseMs(64 * 1024, p);
    expect(first).toBe(0);
    expect(second).toBeGreaterThan(0);
    expect(third).toBeGreaterThan(second);
    // below the low water mark nobody waits, and the schedule starts afresh
    expect(bp.pauseMs(1024 * 1024, 0.1)).toBe(0);
    now += 1;
    expect(bp.pauseMs(1024 * 1024, p)).toBe(0);
  });

  test("the drain rate follows what uploads cleaned, and decays without uploads (to a floor)", () => {
    let now = 0;
    const bp = new BackPressure(() => now);
    for (let i = 0; i < 20; i++) {
      now += 100;
      bp.noteDrained(1024 * 1024); // 10 MiB/s
    }
    const busy = bp.drainRate();
    expect(busy).toBeGreaterThan(4 * 1024 * 1024);
    now += 20_000;
    expect(bp.drainRate()).toBeLessThan(busy / 10);
    expect(bp.drainRate()).toBeGreaterThan(0);
  });

  test("waiters for room wake when room may have been freed", async () => {
    const bp = new BackPressure();
    let woke = false;
    const waiting = bp.roomChange().then(() => (woke = true));
    expect(bp.waiting).toBe(1);
    bp.wake();
    await waiting;
    expect(woke).toBe(true);
    expect(bp.waiting).toBe(0);
  });
});
