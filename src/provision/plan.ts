// What provision writes for one mount: every file, where, with which mode, and how its new text follows from the old.
import { authinfoSectionFor, mountSlug, type ProvisionConfig, unitNameFor } from "./config.ts";
import { ensureLine, mergeAuthinfo } from "./merge.ts";
import {
  renderAuthinfoSection,
  renderExports,
  renderGaneshaExport,
  renderSambaShare,
  renderServerDropIn,
  renderUnit,
  renderUnitDropIn,
  SERVER_UNITS,
  serversOf,
} from "./render.ts";

/** One file provision owns or edits. `path` is where it lives on the target system (before any --root). */
export interface PlannedFile {
  path: string;
  mode: number;
  /** What it is, for the summary ("systemd unit", "Samba share"). */
  what: string;
  /** The file's new text given its current text (null when it does not exist). */
  next(current: string | null): string;
  /** The kind validate.ts checks it as, if any. */
  check?: "unit" | "samba-share" | "smb-conf" | "exports" | "ganesha";
}

export const SYSTEMD_DIR = "/etc/systemd/system";
export const SMB_CONF = "/etc/samba/smb.conf";
export const GANESHA_CONF = "/etc/ganesha/ganesha.conf";

const INCLUDE_COMMENT = "# Added by `coffer provision` (one line per Coffer share; remove it to unshare):";

/** The paths of one mount's files, for callers that read them (tests, install.sh --uninstall). */
export function pathsFor(cfg: ProvisionConfig) {
  const slug = mountSlug(cfg.mountpoint);
  const unit = unitNameFor(cfg.mountpoint);
  return {
    authinfo: cfg.authfile,
    unit: `${SYSTEMD_DIR}/${unit}`,
    unitDropIn: `${SYSTEMD_DIR}/${unit}.d/coffer-servers.conf`,
    sambaShare: `/etc/samba/coffer-${slug}.conf`,
    exports: `/etc/exports.d/coffer-${slug}.exports`,
    ganesha: `/etc/ganesha/coffer-${slug}.conf`,
    serverDropIn: (unitOfServer: string) => `${SYSTEMD_DIR}/${unitOfServer}.d/coffer-${slug}.conf`,
  };
}

/** Every file for this config, in the order they are written (the unit's dependencies before it). */
export function planFiles(cfg: ProvisionConfig): PlannedFile[] {
  const p = pathsFor(cfg);
  const whole = (text: string) => () => text;
  const files: PlannedFile[] = [
    {
      path: p.authinfo,
      mode: 0o600,
      what: `credentials (section [${authinfoSectionFor(cfg.mountpoint)}])`,
      next: (current) => mergeAuthinfo(current, renderAuthinfoSection(cfg)),
    },
  ];
  if (cfg.samba) {
    files.push(
      { path: p.sambaShare, mode: 0o644, what: `Samba share [${cfg.samba.share}]`, next: whole(renderSambaShare(cfg)), check: "samba-share" },
      {
        path: SMB_CONF,
        mode: 0o644,
        what: "Samba configuration (one include line)",
        next: (current) => ensureLine(current, `include = ${p.sambaShare}`, INCLUDE_COMMENT),
        check: "smb-conf",
      },
    );
  }
  if (cfg.nfs) {
    files.push(
      { path: p.exports, mode: 0o644, what: "kernel NFS export", next: whole(renderExports(cfg)), check: "exports" },
      { path: p.ganesha, mode: 0o644, what: "nfs-ganesha EXPORT block", next: whole(renderGaneshaExport(cfg)), check: "ganesha" },
      {
        path: GANESHA_CONF,
        mode: 0o644,
        what: "nfs-ganesha configuration (one %include line)",
        next: (current) => ensureLine(current, `%include "${p.ganesha}"`, INCLUDE_COMMENT),
      },
    );
  }
  for (const server of serversOf(cfg)) {
    const unit = SERVER_UNITS[server];
    files.push({ path: p.serverDropIn(unit), mode: 0o644, what: `${unit} ordering drop-in`, next: whole(renderServerDropIn(cfg, server)) });
  }
  if (serversOf(cfg).length) {
    files.push({ path: p.unitDropIn, mode: 0o644, what: "unit drop-in (starts its servers)", next: whole(renderUnitDropIn(cfg)) });
  }
  files.push({ path: p.unit, mode: 0o644, what: "systemd unit", next: whole(renderUnit(cfg)), check: "unit" });
  return files;
}

/** Directories the mount needs, created (never emptied) by apply. */
export function plannedDirectories(cfg: ProvisionConfig): { path: string; mode: number }[] {
  return [
    { path: cfg.mountpoint, mode: 0o755 },
    { path: cfg.cacheDir, mode: 0o700 },
  ];
}
