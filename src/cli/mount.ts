// `coffer mount`: checks everything in the foreground, then serves the mount (--fg) or hands it to a daemon.
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, openSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { loadAuthinfo, type AuthInfo } from "../config/authinfo.ts";
import { unlockFilesystemKeys } from "../fs/store/key-object.ts";
import { assertMountableDirectory } from "../fs/mount-checks.ts";
import { assertFilesystemExists, mountFilesystem, openStore, type MountedFilesystem } from "../fs/mount.ts";
import { canonicalMountpoint } from "../control/paths.ts";
import { UserError } from "../user-error.ts";
import { describeError } from "./errors.ts";
import { askSecret } from "./prompt.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { sizeOption } from "./sizes.ts";

export const DEFAULT_LOG = join(homedir(), ".coffer", "mount.log");

const MountOptions = z.object({
  authfile: z.string().optional(),
  allowOther: z.boolean().default(false),
  dev: z.boolean().default(false),
  suid: z.boolean().default(false),
  atime: z.enum(["relatime", "strictatime", "noatime"], { message: "--atime takes relatime, strictatime or noatime" }).default("relatime"),
  fg: z.boolean().default(false),
  cachedir: z.string().optional(),
  cachesize: sizeOption.optional(),
  compress: z
    .string()
    .regex(/^(zstd-(\d|1\d|2[0-2])|none)$/, "--compress takes zstd-1 … zstd-22 or none")
    .default("zstd-1")
    .transform((v) => (v === "none" ? 0 : Number(v.slice(5)))),
  debug: z.boolean().default(false),
  log: z.string().optional(),
  forceUnlock: z.boolean().default(false),
  metadataInterval: z.coerce
    .number({ message: "--metadata-interval takes a number of seconds" })
    .min(0.1, "--metadata-interval must be at least 0.1 seconds")
    .max(3600, "--metadata-interval must be at most 3600 seconds (the whole point is a short interval)")
    .optional(),
});
type MountOptions = z.infer<typeof MountOptions>;

/** What the foreground process hands the daemon over its IPC channel: never argv, never the environment. */
interface DaemonSecrets {
  auth: AuthInfo;
  passphrase: string | null;
}

export async function mountCommand(url: string, mountpoint: string, rawOptions: unknown): Promise<void> {
  const parsed = MountOptions.safeParse(rawOptions);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message);
  const opts = parsed.data;
  if (process.env.COFFER_DAEMON === "1" && process.send) return runDaemonChild(url, mountpoint, opts);
  if ((opts.dev || opts.suid) && process.getuid?.() !== 0) {
    throw new UserError("--dev and --suid need root (the kernel makes other users' FUSE mounts nodev,nosuid); run as root or drop them");
  }

  assertMountableDirectory(canonicalMountpoint(mountpoint));
  const auth = completeBackendCredentials(url, loadAuthinfo(url, opts.authfile));
  const passphrase = await checkFilesystemAndPassphrase(url, auth);
  if (opts.fg) {
    await serveInForeground(url, mountpoint, opts, { auth, passphrase }, (line) => process.stdout.write(`${line}\n`));
  } else {
    await startDaemon(url, mountpoint, opts, { auth, passphrase });
  }
}

/** Opens the store once up front so a wrong passphrase or a missing bucket is said on this terminal. */
async function checkFilesystemAndPassphrase(url: string, auth: AuthInfo): Promise<string | null> {
  const backend = openStore(url, auth);
  try {
    await assertFilesystemExists(backend, url);
    try {
      await unlockFilesystemKeys(backend, auth.fsPassphrase ?? null);
      return auth.fsPassphrase ?? null;
    } catch (error) {
      if ((error as Error).name !== "PassphraseRequiredError") throw error;
      const asked = askSecret(`Encryption passphrase for ${url}: `, "fs-passphrase");
      await unlockFilesystemKeys(backend, asked);
      return asked;
    }
  } finally {
    await backend.close();
  }
}

