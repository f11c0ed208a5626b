// Retry, limit and fault injection on a virtual clock: throttling and outages lose nothing; auth errors surface at once.
// The same against s3rver in real time (a 21 s outage) lives in tests/store/s3rver-faults.test.ts.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Backend, StoreError } from "../../../src/fs/store/backend.ts";
import { decodeObject, encodeObject, CorruptObjectError } from "../../../src/fs/store/codec.ts";
import { deriveFsKeys } from "../../../src/fs/crypto/keys.ts";
import { FaultyBackend } from "../../../src/fs/store/faulty.ts";
import { LimitBackend } from "../../../src/fs/store/limit.ts";
import { MemoryBackend } from "../../../src/fs/store/memory.ts";
import { RetryBackend } from "../../../src/fs/store/retry.ts";
import { FakeClock } from "./fake-clock.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const payload = (i: number, n = 4096) => new Uint8Array(n).fill(i & 0xff);

async function keysOf(b: Backend, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const o of b.list(prefix)) out.push(o.key);
  return out;
}

describe("retry over a faulty store (virtual clock)", () => {
  test("30% transient errors plus a 20-second outage: every put lands, none reported lost", async () => {
    const clock = new FakeClock();
    const mem = new MemoryBackend();
    const faulty = new FaultyBackend(mem, { errorRate: 0.3, lostAnswerRate: 0.3, seed: 42, now: clock.now });
    const retry = new RetryBackend(faulty, { sleep: clock.sleep, now: clock.now, random: () => 0.5 });
    const store = new LimitBackend(retry, 16);
    faulty.startOutage(20_000);
    const puts = Array.from({ length: 300 }, (_, i) => store.put(`data/${String(i).padStart(4, "0")}`, payload(i)));
    const results = await clock.run(Promise.allSettled(puts));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(mem.size).toBe(300);
    for (let i = 0; i < 300; i += 37) expect((await mem.get(`data/${String(i).padStart(4, "0")}`))[0]).toBe(i & 0xff);
    expect(clock.t).toBeGreaterThanOrEqual(20_000); // the outage really was waited out
    expect(faulty.injected.outageErrors).toBeGreaterThan(0);
    expect(faulty.injected.errors).toBeGreaterThan(50);
    expect(faulty.injected.lostAnswers).toBeGreaterThan(0);
    const s = store.stats();
    expect(s.retries).toBe(faulty.injected.errors + faulty.injected.outageErrors);
    expect(s.failures).toBe(0);
    expect(s.lastError?.kind).toBe("transient");
    expect(s.attempts).toBe(300 + s.retries);
  }, 120_000);

  test("gets, heads, deletes and listings survive 30% errors too", async () => {
    const clock = new FakeClock();
    const mem = new MemoryBackend();
    for (let i = 0; i < 50; i++) await mem.put(`k/${String(i).padStart(2, "0")}`, payload(i, 10));
    const faulty = new FaultyBackend(mem, { errorRate: 0.3, seed: 7, now: clock.now, listPageSize: 5 });
    const store = new RetryBackend(faulty, { sleep: clock.sleep, now: clock.now });
    const listed = await clock.run(keysOf(store, "k/"));
    expect(listed).toEqual(Array.from({ length: 50 }, (_, i) => `k/${String(i).padStart(2, "0")}`));
    const got = await clock.run(Promise.all(listed.map((k) => store.get(k))));
    expect(got.map((g) => g[0])).toEqual(listed.map((_, i) => i));
    expect((await clock.run(store.head("k/07")))?.size).toBe(10);
    await clock.run(store.deleteMany(listed.slice(0, 25)));
    await clock.run(store.delete("k/30"));
    expect(mem.size).toBe(24);
  }, 120_000);

  test("Retry-After is honoured up to its cap", async () => {
    const clock = new FakeClock();
    const faulty = new FaultyBackend(new MemoryBackend(), { errorRate: 1, retryAfterSec: 7 });
    const delays: number[] = [];
    const store = new RetryBackend(faulty, {
      sleep: clock.sleep,
      now: clock.now,
      maxElapsedMs: 60_000,
      retryAfterCapMs: 10_000,
      onRetry: (_e, _n, d) => delays.push(d),
    });
    const err = await clock.run(store.put("x", payload(1))).catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.kind).toBe("transient");
    expect(err.message).toMatch(/still failing after \d+ attempts over \d+ s/);
    expect(delays.slice(0, 3).every((d) => d >= 7000)).toBe(true); // early steps would be 100-400 ms otherwise
    expect(Math.max(...delays)).toBeLessThanOrEqual(20_000);
    expect(store.stats().failures).toBe(1);
  }, 120_000);

  test("backoff grows exponentially with jitter and is capped", () => {
    const r = new RetryBackend(new MemoryBackend(), { baseDelayMs: 100, maxDelayMs: 5000, random: () => 1 });
    const e = new StoreError("transient", "x");
    expect([0, 1, 2, 3, 10].map((n) => r.delayFor(n, e))).toEqual([100, 200, 400, 800, 5000]);
    const r0 = new RetryBackend(new MemoryBackend(), { baseDelayMs: 100, random: () => 0 });
    expect(r0.delayFor(3, e)).toBe(400); // "equal jitter": never below half the step
  }, 5000);
});

