// `coffer mount`: parses, checks everything in the foreground, asks what is missing, then serves (--fg) or detaches.
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { loadAuthinfo } from "../config/authinfo.ts";
import { canonicalMountpoint } from "../control/paths.ts";
import { isDaemonChild, launchDaemon } from "../daemon/detach.ts";
import { assertMountableDirectory } from "../fs/mount-checks.ts";
import type { MountRequest } from "../fs/mount.ts"; // the filesystem itself loads only where it is served (below)
import { unlockForMount } from "../fs/unlock.ts";
import { markPhase } from "../phase-trace.ts";
import { UserError } from "../user-error.ts";
import { absolute, absolutePath } from "./paths.ts";
import { askSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { sizeOption } from "./sizes.ts";
import { parseOptions } from "./options.ts";

export const DEFAULT_LOG = join(homedir(), ".coffer", "mount.log");

/** What `coffer mount` accepts on its command line (checked before anything is mounted). */
const MountCommandOptions = z.object({
  authfile: absolutePath.optional(),
  allowOther: z.boolean().default(false),
  dev: z.boolean().default(false),
  suid: z.boolean().default(false),
  atime: z.enum(["relatime", "strictatime", "noatime"], { message: "--atime takes relatime, strictatime or noatime" }).default("relatime"),
  fg: z.boolean().default(false),
  cachedir: absolutePath.optional(),
  cachesize: sizeOption.optional(),
  maxCacheEntries: z.coerce
    .number({ message: "--max-cache-entries takes a number of cache entries, e.g. 10000" })
    .int("--max-cache-entries takes a whole number")
    .min(16, "--max-cache-entries must be at least 16")
    .optional(),
  compress: z
    .string()
    .regex(/^(zstd-(\d|1\d|2[0-2])|none)$/, "--compress takes zstd-1 … zstd-22 or none")
    .default("zstd-1"),
  debug: z.boolean().default(false),
  log: absolutePath.optional(),
  forceUnlock: z.boolean().default(false),
  metadataInterval: z.coerce
    .number({ message: "--metadata-interval takes a number of seconds" })
    .min(0.1, "--metadata-interval must be at least 0.1 seconds")
    .max(3600, "--metadata-interval must be at most 3600 seconds (the whole point is a short interval)")
    .optional(),
  nonempty: z.boolean().default(false),
  maxConnections: z.coerce
    .number({ message: "--max-connections takes a whole number" })
    .int("--max-connections takes a whole number")
    .min(1, "--max-connections must be at least 1")
    .max(1024, "--max-connections must be at most 1024")
    .optional(),
});
type MountCommandOptions = z.infer<typeof MountCommandOptions>;

export async function mountCommand(url: string, mountpointArg: string, rawOptions: unknown): Promise<void> {
  markPhase("modules loaded, arguments parsed");
  const opts = parseOptions(MountCommandOptions, rawOptions);
  // The path the kernel will mount: absolute against our cwd and symlinks resolved, before any check.
  const mountpoint = canonicalMountpoint(absolute(mountpointArg));
  if (isDaemonChild()) return (await import("../daemon/child.ts")).serveAsDaemonChild(mountRequest(url, mountpoint, opts), opts.log);
  if ((opts.dev || opts.suid) && process.getuid?.() !== 0) {
    throw new UserError("--dev and --suid need root (the kernel makes other users' FUSE mounts nodev,nosuid); run as root or drop them");
  }

  assertMountableDirectory(mountpoint, { nonempty: opts.nonempty });
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  markPhase("mount point checked, authinfo read");
  const ask = () => askSecret(`Encryption passphrase for ${url}: `, "fs-passphrase");
  if (opts.fg) {
    const { passphrase, keys } = await unlockForMount(url, auth, ask);
    const { serveMount } = await import("../daemon/serve.ts");
    await serveMount({ ...mountRequest(url, mountpoint, opts), auth, passphrase, keys }, {
      logFile: opts.log,
      write: (line) => process.stdout.write(`${line}\n`),
      notifyEnv: process.env,
    });
    return;
  }
  // The daemon starts now and loads its modules while this process checks the store and derives the keys
  // (the slow part, run once: the daemon gets the keys, not the passphrase).
  const logFile = opts.log ?? DEFAULT_LOG;
  const daemon = launchDaemon(daemonArgs(url, mountpoint, { ...opts, log: logFile }), logFile);
  let keys;
  try {
    ({ keys } = await unlockForMount(url, auth, ask));
  } catch (error) {
    daemon.abandon();
    throw error;
  }
  const pid = await daemon.start({ auth, keys });
  markPhase("daemon reported ready");
  process.stdout.write(`Mounted ${url} at ${mountpoint} (daemon pid ${pid}, log ${logFile}).\nUnmount with: coffer umount ${mountpoint}\n`);
}

function mountRequest(url: string, mountpoint: string, opts: MountCommandOptions): Omit<MountRequest, "log" | "auth" | "passphrase"> {
  return {
    url,
    mountpoint,
    cacheRoot: opts.cachedir,
    cacheSizeBytes: opts.cachesize,
    maxCacheEntries: opts.maxCacheEntries,
    compressLevel: opts.compress === "none" ? 0 : Number(opts.compress.slice(5)),
    allowOther: opts.allowOther,
    dev: opts.dev,
    suid: opts.suid,
    atime: opts.atime,
    forceUnlock: opts.forceUnlock,
    metadataIntervalMs: opts.metadataInterval === undefined ? undefined : opts.metadataInterval * 1000,
    nonempty: opts.nonempty,
    debug: opts.debug,
    maxConnections: opts.maxConnections,
  };
}

/** The daemon's command line, rebuilt from the parsed options: every path in it absolute (it runs in "/"). */
function daemonArgs(url: string, mountpoint: string, opts: MountCommandOptions): string[] {
  const args = ["mount", "--fg", "--compress", opts.compress];
  if (opts.authfile) args.push("--authfile", opts.authfile);
  if (opts.allowOther) args.push("--allow-other");
  if (opts.cachedir) args.push("--cachedir", opts.cachedir);
  if (opts.cachesize !== undefined) args.push("--cachesize", String(opts.cachesize));
  if (opts.maxCacheEntries !== undefined) args.push("--max-cache-entries", String(opts.maxCacheEntries));
  if (opts.debug) args.push("--debug");
  if (opts.log) args.push("--log", opts.log);
  if (opts.forceUnlock) args.push("--force-unlock");
  if (opts.nonempty) args.push("--nonempty");
  if (opts.dev) args.push("--dev");
  if (opts.suid) args.push("--suid");
  if (opts.atime !== "relatime") args.push("--atime", opts.atime);
  if (opts.metadataInterval !== undefined) args.push("--metadata-interval", String(opts.metadataInterval));
  if (opts.maxConnections !== undefined) args.push("--max-connections", String(opts.maxConnections));
  return [...args, url, mountpoint];
}
