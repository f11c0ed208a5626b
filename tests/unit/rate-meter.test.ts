// RateMeter: bytes per second over a sliding window, with a counter that starts at zero or has a history.
import { expect, setDefaultTimeout, test } from "bun:test";
import { RateMeter } from "../../src/rate-meter.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

test("a counter with a history: unknown before two samples, then the window's rate, 0 once stalled", () => {
  const m = new RateMeter(10_000, null);
  expect(m.rate()).toBeNull();
  expect(m.sample(1 << 30, 1000)).toBe(0); // one sample: the history says nothing about the rate
  expect(m.rate()).toBeNull();
  expect(m.sample((1 << 30) + (10 << 20), 3000)).toBe(5 << 20);
  expect(m.sample((1 << 30) + (10 << 20), 30_000)).toBe(0); // stalled since: old samples leave the window
});

test("a counter that starts with the meter: the rate since the start, then over the window", () => {
  const m = new RateMeter(3000, { at: 0, total: 0 });
  expect(m.sample(1000, 1000)).toBe(1000);
  expect(m.sample(2000, 2000)).toBe(1000);
  // 10 s later: one sample older than the window is kept, so the rate spans the last question's gap
  expect(m.sample(12_000, 12_000)).toBe(1000);
  // nothing new for a second: the sample from before the window still anchors it (10 kB over 11 s)
  expect(m.sample(12_000, 13_000)).toBeCloseTo(10_000 / 11, 6);
});

test("a counter never goes backwards in the rate (a reset reads as 0, not negative)", () => {
  const m = new RateMeter(3000, { at: 0, total: 5000 });
  expect(m.sample(0, 1000)).toBe(0);
});
