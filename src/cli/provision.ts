// `coffer provision`: turns a storage URL and a mount point into the appliance — authinfo, a systemd unit,
// Samba/NFS shares and their ordering drop-ins — from flags or questions; checks everything before writing.
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { type AuthInfo, DEFAULT_AUTHFILE, loadAuthinfo } from "../config/authinfo.ts";
import {
  applyChanges, computeChanges, describeChange, type FileChange, hasWork, parseProvisionConfig, planFiles, plannedDirectories, snapshotUnitsFor,
  type ProvisionConfig, type ProvisionConfigInput, redactSecrets, renderAuthinfoSection, SMB_CONF, underRoot, unitNameFor,
  validateChanges,
} from "../provision/index.ts";
import { UserError } from "../user-error.ts";
import { mkfsCommand } from "./mkfs.ts";
import { askNewSecret } from "./prompt.ts";
import { checkMountpoint, checkShareName, checkStore, lookupAccount, type StoreState } from "./provision-checks.ts";
import { askWithDefault, askShares, askYesNo } from "./provision-questions.ts";
import { completeBackendCredentials } from "./secrets.ts";
import { parseOptions } from "./options.ts";

const ProvisionOptions = z.object({
  storageUrl: z.string().optional(),
  mountpoint: z.string().optional(),
  authfile: z.string().default("/etc/coffer/authinfo"),
  cachedir: z.string().optional(),
  cachesize: z.string().optional(),
  samba: z.string().optional(),
  nfs: z.string().optional(),
  nfsServer: z.enum(["ganesha", "kernel"], { message: "--nfs-server is ganesha or kernel" }).default("ganesha"),
  owner: z.string().regex(/^[^:]+(:[^:]+)?$/, "--owner is USER or USER:GROUP").default("coffer:coffer"),
  coffer: z.string().optional(),
  snapshots: z.string().optional(),
  snapshotKeep: z.string().optional(),
  yes: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  root: z.string().refine(isAbsolute, "--root must be an absolute directory").optional(),
});
type ProvisionOptions = z.infer<typeof ProvisionOptions>;

/** Where the unit finds coffer: the installed link, else this checkout's bin/coffer. */
function defaultCofferPath(): string {
  return existsSync("/usr/local/bin/coffer") ? "/usr/local/bin/coffer" : resolve(import.meta.dir, "../../bin/coffer");
}

const say = (line = "") => process.stdout.write(`${line}\n`);

