// Opens a storage URL with its credentials: the raw backend wrapped in retry and concurrency-limit decorators.
import { existsSync } from "node:fs";
import { loadConfig } from "@smithy/core/config";
import type { ObservableBackend } from "./backend.ts";
import { LimitBackend } from "./limit.ts";
import { LocalBackend } from "./local.ts";
import { RetryBackend, type RetryOptions } from "./retry.ts";
import { S3Backend } from "./s3.ts";
import { formatStorageLocation, parseStorageUrl, type StorageLocation, StorageUrlError } from "./url.ts";

export { parseStorageUrl, StorageUrlError, type StorageLocation };

export interface BackendCredentials {
  login?: string;
  password?: string;
  /** S3QL-style backend options: no-ssl, region, ssl-ca-path, tcp-timeout (s), request-timeout (s), connections. */
  options?: Record<string, string | true>;
}

export interface OpenBackendOptions {
  retry?: RetryOptions;
  /** Overrides the "connections" backend option. */
  maxConcurrent?: number;
}

// S3QL's dumb-copy and disable-expect100 are accepted so S3QL authinfo files work unchanged; they are
// no-ops here (Coffer never copies objects server-side, and the SDK handles Expect: 100-continue).
const S3QL_NOOPS = ["dumb-copy", "disable-expect100"];
const KNOWN_OPTIONS: Record<StorageLocation["kind"], string[]> = {
  local: ["connections", "no-fsync"],
  s3: ["region", "tcp-timeout", "request-timeout", "connections", "ssl-ca-path", ...S3QL_NOOPS],
  s3c: ["no-ssl", "region", "tcp-timeout", "request-timeout", "connections", "ssl-ca-path", ...S3QL_NOOPS],
};

/** A bad backend option or missing credential; one line, names the fix. */
export class BackendConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendConfigError";
  }
}

function numberOption(opts: Record<string, string | true>, name: string): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isFinite(n) || n <= 0) {
    throw new BackendConfigError(`backend option ${name} needs a positive number, got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * The region the AWS tools would use, read by the SDK's own loader (profile selection, file locations and
 * INI syntax as the SDK has them): AWS_REGION (or the AWS CLI's AWS_DEFAULT_REGION), else `region` of the
 * profile AWS_PROFILE (default "default") in AWS_CONFIG_FILE (default ~/.aws/config). Undefined when unset.
 */
export function awsConfiguredRegion(): Promise<string | undefined> {
  return loadConfig<string | undefined>(
    {
      environmentVariableSelector: (env) => env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
      configFileSelector: (profile) => profile.region || undefined,
      default: () => undefined,
    },
    { ignoreCache: true }, // read the file now, not a copy cached by an earlier call in this process
  )();
}

/** The raw backend for a location, without decorators (tests and benchmarks use this directly). */
export function openRawBackend(loc: StorageLocation, creds: BackendCredentials = {}) {
  const opts = creds.options ?? {};
  for (const k of Object.keys(opts)) {
    if (!KNOWN_OPTIONS[loc.kind].includes(k)) {
      throw new BackendConfigError(
        `unknown backend option "${k}" for ${loc.kind}:// (known: ${KNOWN_OPTIONS[loc.kind].join(", ")})`,
      );
    }
  }
  const description = formatStorageLocation(loc);
  if (loc.kind === "local") return new LocalBackend(loc.path, { fsync: !opts["no-fsync"] });
  const credentials =
    creds.login !== undefined && creds.password !== undefined
      ? { accessKeyId: creds.login, secretAccessKey: creds.password }
      : undefined; // undefined: the AWS credential chain (env, shared files, SSO, IMDS)
  if (loc.kind === "s3c" && (creds.login === undefined) !== (creds.password === undefined)) {
    throw new BackendConfigError(`${description}: give both backend-login and backend-password, or neither`);
  }
  if (opts.region === true || (opts.region !== undefined && !/^[a-z0-9-]+$/.test(opts.region))) {
    throw new BackendConfigError(`backend option region needs a region name like eu-west-1, got ${JSON.stringify(opts.region)}`);
  }
  const caPath = opts["ssl-ca-path"];
  if (caPath !== undefined && (caPath === true || !existsSync(caPath))) {
    throw new BackendConfigError(`backend option ssl-ca-path=${caPath === true ? "" : caPath}: no such file`);
  }
  const tcp = numberOption(opts, "tcp-timeout");
  const req = numberOption(opts, "request-timeout");
  const common = {
    prefix: loc.prefix,
    bucket: loc.bucket,
    credentials,
    description,
    tcpTimeoutMs: tcp && tcp * 1000,
    requestTimeoutMs: req && req * 1000,
    caPath: caPath as string | undefined,
  };
  if (loc.kind === "s3") {
    // The region option wins over the URL's, as the more specific setting. Without either, the AWS
    // environment or config file names it when the first request is made; without those, start at us-east-1.
    // Either way the SDK follows S3's 301 to the bucket's region.
    const explicit = (opts.region as string | undefined) ?? loc.region;
    if (explicit !== undefined) return new S3Backend({ ...common, region: explicit });
    const region = async () => (await awsConfiguredRegion()) ?? "us-east-1";
    return new S3Backend({ ...common, region, followRegionRedirects: true });
  }
  const tls = !opts["no-ssl"];
  const port = loc.port ?? (tls ? 443 : 80);
  const host = loc.host;
  return new S3Backend({
    ...common,
    region: typeof opts.region === "string" ? opts.region : "us-east-1",
    endpoint: `${tls ? "https" : "http"}://${host}:${port}`,
  });
}

/**
 * The backend the filesystem uses: Limit(Retry(raw)). The limit sits outside the retry on purpose: an
 * operation sleeping in backoff keeps its slot, so throttling and outages reduce the load on the store
 * instead of letting new requests pile in.
 */
export function openBackend(
  url: string,
  creds: BackendCredentials = {},
  o: OpenBackendOptions = {},
): ObservableBackend {
  const loc = parseStorageUrl(url);
  const raw = openRawBackend(loc, creds);
  const conn = o.maxConcurrent ?? numberOption(creds.options ?? {}, "connections") ?? (loc.kind === "local" ? 8 : 16);
  return new LimitBackend(new RetryBackend(raw, o.retry), Math.floor(conn));
}
