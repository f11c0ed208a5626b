// Provisioning, the public API: turns ONE validated config into the appliance's files (unit, authinfo, shares).
//
// Stable exports (other branches merge this; change them only additively):
//   parseProvisionConfig(input) -> ProvisionConfig   zod-validated; throws ProvisionConfigError (one line)
//   ProvisionConfigSchema, ProvisionConfig, ProvisionConfigInput
//   unitNameFor(mountpoint)      "coffer-mnt-coffer\x2ddemo.service" (systemd-escape --path style)
//   systemdEscapePath(path), mountSlug(mountpoint), authinfoSectionFor(mountpoint)
//   renderUnit(cfg)              the Type=notify service unit (templates/coffer.service)
//   renderAuthinfoSection(cfg)   this mount's [section] of /etc/coffer/authinfo (templates/authinfo)
//   renderSambaShare(cfg)        the share stanza, an include file (templates/smb-share.conf)
//   renderExports(cfg)           the /etc/exports.d line with a stable fsid= (templates/exports)
//   renderGaneshaExport(cfg)     the nfs-ganesha EXPORT block, FSAL VFS (templates/ganesha-export.conf)
//   renderServerDropIn(cfg, "samba" | "ganesha" | "kernel")   After=/BindsTo= drop-in for smbd / the NFS server
//   renderUnitDropIn(cfg)        Wants= the servers, so they come back with the mount
//   planFiles(cfg), pathsFor(cfg)    every file, its path on the target system, mode and merge rule
//   computeChanges(plan, root?) -> FileChange[]; applyChanges(changes); describeChange (unified diff)
//   validateChanges(changes)     systemd-analyze verify, testparm -s, exports and ganesha parse checks
// Renderers are pure: the same config gives the same bytes (golden tests in tests/golden/). Nothing here
// touches the filesystem's data: no store, no mount; src/cli/provision.ts does those checks.
export {
  authinfoSectionFor, mountSlug, parseProvisionConfig, ProvisionConfigError, ProvisionConfigSchema, systemdEscapePath,
  unitNameFor, type ProvisionConfig, type ProvisionConfigInput,
} from "./config.ts";
export {
  ganeshaExportId, ganeshaFilesystemId, renderAuthinfoSection, renderExports, renderGaneshaExport, renderSambaShare,
  renderServerDropIn, renderUnit, renderUnitDropIn, SERVER_UNITS, serversOf, type ServerKind,
} from "./render.ts";
export { GANESHA_CONF, pathsFor, planFiles, plannedDirectories, SMB_CONF, SYSTEMD_DIR, type PlannedFile } from "./plan.ts";
export {
  applyChanges, computeChanges, describeChange, hasWork, redactSecrets, underRoot, writeFileAtomic, type AppliedFile,
  type FileChange,
} from "./apply.ts";
export { ensureLine, mergeAuthinfo } from "./merge.ts";
export { checkExports, checkGaneshaBlock, testparmShare, validateChanges, verifyUnit, type ValidationProblem } from "./validate.ts";