export async function provisionCommand(rawOptions: unknown): Promise<void> {
  const opts = parseOptions(ProvisionOptions, rawOptions);
  const interactive = !opts.storageUrl || !opts.mountpoint;
  const url = opts.storageUrl ?? askWithDefault("Storage URL (s3://BUCKET/PREFIX, s3c://HOST:PORT/BUCKET, local:///DIR)?", "--storage-url");
  const mountpoint = resolve(opts.mountpoint ?? askWithDefault("Mount point?", "--mountpoint", "/mnt/coffer"));
  const shares = interactive && opts.samba === undefined && opts.nfs === undefined ? askShares(mountpoint) : { samba: opts.samba, nfs: opts.nfs };
  const [user, group = user] = opts.owner.split(":") as [string, string?];

  // Validate the shape first (one line per problem), with a placeholder id and owner, before touching the store.
  const input = (fsid: string, ids: { uid: number; gid: number }, credentials: ProvisionConfigInput["credentials"]): ProvisionConfigInput => ({
    storageUrl: url,
    mountpoint,
    coffer: opts.coffer ? resolve(opts.coffer) : defaultCofferPath(),
    authfile: resolve(opts.authfile),
    cacheDir: opts.cachedir ? resolve(opts.cachedir) : undefined,
    cacheSize: opts.cachesize,
    fsid,
    owner: { user, group: group!, ...ids },
    credentials,
    samba: shares.samba ? { share: shares.samba } : undefined,
    nfs: shares.nfs ? { clients: shares.nfs.split(",").map((c) => c.trim()).filter(Boolean), server: opts.nfsServer } : undefined,
    snapshots: opts.snapshots !== undefined
      ? { dirs: opts.snapshots.split(",").map((d) => d.trim().replace(/^\/+|\/+$/g, "")).filter(Boolean), keep: opts.snapshotKeep }
      : undefined,
  });
  const PLACEHOLDER_FSID = "00000000-0000-8000-8000-000000000000";
  wrapConfigErrors(() => parseProvisionConfig(input(PLACEHOLDER_FSID, { uid: 0, gid: 0 }, {})));

  const mountState = checkMountpoint(mountpoint, url, opts.root);
  if (shares.samba) checkShareName(shares.samba, mountpoint, SMB_CONF, opts.root);
  const account = lookupAccount(user, group!);
  if (!account && opts.root) throw new UserError(`user ${user} or group ${group} does not exist on this machine; create them or choose --owner`);

  const auth = completeBackendCredentials(url, knownCredentials(url, underRoot(opts.root, resolve(opts.authfile))));
  const store = await checkStore(url, auth);
  const commands: string[] = [];
  let passphrase = auth.fsPassphrase;
  if (store.kind === "empty") {
    const create = opts.yes || (interactive && askYesNo(`${url} holds no Coffer filesystem. Create one (coffer mkfs)?`, "--yes"));
    if (!create) throw new UserError(`there is no coffer filesystem at ${url}; add --yes to create one, or run: coffer mkfs ${url}`);
    if (!passphrase) {
      passphrase = interactive ? askNewSecret(`New encryption passphrase for ${url}: `, "fs-passphrase") : randomBytes(24).toString("base64");
      if (!interactive) say(`New filesystem: generated its passphrase into ${opts.authfile} (keep a copy elsewhere: without it the data is lost).`);
    }
    commands.push(`coffer mkfs ${url}`);
  }
  if (!account) commands.push(`useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${user}`);

  const credentials = {
    backendLogin: auth.backendLogin,
    backendPassword: auth.backendPassword,
    fsPassphrase: passphrase,
    backendOptions: optionsText(auth.backendOptions),
  };
  const build = (fsid: string, ids: { uid: number; gid: number }) => wrapConfigErrors(() => parseProvisionConfig(input(fsid, ids, credentials)));
  let cfg = build(store.kind === "filesystem" ? store.fsid : PLACEHOLDER_FSID, account ?? { uid: 0, gid: 0 });
  let changes = checkedChanges(cfg, opts.root);
  const systemd = !opts.root && isSystemdRunning();
  if (systemd) commands.push("systemctl daemon-reload");

  if (opts.dryRun) {
    printDryRun(cfg, changes, commands, store, !account);
    return;
  }

  // Everything is checked: from here on, create the filesystem (if asked), the account, then the files.
  if (store.kind === "empty") await runMkfs(url, cfg);
  if (!account) runCommand(commands.find((c) => c.startsWith("useradd"))!.split(" "));
  const fsid = store.kind === "filesystem" ? store.fsid : await fsidAfterMkfs(url, { ...auth, fsPassphrase: passphrase });
  cfg = build(fsid, lookupAccount(user, group!) ?? { uid: 0, gid: 0 });
  changes = checkedChanges(cfg, opts.root);
  for (const dir of plannedDirectories(cfg)) mkdirSync(underRoot(opts.root, dir.path), { recursive: true, mode: dir.mode });
  const applied = applyChanges(changes);
  for (const f of applied) say(`${f.status.padEnd(10)} ${f.path}  (${f.what})${f.backup ? `, backup ${f.backup}` : ""}`);
  if (!hasWork(changes)) say("Nothing changed: every file is already as provisioned.");
  if (systemd) runCommand(["systemctl", "daemon-reload"]);
  if (mountState === "mounted-here" && !opts.root) claimShareRoot(cfg);
  printSummary(cfg);
}

/** Credentials already known for the URL: the target authinfo file first, then the user's ~/.coffer/authinfo. */
function knownCredentials(url: string, targetAuthfile: string): AuthInfo {
  const personal = existsSync(DEFAULT_AUTHFILE) ? loadAuthinfo(url, DEFAULT_AUTHFILE) : { backendOptions: {} };
  const target = existsSync(targetAuthfile) ? loadAuthinfo(url, targetAuthfile) : { backendOptions: {} };
  const pick = <K extends keyof AuthInfo>(k: K) => target[k] ?? personal[k];
  return {
    backendLogin: pick("backendLogin"),
    backendPassword: pick("backendPassword"),
    fsPassphrase: pick("fsPassphrase"),
    backendOptions: { ...personal.backendOptions, ...target.backendOptions },
  };
}

