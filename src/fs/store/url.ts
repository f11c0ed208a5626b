// Parses S3QL-compatible storage URLs (local://, s3://, s3c://) into a typed location; no I/O.

export type StorageLocation =
  | { kind: "local"; path: string }
  /** AWS S3; region undefined means "from options, AWS config, or discovered from the bucket". */
  | { kind: "s3"; bucket: string; prefix: string; region?: string }
  /** Any S3-compatible service, path-style; TLS unless the `no-ssl` backend option is given. */
  | { kind: "s3c"; host: string; port?: number; bucket: string; prefix: string };

const ACCEPTED =
  "local:///ABSOLUTE/PATH, s3://BUCKET[/PREFIX], s3://REGION/BUCKET[/PREFIX] or s3c://HOST[:PORT]/BUCKET[/PREFIX]";

/** A storage URL the user wrote does not parse; the message is one line and lists the accepted forms. */
export class StorageUrlError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`invalid storage URL "${url}": ${reason}; expected ${ACCEPTED}`);
    this.name = "StorageUrlError";
  }
}

// AWS region names: us-east-1, eu-central-1, ap-southeast-2, us-gov-west-1, cn-north-1, us-isob-east-1 ...
const REGION_RE = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso[a-z]?)-[a-z]+-\d{1,2}$/;
// Lenient on purpose: legacy us-east-1 buckets may hold upper case and underscores.
const BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

export const isRegionName = (s: string): boolean => REGION_RE.test(s);

function splitBucket(url: string, rest: string): { bucket: string; prefix: string } {
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  // The prefix is used literally, as S3QL does: "s3://b/fs1/" stores "fs1/data/..." keys.
  const prefix = slash < 0 ? "" : rest.slice(slash + 1);
  if (!bucket) throw new StorageUrlError(url, "the bucket name is missing");
  if (!BUCKET_RE.test(bucket)) throw new StorageUrlError(url, `"${bucket}" is not a valid bucket name`);
  return { bucket, prefix };
}

export function parseStorageUrl(url: string): StorageLocation {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(url.trim());
  if (!m) throw new StorageUrlError(url, "no scheme");
  const [, scheme, rest] = m;
  switch (scheme) {
    case "local": {
      if (!rest.startsWith("/")) throw new StorageUrlError(url, "the local path must be absolute (three slashes)");
      const path = rest.length > 1 ? rest.replace(/\/+$/, "") : rest;
      if (path.split("/").some((p) => p === "." || p === "..")) {
        throw new StorageUrlError(url, "the local path must not contain . or .. components");
      }
      return { kind: "local", path };
    }
    case "s3": {
      const first = rest.split("/", 1)[0];
      // S3QL 5 form: s3://REGION/BUCKET/PREFIX, recognised only when a bucket follows the region.
      if (isRegionName(first) && rest.length > first.length + 1) {
        return { kind: "s3", region: first, ...splitBucket(url, rest.slice(first.length + 1)) };
      }
      return { kind: "s3", ...splitBucket(url, rest) };
    }
    case "s3c": {
      const hm = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/(.*)$/.exec(rest);
      if (!hm) throw new StorageUrlError(url, "expected HOST[:PORT]/BUCKET after s3c://");
      const [, host, portText, after] = hm;
      const port = portText === undefined ? undefined : Number(portText);
      if (port !== undefined && (port < 1 || port > 65535)) throw new StorageUrlError(url, `bad port ${portText}`);
      return { kind: "s3c", host, port, ...splitBucket(url, after) };
    }
    default:
      throw new StorageUrlError(url, `unknown scheme "${scheme}"`);
  }
}

/** The URL again, for messages; never contains secrets (URLs carry none). */
export function formatStorageLocation(loc: StorageLocation): string {
  switch (loc.kind) {
    case "local":
      return `local://${loc.path}`;
    case "s3":
      return `s3://${loc.region ? loc.region + "/" : ""}${loc.bucket}${loc.prefix ? "/" + loc.prefix : ""}`;
    case "s3c":
      return `s3c://${loc.host}${loc.port ? ":" + loc.port : ""}/${loc.bucket}${loc.prefix ? "/" + loc.prefix : ""}`;
  }
}
