// A Backend on AWS S3 or any S3-compatible service, through @aws-sdk/client-s3 on its standard paths.
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { existsSync, readFileSync } from "node:fs";
import { type Backend, type ObjectInfo, StoreError } from "./backend.ts";
import { checkKey } from "./key-names.ts";
import { toStoreError } from "./s3-errors.ts";

export interface S3BackendOptions {
  bucket: string;
  /** Prepended literally to every key (S3QL semantics). */
  prefix: string;
  /** A region name, or a function the SDK calls for it on the first request (the AWS config chain). */
  region: string | (() => Promise<string>);
  /** For S3-compatible services: "http(s)://host:port"; path-style addressing is used. */
  endpoint?: string;
  /** Ask the SDK to follow 301 "wrong region" answers (AWS when the region was not given). */
  followRegionRedirects?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A PEM file of CA certificates (S3QL's ssl-ca-path); default AWS_CA_BUNDLE, else the system roots. */
  caPath?: string;
  /** Sockets per agent; must exceed the concurrency limit so requests never queue inside the SDK. */
  maxSockets?: number;
  /** Socket connect timeout and idle timeout, ms. */
  tcpTimeoutMs?: number;
  /**
   * Per-request deadline: base + size / minBytesPerSec. Aborts the request (AbortSignal) so a hung
   * connection cannot block a slot of the limit forever; the retry decorator then tries again.
   */
  requestTimeoutMs?: number;
  minBytesPerSec?: number;
  description: string;
}

/**
 * The CA list for HTTPS: an explicit path must be readable (the user asked for it); AWS_CA_BUNDLE is
 * honoured when it names a readable file (the SDK for JavaScript ignores it itself) and skipped otherwise.
 */
function caBundle(explicit?: string): Buffer | undefined {
  if (explicit !== undefined) return readFileSync(explicit);
  const p = process.env.AWS_CA_BUNDLE;
  if (!p || !existsSync(p)) return undefined;
  try {
    return readFileSync(p);
  } catch {
    return undefined; // an unreadable bundle falls back to the default roots rather than breaking
  }
}

export class S3Backend implements Backend {
  readonly description: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly timeoutMs: number;
  private readonly minBytesPerSec: number;

  constructor(o: S3BackendOptions) {
    this.description = o.description;
    this.bucket = o.bucket;
    this.prefix = o.prefix;
    this.timeoutMs = o.requestTimeoutMs ?? 30_000;
    this.minBytesPerSec = o.minBytesPerSec ?? 256 * 1024;
    const maxSockets = o.maxSockets ?? 64;
    this.agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets }),
      https: new HttpsAgent({ keepAlive: true, maxSockets, ca: caBundle(o.caPath) }),
    };
    this.client = new S3Client({
      region: o.region,
      endpoint: o.endpoint,
      forcePathStyle: o.endpoint !== undefined,
      followRegionRedirects: o.followRegionRedirects,
      credentials: o.credentials,
      // Retries are the RetryBackend's job: one place that counts them, honours Retry-After and gives up.
      maxAttempts: 1,
      // Integrity is end-to-end through the AEAD tag on every object; the SDK's CRC32 in JavaScript would
      // cost more CPU than the encryption, so checksums are only sent where S3 requires them.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: {
        httpAgent: this.agents.http,
        httpsAgent: this.agents.https,
        connectionTimeout: o.tcpTimeoutMs ?? 10_000,
        // Socket idle timeout: catches a stalled transfer of any size; the per-request AbortSignal
        // deadline below is the outer bound.
        requestTimeout: o.tcpTimeoutMs ?? 30_000,
      },
    });
  }

  private k(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  private signal(bytes = 0): AbortSignal {
    return AbortSignal.timeout(this.allowance(bytes));
  }

  private allowance(bytes: number): number {
    return this.timeoutMs + Math.ceil((bytes / this.minBytesPerSec) * 1000);
  }

  /**
   * A deadline for a GET, whose size is only known once the headers arrive: the base allowance until
   * then, re-armed for the announced body length. Aborting also ends the body stream.
   */
  private getDeadline() {
    const ac = new AbortController();
    let timer = setTimeout(() => ac.abort(), this.timeoutMs);
    return {
      signal: ac.signal,
      rearm: (bytes: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => ac.abort(), this.allowance(bytes));
      },
      clear: () => clearTimeout(timer),
    };
  }

  private fail(e: unknown, op: string, key?: string): StoreError {
    const name = (e as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") {
      return new StoreError("transient", `${op}${key ? " " + key : ""} on ${this.description} timed out`, key, undefined, {
        cause: e,
      });
    }
    return toStoreError(e, op, this.description, key, this.bucket);
  }

  async get(key: string): Promise<Uint8Array> {
    const d = this.getDeadline();
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) }), {
        abortSignal: d.signal,
      });
      d.rearm(r.ContentLength ?? 0);
      return await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    } catch (e) {
      throw this.fail(e, "get", key);
    } finally {
      d.clear();
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    if (length <= 0) {
      if ((await this.head(key)) === null) throw new StoreError("not-found", `no object ${key}`, key);
      return new Uint8Array(0);
    }
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key), Range: `bytes=${offset}-${offset + length - 1}` }),
        { abortSignal: this.signal(length) },
      );
      const bytes = await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      // A server that ignores Range answers 200 with everything; cut it ourselves.
      return r.ContentRange ? bytes.subarray(0, length) : bytes.subarray(offset, offset + length);
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 416) return new Uint8Array(0); // offset at or past the end of an existing object
      throw this.fail(e, "get", key);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: data, ContentLength: data.length }),
        { abortSignal: this.signal(data.length) },
      );
    } catch (e) {
      throw this.fail(e, "put", key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }), {
        abortSignal: this.signal(),
      });
      return { key, size: r.ContentLength ?? 0 };
    } catch (e) {
      const err = this.fail(e, "head", key);
      if (err.kind === "not-found") return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) }), {
        abortSignal: this.signal(),
      });
    } catch (e) {
      const err = this.fail(e, "delete", key);
      if (err.kind !== "not-found") throw err;
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      let r;
      try {
        r = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((k) => ({ Key: this.k(k) })), Quiet: true },
          }),
          { abortSignal: this.signal() },
        );
      } catch (e) {
        throw this.fail(e, "delete", chunk[0]);
      }
      const bad = (r.Errors ?? []).find((x) => x.Code !== "NoSuchKey");
      if (bad) {
        const key = bad.Key?.slice(this.prefix.length);
        throw this.fail({ name: bad.Code, Code: bad.Code, message: bad.Message, $metadata: {} }, "delete", key);
      }
    }
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
            // Ignored by S3 when a continuation token is given, which is what we want.
            StartAfter: startAfter === undefined ? undefined : this.prefix + startAfter,
          }),
          { abortSignal: this.signal() },
        );
      } catch (e) {
        throw this.fail(e, "list", prefix);
      }
      for (const o of r.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key.slice(this.prefix.length), size: o.Size ?? 0 };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
