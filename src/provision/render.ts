// Pure renderers, one per file kind: a validated ProvisionConfig in, the file's text out (no I/O but templates/).
import { createHash } from "node:crypto";
import { authinfoSectionFor, type ProvisionConfig, unitNameFor } from "./config.ts";
import { fillTemplate } from "./template.ts";


/** Servers that can share a mount, by the systemd unit that runs them. */
export const SERVER_UNITS = { samba: "smbd.service", ganesha: "nfs-ganesha.service", kernel: "nfs-server.service" } as const;
export type ServerKind = keyof typeof SERVER_UNITS;

function common(cfg: ProvisionConfig): Record<string, string> {
  return { MOUNTPOINT: cfg.mountpoint, UNIT_NAME: unitNameFor(cfg.mountpoint) };
}

/** The systemd service unit that mounts the filesystem (Type=notify). */
export function renderUnit(cfg: ProvisionConfig): string {
  return fillTemplate("coffer.service", {
    ...common(cfg),
    STORAGE_URL: cfg.storageUrl,
    COFFER: cfg.coffer,
    AUTHFILE: cfg.authfile,
    CACHE_DIR: cfg.cacheDir,
    CACHE_SIZE_OPTION: cfg.cacheSize ? ` --cachesize ${cfg.cacheSize}` : "",
    OWNER_UID: String(cfg.owner.uid),
    OWNER_GID: String(cfg.owner.gid),
    ROOT_MODE: cfg.rootMode,
  });
}

/** This mount's authinfo section (S3QL format); merged into an existing file by section, see authinfo-merge.ts. */
export function renderAuthinfoSection(cfg: ProvisionConfig): string {
  const c = cfg.credentials;
  const lines = [
    ["backend-login", c.backendLogin],
    ["backend-password", c.backendPassword],
    ["fs-passphrase", c.fsPassphrase],
    ["backend-options", c.backendOptions],
  ]
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  const text = fillTemplate("authinfo", {
    SECTION: authinfoSectionFor(cfg.mountpoint),
    STORAGE_URL: cfg.storageUrl,
    CREDENTIAL_LINES: lines.join("\n"),
  });
  return text.replace(/\n\n+$/, "\n");
}

/** The Samba share stanza, written as its own file that smb.conf includes. */
export function renderSambaShare(cfg: ProvisionConfig): string {
  if (!cfg.samba) throw new Error("renderSambaShare: the config has no samba share");
  return fillTemplate("smb-share.conf", {
    ...common(cfg),
    SHARE: cfg.samba.share,
    OWNER_USER: cfg.owner.user,
    OWNER_GROUP: cfg.owner.group,
  });
}

/** The /etc/exports.d line for the kernel NFS server, one client(options) per client. */
export function renderExports(cfg: ProvisionConfig): string {
  if (!cfg.nfs) throw new Error("renderExports: the config has no nfs clients");
  const options = `rw,sync,no_subtree_check,fsid=${cfg.fsid},all_squash,anonuid=${cfg.owner.uid},anongid=${cfg.owner.gid}`;
  return fillTemplate("exports", {
    ...common(cfg),
    OWNER_USER: cfg.owner.user,
    OWNER_UID: String(cfg.owner.uid),
    OWNER_GID: String(cfg.owner.gid),
    CLIENT_LIST: cfg.nfs.clients.map((c) => `${c}(${options})`).join(" "),
  });
}

/** The nfs-ganesha EXPORT block (FSAL VFS), included from ganesha.conf with one %include line. */
export function renderGaneshaExport(cfg: ProvisionConfig): string {
  if (!cfg.nfs) throw new Error("renderGaneshaExport: the config has no nfs clients");
  const clients = cfg.nfs.clients.map((c) => `    CLIENT {\n        Clients = ${c};\n        Access_Type = RW;\n    }`);
  return fillTemplate("ganesha-export.conf", {
    ...common(cfg),
    EXPORT_ID: String(ganeshaExportId(cfg.fsid)),
    GANESHA_FSID: ganeshaFilesystemId(cfg.fsid),
    OWNER_USER: cfg.owner.user,
    OWNER_UID: String(cfg.owner.uid),
    OWNER_GID: String(cfg.owner.gid),
    CLIENT_BLOCKS: clients.join("\n"),
  });
}

/** A drop-in for a server's unit: start after the mount, stop before it, stop and restart with it. */
export function renderServerDropIn(cfg: ProvisionConfig, server: ServerKind): string {
  return fillTemplate("server-dropin.conf", { ...common(cfg), SERVER_UNIT: SERVER_UNITS[server] });
}

/** A drop-in for the mount's own unit that starts its servers again when it comes back. */
export function renderUnitDropIn(cfg: ProvisionConfig): string {
  return fillTemplate("unit-dropin.conf", { ...common(cfg), SERVER_UNITS: serversOf(cfg).map((s) => SERVER_UNITS[s]).join(" ") });
}

/** The servers that share this mount, in a fixed order. */
export function serversOf(cfg: ProvisionConfig): ServerKind[] {
  const servers: ServerKind[] = [];
  if (cfg.samba) servers.push("samba");
  if (cfg.nfs) servers.push(cfg.nfs.server);
  return servers;
}

/** Export_Id 1..65535 must be unique per ganesha server: 1000..60999 from the filesystem id (0 and 1 are special). */
export function ganeshaExportId(fsid: string): number {
  return 1000 + (digest(fsid).readUInt32BE(0) % 60000);
}

/** ganesha's Filesystem_Id is "major.minor": two 32-bit numbers from the filesystem id. */
export function ganeshaFilesystemId(fsid: string): string {
  const d = digest(fsid);
  return `${d.readUInt32BE(4)}.${d.readUInt32BE(8)}`;
}

function digest(fsid: string): Buffer {
  return createHash("sha256").update(`coffer-nfs:${fsid.toLowerCase()}`).digest();
}
