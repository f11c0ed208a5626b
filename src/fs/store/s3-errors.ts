// Maps @aws-sdk/client-s3 errors (and network errors below it) to StoreError kinds.
import { StoreError, type StoreErrorKind } from "./backend.ts";

const AUTH_CODES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AccountProblem",
  "AllAccessDisabled",
  "CredentialsProviderError", // no credentials found by the AWS chain
]);
const TRANSIENT_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "InternalError",
  "ServiceUnavailable",
  "RequestTimeout", // S3 answers 400 RequestTimeout when our upload stalled: try again
  "RequestTimeoutException",
  "TimeoutError",
  "AbortError",
  "NetworkingError",
  "OperationAborted",
]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND", // DNS can fail during an outage too; the retry budget bounds it
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ConnectionRefused",
  "ConnectionClosed",
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  $retryable?: unknown;
}

/** The kind of an SDK or network error; the single place where S3 error names are interpreted. */
export function classifyS3Error(e: unknown): StoreErrorKind {
  const err = (e ?? {}) as SdkErrorShape;
  const name = err.name ?? "";
  const code = err.Code ?? err.code ?? "";
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  if (name === "NoSuchBucket" || code === "NoSuchBucket") return "permanent";
  if (name === "NoSuchKey" || name === "NotFound" || code === "NoSuchKey") return "not-found";
  if (AUTH_CODES.has(name) || AUTH_CODES.has(code)) return "auth";
  if (TRANSIENT_CODES.has(name) || TRANSIENT_CODES.has(code)) return "transient";
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) return "transient";
  if (status !== undefined) {
    if (status === 404) return "not-found";
    if (status === 401 || status === 403) return "auth";
    if (status === 408 || status === 429 || status >= 500) return "transient";
    return "permanent";
  }
  // No HTTP status: the request never got an answer (socket closed, reset, stalled). Programming errors
  // (TypeError etc. without a code) are permanent so a bug is not retried for ten minutes.
  if ((e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError) && !code) return "permanent";
  return "transient";
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), if the answer carried one. */
export function retryAfterOf(e: unknown): number | undefined {
  const h = (e as SdkErrorShape)?.$response?.headers;
  const v = h?.["retry-after"] ?? h?.["Retry-After"];
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, (t - Date.now()) / 1000) : undefined;
}

/** A StoreError with a one-line message that names the problem and, where we know it, the fix. */
export function toStoreError(e: unknown, op: string, where: string, key?: string, bucket?: string): StoreError {
  if (e instanceof StoreError) return e;
  const kind = classifyS3Error(e);
  const err = (e ?? {}) as SdkErrorShape;
  const detail = [err.name, err.message].filter((s) => s && s !== "UnknownError").join(": ") || String(e);
  let msg: string;
  if (err.name === "NoSuchBucket" || err.Code === "NoSuchBucket") {
    msg = `bucket ${bucket ?? "?"} does not exist at ${where}: create it or fix the storage URL`;
  } else if (err.name === "CredentialsProviderError") {
    msg = `no credentials for ${where}: set backend-login and backend-password in your authinfo file, or configure AWS credentials (environment, ~/.aws, instance role)`;
  } else if (err.name === "AuthorizationHeaderMalformed" || err.name === "PermanentRedirect") {
    msg = `${where} is in another region (${detail}): give the right one with the region backend option or as s3://REGION/BUCKET`;
  } else if (kind === "auth") {
    msg = `access denied by ${where} (${detail}): check the login and password (backend-login/backend-password) in your authinfo file, or the bucket policy`;
  } else {
    msg = `${op}${key ? " " + key : ""} on ${where} failed: ${detail}`;
  }
  return new StoreError(kind, msg, key, retryAfterOf(e), { cause: e });
}
