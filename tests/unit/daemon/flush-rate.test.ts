// The STATUS line and how long a stop asks systemd for.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { extendTimeoutUsec, statusLine } from "../../../src/daemon/flush-rate.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("extendTimeoutUsec", () => {
  test("twice the expected time plus a margin, with a floor and a cap", () => {
    const MiB = 1 << 20;
    expect(extendTimeoutUsec(100 * MiB, 1 * MiB)).toBe((2 * 100 + 10) * 1_000_000); // slow link: 210 s
    expect(extendTimeoutUsec(1 * MiB, 100 * MiB)).toBe(30_000_000); // nearly done: the floor
    expect(extendTimeoutUsec(1e12, 1)).toBe(3_600_000_000); // one hour per message at most
    expect(extendTimeoutUsec(5 * MiB, null)).toBe(130_000_000); // nothing measured yet
    expect(extendTimeoutUsec(5 * MiB, 0)).toBe(130_000_000); // stalled
  });
});

test("statusLine says dirty bytes and the upload rate", () => {
  expect(statusLine(3 << 20, 1.5 * (1 << 20))).toBe("3.00 MiB dirty, uploading 1.50 MiB/s");
  expect(statusLine(0, null, "stopping")).toBe("stopping: 0 B dirty, upload rate unknown");
});
