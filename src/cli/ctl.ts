// `coffer ctl`: S3QL's s3qlctrl for a mounted filesystem — flushcache, dropcache, upload-meta, cachesize, log.
import { controlRequest } from "../control/client.ts";
import { LOG_LEVELS, LogLevel } from "../control/protocol.ts";
import { UserError } from "../user-error.ts";
import { formatBytes } from "../format-bytes.ts";
import { flushProgress } from "./progress.ts";
import { parseSize } from "./sizes.ts";

/** Stores every dirty block and the metadata now (s3qlctrl flushcache; `coffer flush` is the short form). */
export async function ctlFlushCache(mountpoint: string): Promise<void> {
  const progress = flushProgress();
  try {
    await controlRequest(mountpoint, { op: "flush" }, (p) => progress.update(p));
  } finally {
    progress.end();
  }
  process.stdout.write(`Flushed ${mountpoint}: every dirty block and the metadata are stored.\n`);
}

/** Flushes, then removes every clean block from the cache (s3qlctrl dropcache: flush first, then drop). */
export async function ctlDropCache(mountpoint: string): Promise<void> {
  await ctlFlushCache(mountpoint);
  const { droppedBlocks } = (await controlRequest(mountpoint, { op: "dropcache" })) as { droppedBlocks: number };
  process.stdout.write(`Dropped ${droppedBlocks} cached blocks of ${mountpoint}.\n`);
}

export async function ctlUploadMeta(mountpoint: string): Promise<void> {
  const { version } = (await controlRequest(mountpoint, { op: "upload-meta" })) as { version: number };
  process.stdout.write(`Stored metadata version ${version} of ${mountpoint}.\n`);
}

export async function ctlCacheSize(size: string, mountpoint: string): Promise<void> {
  let bytes: number;
  try {
    bytes = parseSize(size);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  if (bytes < 1024 * 1024) throw new UserError(`cache size ${size} is too small; give at least 1M, e.g. 10G`);
  await controlRequest(mountpoint, { op: "cachesize", bytes });
  process.stdout.write(`Cache of ${mountpoint} limited to ${formatBytes(bytes)}.\n`);
}

export async function ctlLog(level: string, mountpoint: string): Promise<void> {
  const parsed = LogLevel.safeParse(level);
  if (!parsed.success) throw new UserError(`unknown log level "${level}"; use one of: ${LOG_LEVELS.join(", ")}`);
  await controlRequest(mountpoint, { op: "log", level: parsed.data });
  process.stdout.write(`Log level of ${mountpoint} set to ${parsed.data}.\n`);
}
