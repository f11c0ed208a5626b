// Retry and fault injection against s3rver in real time: a 21 s outage, unanswered requests, stalled bodies.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { type ObjectInfo, StoreError } from "../../src/fs/store/backend.ts";
import { FaultyBackend } from "../../src/fs/store/faulty.ts";
import { LimitBackend } from "../../src/fs/store/limit.ts";
import { openRawBackend } from "../../src/fs/store/open.ts";
import { RetryBackend } from "../../src/fs/store/retry.ts";
import { parseStorageUrl } from "../../src/fs/store/url.ts";
import { useS3rver } from "../support/s3rver.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const payload = (i: number, n = 4096) => new Uint8Array(n).fill(i & 0xff);

/** A raw S3 backend on 127.0.0.1:port whose requests time out after 0.3 s without an answer. */
const impatientBackend = (port: number) =>
  openRawBackend(parseStorageUrl(`s3c://127.0.0.1:${port}/bucket/p`), {
    login: "a",
    password: "b",
    options: { "no-ssl": true, "request-timeout": "0.3" },
  });

describe("through s3rver (real time)", () => {
  const server = useS3rver("faults");

  // The requirement names a 20-second outage, so this one runs it for real (about 21 s) against the
  // whole stack: Limit(Retry(Faulty(S3 -> s3rver))). Backoff is capped at 2 s so the test ends soon
  // after the outage does; the default cap is 20 s.
  test("a real 20-second outage with 30% errors: all 200 puts land, none lost", async () => {
    const s3 = server();
    const raw = openRawBackend(parseStorageUrl(s3.url("faults", "run1/")), s3.creds);
    const faulty = new FaultyBackend(raw, { errorRate: 0.3, lostAnswerRate: 0.2 });
    const store = new LimitBackend(new RetryBackend(faulty, { baseDelayMs: 100, maxDelayMs: 2000 }), 16);
    try {
      const t0 = Date.now();
      faulty.startOutage(20_000);
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => store.put(`data/${String(i).padStart(4, "0")}`, payload(i, 65536))),
      );
      const elapsed = Date.now() - t0;
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      expect(elapsed).toBeGreaterThanOrEqual(20_000);
      const listed: ObjectInfo[] = [];
      for await (const o of raw.list("data/")) listed.push(o);
      expect(listed.length).toBe(200);
      expect(listed.every((o) => o.size === 65536)).toBe(true);
      expect((await raw.get("data/0123"))[100]).toBe(123);
      expect(store.stats().failures).toBe(0);
      expect(faulty.injected.outageErrors).toBeGreaterThan(16);
    } finally {
      await store.close();
    }
  }, 180_000);

  test("an S3 request that gets no answer is aborted by its own deadline (transient)", async () => {
    // A TCP server that accepts and never answers: the request must not hang.
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const b = impatientBackend(server.port);
    try {
      const t0 = Date.now();
      const err = await b.get("x").catch((e) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.kind).toBe("transient");
      expect(err.message).toMatch(/timed out/);
      expect(Date.now() - t0).toBeLessThan(30_000); // aborted, not left hanging (bound far from 0.3 s: load)
    } finally {
      await b.close();
      server.stop(true);
    }
  }, 120_000);

  test("a GET whose body stalls half-way is aborted once its size-based deadline passes", async () => {
    // Answers headers for a 500 kB body, sends 10 bytes, then goes silent with the socket open.
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(sock) {
          sock.write("HTTP/1.1 200 OK\r\nContent-Length: 500000\r\nContent-Type: application/octet-stream\r\n\r\n0123456789");
        },
      },
    });
    const b = impatientBackend(server.port);
    try {
      const t0 = Date.now();
      const err = await b.get("x").catch((e) => e);
      const took = Date.now() - t0;
      expect(err).toBeInstanceOf(StoreError);
      expect(err.kind).toBe("transient");
      expect(took).toBeGreaterThanOrEqual(1500); // 0.3 s + 500 kB at the 256 KiB/s floor = ~2.2 s
      expect(took).toBeLessThan(60_000); // aborted, not left hanging
    } finally {
      await b.close();
      server.stop(true);
    }
  }, 180_000);
});
