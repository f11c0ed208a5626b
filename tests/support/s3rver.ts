// Starts a private s3rver (under Node, on 127.0.0.1) for tests and benchmarks, and stops exactly that process.
import { afterAll, beforeAll } from "bun:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface S3rverHandle {
  endpoint: string;
  port: number;
  /** s3c://127.0.0.1:PORT/bucket/prefix */
  url(bucket: string, prefix?: string): string;
  creds: { login: string; password: string; options: { "no-ssl": true } };
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dir, "../..");

/** A port that was free a moment ago (the kernel picks it); s3rver binds it right after. */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(endpoint + "/", { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function startS3rver(): Promise<S3rverHandle> {
  const dir = mkdtempSync(join(tmpdir(), "coffer-s3rver-"));
  for (let tries = 0; ; tries++) {
    const port = freePort();
    // --openssl-legacy-provider: s3rver's list continuation tokens use DES (see ARCHITECTURE.md).
    const proc = Bun.spawn(
      ["node", "--openssl-legacy-provider", join(ROOT, "node_modules/.bin/s3rver"), "-d", dir, "-a", "127.0.0.1", "-p", String(port), "--silent"],
      { stdout: "ignore", stderr: "pipe", cwd: ROOT },
    );
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let up = false;
    while (Date.now() < deadline && proc.exitCode === null) {
      if (await answers(endpoint)) {
        up = true;
        break;
      }
      await Bun.sleep(50);
    }
    if (!up) {
      proc.kill();
      await proc.exited;
      if (tries < 2) continue; // the port was taken between freePort() and bind: try another
      rmSync(dir, { recursive: true, force: true });
      const err = await new Response(proc.stderr).text();
      throw new Error(`s3rver did not start on ${endpoint}: ${err.trim().split("\n").slice(-3).join(" | ")}`);
    }
    // If the test process dies without calling stop(), take this s3rver down with it.
    const reap = () => proc.kill();
    process.once("exit", reap);
    const client = new S3Client({
      region: "us-east-1",
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    return {
      endpoint,
      port,
      url: (bucket, prefix) => `s3c://127.0.0.1:${port}/${bucket}${prefix ? "/" + prefix : ""}`,
      creds: { login: "S3RVER", password: "S3RVER", options: { "no-ssl": true } },
      createBucket: async (name) => {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      },
      stop: async () => {
        client.destroy();
        process.off("exit", reap);
        proc.kill(); // this PID only
        await proc.exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Registers beforeAll/afterAll that start a private s3rver with `bucket` and stop it; the returned
 * function gives the handle inside tests (it throws if s3rver did not start).
 */
export function useS3rver(bucket: string): () => S3rverHandle {
  let s3: S3rverHandle | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.createBucket(bucket);
  }, 60_000);
  afterAll(async () => {
    await s3?.stop();
  }, 60_000);
  return () => {
    if (!s3) throw new Error("s3rver did not start");
    return s3;
  };
}