describe("the fault injector itself", () => {
  test("latency, outage window on and off, reproducible with a seed", async () => {
    const f = new FaultyBackend(new MemoryBackend(), { latencyMs: 30 });
    const t0 = performance.now();
    await f.put("a", payload(1, 1));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    f.opts = {};
    f.startOutage(60_000);
    expect(f.inOutage).toBe(true);
    expect((await f.get("a").catch((e) => e)).message).toMatch(/injected outage/);
    f.endOutage();
    expect((await f.get("a"))[0]).toBe(1);
    const pattern = (seed: number) => {
      const g = new FaultyBackend(new MemoryBackend(), { errorRate: 0.5, seed });
      return Promise.all(Array.from({ length: 20 }, (_, i) => g.put(`k${i}`, payload(i, 1)).then(() => 1, () => 0)));
    };
    expect(await pattern(5)).toEqual(await pattern(5));
  }, 5000);
});

describe("permanent errors surface at once", () => {
  test("bad credentials (auth mode): one attempt, a clear message, no retry", async () => {
    const faulty = new FaultyBackend(new MemoryBackend("fs"), { authFailure: true });
    const store = new LimitBackend(new RetryBackend(faulty), 4);
    const t0 = performance.now();
    const err = await store.put("data/x", payload(1)).catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.kind).toBe("auth");
    expect(err.message).toMatch(/^access denied by memory:\/\/fs .*check the login and password/);
    expect(faulty.injected.calls).toBe(1);
    expect(store.stats()).toMatchObject({ attempts: 1, retries: 0, failures: 1 });
    expect((await store.get("y").catch((e) => e)).kind).toBe("auth");
  }, 5000);

  test("not-found, permanent and corrupted are not retried", async () => {
    let calls = 0;
    const kinds = ["not-found", "permanent", "corrupted"] as const;
    for (const kind of kinds) {
      const inner = new MemoryBackend();
      inner.get = async () => {
        calls++;
        throw new StoreError(kind, kind);
      };
      const err = await new RetryBackend(inner).get("k").catch((e) => e);
      expect(err.kind).toBe(kind);
    }
    expect(calls).toBe(3);
  }, 5000);
});

describe("timeouts, corrupt reads, limits", () => {
  test("a hung attempt times out and is retried", async () => {
    const mem = new MemoryBackend();
    let n = 0;
    const hang = Object.create(mem) as MemoryBackend;
    hang.put = (k, d) => (++n === 1 ? new Promise<void>(() => {}) : mem.put(k, d));
    const store = new RetryBackend(hang, { attemptTimeoutMs: 50, baseDelayMs: 1 });
    await store.put("k", payload(3));
    expect(n).toBe(2);
    expect((await mem.get("k"))[0]).toBe(3);
    expect(store.stats().lastError?.message).toMatch(/timed out after/);
  }, 5000);

  test("corrupting reads are caught by the codec as authentication failures", async () => {
    const keys = deriveFsKeys(new Uint8Array(32).fill(1), false);
    const mem = new MemoryBackend();
    await mem.put("meta/1", encodeObject(keys, "meta", "meta/1", payload(9, 5000), { associated: 1 }));
    const faulty = new FaultyBackend(mem, { corruptReadRate: 1, seed: 3 });
    const err = (() => {
      return faulty.get("meta/1").then((b) => decodeObject(keys, "meta", "meta/1", b, { associated: 1 }));
    })();
    const e = await err.catch((x) => x);
    expect(e).toBeInstanceOf(CorruptObjectError);
    expect(["authentication", "misplaced", "truncated", "length", "magic", "version", "mode", "role"]).toContain(e.check);
    expect(faulty.injected.corruptions).toBe(1);
  }, 5000);

  test("the limit keeps at most N operations in flight, in FIFO order", async () => {
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const mem = new MemoryBackend();
    const slow = Object.create(mem) as MemoryBackend;
    slow.put = async (k, d) => {
      active++;
      peak = Math.max(peak, active);
      order.push(k);
      await Bun.sleep(5);
      active--;
      return mem.put(k, d);
    };
    const store = new LimitBackend(slow, 3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k${String(i).padStart(2, "0")}`, payload(i, 1))));
    expect(peak).toBe(3);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`));
    expect(store.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  }, 5000);
});
