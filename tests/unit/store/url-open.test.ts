// Storage URL parsing, backend options, S3 error classification and openBackend composition.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LimitBackend } from "../../../src/fs/store/limit.ts";
import { BackendConfigError, awsConfiguredRegion, openBackend, openRawBackend } from "../../../src/fs/store/open.ts";
import { classifyS3Error, retryAfterOf, toStoreError } from "../../../src/fs/store/s3-errors.ts";
import { S3Backend } from "../../../src/fs/store/s3.ts";
import { StorageUrlError, formatStorageLocation, parseStorageUrl } from "../../../src/fs/store/url.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("parseStorageUrl", () => {
  test("accepted forms", () => {
    expect(parseStorageUrl("local:///srv/coffer/")).toEqual({ kind: "local", path: "/srv/coffer" });
    expect(parseStorageUrl("local:///")).toEqual({ kind: "local", path: "/" });
    expect(parseStorageUrl("s3://my-bucket")).toEqual({ kind: "s3", bucket: "my-bucket", prefix: "" });
    expect(parseStorageUrl("s3://my-bucket/fs1/")).toEqual({ kind: "s3", bucket: "my-bucket", prefix: "fs1/" });
    expect(parseStorageUrl("s3://eu-central-1/my-bucket/fs1")).toEqual({
      kind: "s3",
      region: "eu-central-1",
      bucket: "my-bucket",
      prefix: "fs1",
    });
    expect(parseStorageUrl("s3://us-gov-west-1/b.c.d")).toMatchObject({ region: "us-gov-west-1", bucket: "b.c.d" });
    // A bucket may be named like a region; with nothing after it, it is the bucket.
    expect(parseStorageUrl("s3://us-east-1")).toEqual({ kind: "s3", bucket: "us-east-1", prefix: "" });
    expect(parseStorageUrl("s3c://minio.lan:9000/backup/coffer/")).toEqual({
      kind: "s3c",
      host: "minio.lan",
      port: 9000,
      bucket: "backup",
      prefix: "coffer/",
    });
    expect(parseStorageUrl("s3c://s3.wasabisys.com/bkt")).toMatchObject({ host: "s3.wasabisys.com", port: undefined });
    expect(parseStorageUrl("s3c://[::1]:9000/bkt/p")).toMatchObject({ host: "[::1]", port: 9000, prefix: "p" });
  }, 5000);

  test("round trip through formatStorageLocation", () => {
    for (const u of ["local:///a/b", "s3://bkt/pre/", "s3://eu-west-1/bkt/p", "s3c://h:1/bkt/p/"]) {
      expect(formatStorageLocation(parseStorageUrl(u))).toBe(u);
    }
  }, 5000);

  test("bad URLs give one line naming the accepted forms", () => {
    for (const [u, why] of [
      ["/srv/coffer", "no scheme"],
      ["local://relative/path", "absolute"],
      ["local:///a/../b", ". or .."],
      ["s3://", "bucket name is missing"],
      ["s3://a", "not a valid bucket name"],
      ["s3c://host:99999/b", "bad port"],
      ["s3c://host:9000", "HOST[:PORT]/BUCKET"],
      ["gs://bucket", 'unknown scheme "gs"'],
    ] as const) {
      const e = (() => {
        try {
          parseStorageUrl(u);
        } catch (x) {
          return x as Error;
        }
      })();
      expect(e).toBeInstanceOf(StorageUrlError);
      expect(e?.message).toContain(why);
      expect(e?.message).toContain("expected local:///ABSOLUTE/PATH, s3://BUCKET[/PREFIX], s3://REGION/BUCKET[/PREFIX] or s3c://HOST[:PORT]/BUCKET[/PREFIX]");
      expect(e?.message).not.toContain("\n");
    }
  }, 5000);
});