function timestamped(write: (line: string) => void): (line: string) => void {
  return (line) => write(`${new Date().toISOString()} ${line}`);
}

/** Serves until unmounted or signalled; every path out of here stores all dirty data first. */
async function serveInForeground(
  url: string,
  mountpoint: string,
  opts: MountOptions,
  secrets: DaemonSecrets,
  write: (line: string) => void,
  onReady?: (mounted: MountedFilesystem) => void,
): Promise<void> {
  const log = opts.log ? timestamped((line) => appendFileSync(opts.log!, `${line}\n`)) : timestamped(write);
  const mounted = await mountFilesystem({
    url,
    mountpoint,
    auth: secrets.auth,
    passphrase: secrets.passphrase,
    cacheRoot: opts.cachedir,
    cacheSizeBytes: opts.cachesize,
    compressLevel: opts.compress,
    allowOther: opts.allowOther,
    dev: opts.dev,
    suid: opts.suid,
    atime: opts.atime,
    forceUnlock: opts.forceUnlock,
    metadataIntervalMs: opts.metadataInterval === undefined ? undefined : opts.metadataInterval * 1000,
    debug: opts.debug,
    log,
  });
  log(`mounted ${url} at ${mounted.mountpoint} (pid ${process.pid})`);
  onReady?.(mounted);
  const stop = (why: string) => {
    log(`${why}: unmounting and storing everything`);
    mounted.shutdown({ lazy: true }).then(
      () => mounted.controlDrained().then(() => process.exit(0)),
      (error) => {
        log(`shutdown failed: ${describeError(error).line}; dirty data stays in the cache and is uploaded at the next mount`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  await mounted.closed;
  stop("the kernel ended the session (unmounted)");
  await new Promise(() => {}); // stop() exits the process
}

/** Spawns `coffer mount --fg` detached, sends it the secrets, and returns once it reports the mount usable. */
async function startDaemon(url: string, mountpoint: string, opts: MountOptions, secrets: DaemonSecrets): Promise<void> {
  const logFile = opts.log ?? DEFAULT_LOG;
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, "a", 0o600);
  const args = process.argv.slice(2);
  args.splice(args.indexOf("mount") + 1, 0, "--fg");
  const child = spawn(process.execPath, [process.argv[1]!, ...args], {
    detached: true,
    cwd: "/",
    env: { ...process.env, COFFER_DAEMON: "1" },
    stdio: ["ignore", logFd, logFd, "ipc"],
  });
  child.send(secrets);
  await new Promise<void>((resolve, reject) => {
    child.on("message", (message: { ready?: boolean; error?: string; exitCode?: number }) => {
      if (message.ready) {
        process.stdout.write(`Mounted ${url} at ${mountpoint} (daemon pid ${child.pid}, log ${logFile}).\nUnmount with: coffer umount ${mountpoint}\n`);
        child.disconnect();
        child.unref();
        resolve();
      } else if (message.error) {
        reject(new UserError(message.error, message.exitCode ?? 1));
      }
    });
    child.on("exit", (code, signal) => {
      reject(new UserError(`the mount daemon exited (${signal ?? `code ${code}`}) before the mount was ready; see ${logFile}`, 1));
    });
  });
}

/** The daemon side: wait for the secrets, mount, tell the parent, then serve. */
async function runDaemonChild(url: string, mountpoint: string, opts: MountOptions): Promise<void> {
  const secrets = await new Promise<DaemonSecrets>((resolve) => process.once("message", (m) => resolve(m as DaemonSecrets)));
  try {
    await serveInForeground(url, mountpoint, opts, secrets, (line) => process.stdout.write(`${line}\n`), () => {
      process.send!({ ready: true });
      process.disconnect?.();
    });
  } catch (error) {
    const { line, exitCode } = describeError(error);
    process.stdout.write(`${new Date().toISOString()} mount failed: ${line}\n`);
    process.send?.({ error: line, exitCode });
    process.exit(exitCode);
  }
}