function optionsText(options: Record<string, string | true>): string | undefined {
  const parts = Object.entries(options).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  return parts.length ? parts.join(",") : undefined;
}

function wrapConfigErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if ((error as Error).name === "ProvisionConfigError") throw new UserError((error as Error).message);
    throw error;
  }
}

/** Computes every file's new text and validates them with the real tools; a problem stops everything. */
function checkedChanges(cfg: ProvisionConfig, root: string | undefined): FileChange[] {
  const changes = computeChanges(planFiles(cfg), root);
  const problems = validateChanges(changes);
  if (problems.length) throw new UserError(`${problems[0]!.path} would be invalid (${problems[0]!.problem}); nothing was written`);
  return changes;
}

/** mkfs through its own command, reading the passphrase from a private temporary authinfo file. */
async function runMkfs(url: string, cfg: ProvisionConfig): Promise<void> {
  if (url.startsWith("local://")) mkdirSync(url.slice("local://".length), { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmpdir(), "coffer-provision-"));
  try {
    const authfile = join(dir, "authinfo");
    writeFileSync(authfile, renderAuthinfoSection(cfg), { mode: 0o600 });
    await mkfsCommand(url, { authfile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fsidAfterMkfs(url: string, auth: AuthInfo): Promise<string> {
  const state = await checkStore(url, auth);
  if (state.kind !== "filesystem") throw new UserError(`mkfs did not leave a filesystem at ${url}; run coffer mkfs ${url} by hand`);
  return state.fsid;
}

function runCommand(argv: string[]): void {
  say(`$ ${argv.join(" ")}`);
  const run = Bun.spawnSync(argv, { stdout: "inherit", stderr: "pipe" });
  if (run.exitCode !== 0) throw new UserError(`${argv.join(" ")} failed: ${run.stderr.toString().trim().split("\n")[0]}`);
}

function isSystemdRunning(): boolean {
  return existsSync("/run/systemd/system");
}

/** What the unit's ExecStartPost does, done now for a mount that is already up: a root-owned root goes to the owner. */
function claimShareRoot(cfg: ProvisionConfig): void {
  const st = statSync(cfg.mountpoint);
  if (st.uid !== 0 || st.gid !== 0) return;
  chownSync(cfg.mountpoint, cfg.owner.uid, cfg.owner.gid);
  chmodSync(cfg.mountpoint, Number.parseInt(cfg.rootMode, 8));
  say(`Gave the share root ${cfg.mountpoint} to ${cfg.owner.user}:${cfg.owner.group}, mode ${cfg.rootMode}.`);
}

function printDryRun(cfg: ProvisionConfig, changes: FileChange[], commands: string[], store: StoreState, newAccount: boolean): void {
  say("Dry run: nothing is written. Files:");
  for (const c of changes) {
    if (c.status === "unchanged") say(`unchanged  ${c.file.path}${c.modeWrong ? ` (mode would be set to ${c.file.mode.toString(8)})` : ""}`);
    else process.stdout.write(redactSecrets(describeChange(c)));
  }
  say("Directories:");
  for (const d of plannedDirectories(cfg)) say(`  ${d.path} (mode ${d.mode.toString(8)}, created if missing)`);
  say("Commands:");
  for (const c of commands) say(`  ${c}`);
  if (commands.length === 0) say("  (none)");
  if (store.kind === "empty" && cfg.nfs) say("The NFS fsid shown is a placeholder: the real one comes from the filesystem mkfs creates.");
  if (newAccount) say(`The owner's ids shown are placeholders: useradd assigns them.`);
}

function printSummary(cfg: ProvisionConfig): void {
  const unit = unitNameFor(cfg.mountpoint);
  say(`Share users act as ${cfg.owner.user}:${cfg.owner.group} (Samba force user/group, NFS all_squash); the unit gives a fresh share root to them with mode ${cfg.rootMode}.`);
  say(`/etc/fuse.conf: left alone (the unit mounts as root, which needs no user_allow_other).`);
  say(`Start it where systemd runs: systemctl enable --now '${unit}'`);
  if (cfg.snapshots) say(`Daily snapshots (${cfg.snapshots.dirs.join(", ")}, keep ${cfg.snapshots.keep}): systemctl enable --now '${snapshotUnitsFor(cfg.mountpoint).timer}'`);
}
