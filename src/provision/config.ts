// The one configuration object every provision renderer reads, validated with zod, and the names derived from it.
import { z } from "zod";

/** Characters a path or URL may hold so it needs no quoting in a unit, smb.conf, exports or ganesha.conf. */
const SAFE = /^[A-Za-z0-9/._:@+,=~-]+$/;
const absolutePath = (what: string) =>
  z
    .string()
    .refine((p) => p.startsWith("/"), { message: `${what} must be an absolute path (start with /)` })
    .refine((p) => SAFE.test(p), { message: `${what} may hold only letters, digits and / . _ : @ + , = ~ - (no spaces, quotes or %)` })
    .transform((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));

/** A Samba share name: smb.conf section names are case-insensitive and some are reserved. */
const shareName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, "the share name may hold letters, digits and . _ - (at most 80)")
  .refine((n) => !["global", "homes", "printers", "print$", "ipc$"].includes(n.toLowerCase()), {
    message: "that share name is reserved by Samba; choose another",
  });

/** An NFS client as exports(5) and ganesha accept it: a host, an IP, a CIDR network or a wildcard. */
const nfsClient = z.string().regex(/^[A-Za-z0-9.:*?/_-]+$/, "an NFS client is a host name, an address, a network (10.0.0.0/24) or *");

const account = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, "a user or group name is lower-case letters, digits, _ and -");

export const ProvisionConfigSchema = z
  .object({
    /** Storage URL given to mkfs: local://, s3://, s3c://. */
    storageUrl: z
      .string()
      .regex(/^(local|s3|s3c):\/\//, "the storage URL starts with local://, s3:// or s3c://")
      .refine((u) => SAFE.test(u), { message: "the storage URL may not hold spaces, quotes or %" }),
    /** Where the filesystem is mounted (and shared from). */
    mountpoint: absolutePath("the mount point").refine((p) => p !== "/", { message: "the mount point cannot be /" }),
    /** Absolute path of the coffer program the unit runs. */
    coffer: absolutePath("the coffer program").default("/usr/local/bin/coffer"),
    /** The authinfo file the unit's daemon reads (root, mode 600). */
    authfile: absolutePath("the authinfo file").default("/etc/coffer/authinfo"),
    /** Cache directory; default /var/cache/coffer/<mount slug>. */
    cacheDir: absolutePath("the cache directory").optional(),
    /** --cachesize for the mount, as the CLI takes it (10G, 512M). */
    cacheSize: z.string().regex(/^\d+(\.\d+)?[KMGT]?i?B?$/i, "the cache size is a number with K, M, G or T, e.g. 10G").optional(),
    /** The filesystem's stable id (a UUID), from which NFS fsid= and ganesha's Filesystem_Id are derived. */
    fsid: z.uuid("fsid must be a UUID"),
    /** Who owns the share root and whom share users act as (Samba force user/group, NFS anonuid/anongid). */
    owner: z.object({ user: account, group: account, uid: z.number().int().min(0), gid: z.number().int().min(0) }),
    /** Mode the share root gets when provision hands it to the owner (setgid keeps the group on new files). */
    rootMode: z.string().regex(/^[0-7]{3,4}$/).default("2775"),
    /** Credentials for the authinfo section; absent keys are not written (nor removed from an existing section). */
    credentials: z
      .object({
        backendLogin: z.string().min(1).optional(),
        backendPassword: z.string().min(1).optional(),
        fsPassphrase: z.string().min(1).optional(),
        backendOptions: z.string().min(1).optional(),
      })
      .refine((c) => Object.values(c).every((v) => v === undefined || !/[\r\n]/.test(v)), {
        message: "credentials are single lines",
      })
      .default({}),
    samba: z.object({ share: shareName }).optional(),
    nfs: z
      .object({
        clients: z.array(nfsClient).min(1, "--nfs needs at least one client (e.g. 192.168.1.0/24)"),
        /** Which NFS server gets the ordering drop-ins: nfs-ganesha (user space) or the kernel's nfs-server. */
        server: z.enum(["ganesha", "kernel"]).default("ganesha"),
      })
      .optional(),
  })
  .transform((c) => ({ ...c, cacheDir: c.cacheDir ?? `/var/cache/coffer/${mountSlug(c.mountpoint)}` }));

export type ProvisionConfigInput = z.input<typeof ProvisionConfigSchema>;
export type ProvisionConfig = z.output<typeof ProvisionConfigSchema>;

/** Validates a config; throws an Error whose message is one line naming the field and the problem. */
export function parseProvisionConfig(input: unknown): ProvisionConfig {
  const parsed = ProvisionConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  throw new ProvisionConfigError(`${where}${issue.message}`);
}

export class ProvisionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProvisionConfigError";
  }
}

/** `systemd-escape --path`: /mnt/coffer-demo -> mnt-coffer\x2ddemo. */
export function systemdEscapePath(path: string): string {
  const trimmed = path.replace(/\/+/g, "/").replace(/^\/|\/$/g, "");
  if (trimmed === "") return "-";
  let out = "";
  for (const [i, ch] of [...trimmed].entries()) {
    if (ch === "/") out += "-";
    else if (/[A-Za-z0-9:_]/.test(ch) || (ch === "." && i > 0)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The unit serving a mount point: coffer-<systemd-escaped path>.service. */
export function unitNameFor(mountpoint: string): string {
  return `coffer-${systemdEscapePath(mountpoint)}.service`;
}

/** A plain file-name form of the mount point for the other files (no backslashes): /mnt/coffer-demo -> mnt-coffer-demo. */
export function mountSlug(mountpoint: string): string {
  return mountpoint.replace(/^\/+|\/+$/g, "").replace(/\/+/g, "-").replace(/[^A-Za-z0-9._-]/g, "_") || "root";
}

/** The authinfo section provision owns for a mount. */
export function authinfoSectionFor(mountpoint: string): string {
  return `coffer-${mountSlug(mountpoint)}`;
}
