// `coffer mount`: parses, checks everything in the foreground, asks what is missing, then serves (--fg) or detaches.
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { loadAuthinfo } from "../config/authinfo.ts";
import { canonicalMountpoint } from "../control/paths.ts";
import { serveAsDaemonChild } from "../daemon/child.ts";
import { isDaemonChild, startDaemon } from "../daemon/detach.ts";
import { serveMount } from "../daemon/serve.ts";
import { assertMountableDirectory } from "../fs/mount-checks.ts";
import type { MountRequest } from "../fs/mount.ts";
import { unlockForMount } from "../fs/unlock.ts";
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
});
type MountCommandOptions = z.infer<typeof MountCommandOptions>;

export async function mountCommand(url: string, mountpointArg: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(MountCommandOptions, rawOptions);
  // The path the kernel will mount: absolute against our cwd and symlinks resolved, before any check.
  const mountpoint = canonicalMountpoint(absolute(mountpointArg));
  if (isDaemonChild()) return serveAsDaemonChild(mountRequest(url, mountpoint, opts), opts.log);
  if ((opts.dev || opts.suid) && process.getuid?.() !== 0) {
    throw new UserError("--dev and --suid need root (the kernel makes other users' FUSE mounts nodev,nosuid); run as root or drop them");
  }

  assertMountableDirectory(mountpoint, { nonempty: opts.nonempty });
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  const { passphrase, keys } = await unlockForMount(url, auth, () => askSecret(`Encryption passphrase for ${url}: `, "fs-passphrase"));
  if (opts.fg) {
    await serveMount({ ...mountRequest(url, mountpoint, opts), auth, passphrase, keys }, {
      logFile: opts.log,
      write: (line) => process.stdout.write(`${line}\n`),
      notifyEnv: process.env,
    });
    return;
  }
  const logFile = opts.log ?? DEFAULT_LOG;
  const pid = await startDaemon(daemonArgs(url, mountpoint, { ...opts, log: logFile }), { auth, passphrase }, logFile);
  process.stdout.write(`Mounted ${url} at ${mountpoint} (daemon pid ${pid}, log ${logFile}).\nUnmount with: coffer umount ${mountpoint}\n`);
}

function mountRequest(url: string, mountpoint: string, opts: MountCommandOptions): Omit<MountRequest, "log" | "auth" | "passphrase"> {
  return {
    url,
    mountpoint,
    cacheRoot: opts.cachedir,
    cacheSizeBytes: opts.cachesize,
    compressLevel: opts.compress === "none" ? 0 : Number(opts.compress.slice(5)),
    allowOther: opts.allowOther,
    dev: opts.dev,
    suid: opts.suid,
    atime: opts.atime,
    forceUnlock: opts.forceUnlock,
    metadataIntervalMs: opts.metadataInterval === undefined ? undefined : opts.metadataInterval * 1000,
    nonempty: opts.nonempty,
    debug: opts.debug,
  };
}

/** The daemon's command line, rebuilt from the parsed options: every path in it absolute (it runs in "/"). */
function daemonArgs(url: string, mountpoint: string, opts: MountCommandOptions): string[] {
  const args = ["mount", "--fg", "--compress", opts.compress];
  if (opts.authfile) args.push("--authfile", opts.authfile);
  if (opts.allowOther) args.push("--allow-other");
  if (opts.cachedir) args.push("--cachedir", opts.cachedir);
  if (opts.cachesize !== undefined) args.push("--cachesize", String(opts.cachesize));
  if (opts.debug) args.push("--debug");
  if (opts.log) args.push("--log", opts.log);
  if (opts.forceUnlock) args.push("--force-unlock");
  if (opts.nonempty) args.push("--nonempty");
  if (opts.dev) args.push("--dev");
  if (opts.suid) args.push("--suid");
  if (opts.atime !== "relatime") args.push("--atime", opts.atime);
  if (opts.metadataInterval !== undefined) args.push("--metadata-interval", String(opts.metadataInterval));
  return [...args, url, mountpoint];
}