describe("S3 error classification", () => {
  const sdk = (name: string, status?: number, headers?: Record<string, string>) =>
    Object.assign(new Error("msg"), { name, $metadata: { httpStatusCode: status }, $response: { headers } });
  test("auth, not-found, permanent, transient", () => {
    for (const n of ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"]) {
      expect(classifyS3Error(sdk(n, 403))).toBe("auth");
    }
    expect(classifyS3Error(sdk("Forbidden", 403))).toBe("auth");
    expect(classifyS3Error(sdk("NoSuchKey", 404))).toBe("not-found");
    expect(classifyS3Error(sdk("NotFound", 404))).toBe("not-found");
    expect(classifyS3Error(sdk("NoSuchBucket", 404))).toBe("permanent");
    for (const [n, s] of [["SlowDown", 503], ["InternalError", 500], ["ServiceUnavailable", 503], ["RequestTimeout", 400], ["TooManyRequests", 429], ["Whatever", 502]] as const) {
      expect([n, classifyS3Error(sdk(n, s))]).toEqual([n, "transient"]);
    }
    expect(classifyS3Error(sdk("InvalidArgument", 400))).toBe("permanent");
    expect(classifyS3Error(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe("transient");
    expect(classifyS3Error(Object.assign(new Error("t"), { name: "TimeoutError" }))).toBe("transient");
    expect(classifyS3Error(new TypeError("x is not a function"))).toBe("permanent");
  }, 5000);

  test("messages name the problem and the fix; Retry-After is read", () => {
    const nb = toStoreError(sdk("NoSuchBucket", 404), "put", "s3c://h:1/nob", "k", "nob");
    expect(nb.message).toBe("bucket nob does not exist at s3c://h:1/nob: create it or fix the storage URL");
    const au = toStoreError(sdk("InvalidAccessKeyId", 403), "get", "s3://b", "k", "b");
    expect(au.kind).toBe("auth");
    expect(au.message).toMatch(/^access denied by s3:\/\/b \(InvalidAccessKeyId: msg\): check the login and password/);
    const cred = toStoreError(Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError" }), "get", "s3://b");
    expect(cred.kind).toBe("auth");
    expect(cred.message).toMatch(/^no credentials for s3:\/\/b: set backend-login/);
    expect(toStoreError(sdk("AuthorizationHeaderMalformed", 400), "get", "s3c://h/b").message).toMatch(/another region/);
    expect(retryAfterOf(sdk("SlowDown", 503, { "retry-after": "4" }))).toBe(4);
    expect(toStoreError(sdk("SlowDown", 503, { "retry-after": "4" }), "put", "x").retryAfterSec).toBe(4);
  }, 5000);
});

describe("openBackend", () => {
  test("composes Limit(Retry(raw)) and exposes stats", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coffer-open-"));
    try {
      const b = openBackend(`local://${dir}`, {}, { maxConcurrent: 3 });
      expect(b).toBeInstanceOf(LimitBackend);
      expect((b as LimitBackend).maxConcurrent).toBe(3);
      await b.put("x", new Uint8Array([1, 2]));
      expect((await b.get("x")).length).toBe(2);
      expect(b.stats()).toMatchObject({ attempts: 2, retries: 0, failures: 0, inFlight: 0 });
      expect(b.description).toBe(`local://${dir}`);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 5000);

  test("s3c endpoints, TLS by default, no-ssl, regions; unknown options refused", async () => {
    const tls = openRawBackend(parseStorageUrl("s3c://h.example:9000/bkt/p"), { login: "a", password: "b" }) as S3Backend;
    expect(await tls.client.config.endpoint!()).toMatchObject({ protocol: "https:", hostname: "h.example", port: 9000 });
    const plain = openRawBackend(parseStorageUrl("s3c://h.example/bkt"), { login: "a", password: "b", options: { "no-ssl": true } }) as S3Backend;
    expect(await plain.client.config.endpoint!()).toMatchObject({ protocol: "http:", hostname: "h.example" });
    const aws = openRawBackend(parseStorageUrl("s3://ap-south-1/bkt/p")) as S3Backend;
    expect(await aws.client.config.region()).toBe("ap-south-1");
    const opt = openRawBackend(parseStorageUrl("s3://bkt"), { options: { region: "eu-north-1" } }) as S3Backend;
    expect(await opt.client.config.region()).toBe("eu-north-1");
    for (const b of [tls, plain, aws, opt]) await b.close();
    expect(() => openRawBackend(parseStorageUrl("s3c://h/bkt"), { options: { "no-sll": true } })).toThrow(BackendConfigError);
    expect(() => openRawBackend(parseStorageUrl("s3c://h/bkt"), { options: { "tcp-timeout": "abc" } })).toThrow(/positive number/);
    expect(() => openRawBackend(parseStorageUrl("s3c://h/bkt"), { login: "only" })).toThrow(/both/);
    expect(() => openRawBackend(parseStorageUrl("s3://bkt"), { options: { region: true } })).toThrow(/region name/);
    expect(() => openRawBackend(parseStorageUrl("s3c://h/bkt"), { options: { "ssl-ca-path": "/nonexistent.pem" } })).toThrow(
      /ssl-ca-path=\/nonexistent.pem: no such file/,
    );
    const s3ql = openRawBackend(parseStorageUrl("s3c://h/bkt"), {
      login: "a",
      password: "b",
      options: { "dumb-copy": true, "disable-expect100": true, "ssl-ca-path": "/etc/ssl/certs/ca-certificates.crt" },
    });
    await s3ql.close();
  }, 5000);

  test("region from the AWS environment or config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "coffer-aws-"));
    try {
      const cfg = join(dir, "config");
      writeFileSync(cfg, "[default]\nregion = eu-west-3\n[profile work]\nregion=sa-east-1\n");
      expect(awsConfiguredRegion({ AWS_REGION: "us-west-2" })).toBe("us-west-2");
      expect(awsConfiguredRegion({ AWS_CONFIG_FILE: cfg })).toBe("eu-west-3");
      expect(awsConfiguredRegion({ AWS_CONFIG_FILE: cfg, AWS_PROFILE: "work" })).toBe("sa-east-1");
      expect(awsConfiguredRegion({ AWS_CONFIG_FILE: join(dir, "none") })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 5000);
});
