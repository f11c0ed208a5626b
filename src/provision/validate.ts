// Checks rendered files with the real tools before anything is written: systemd-analyze verify, testparm -s,
// and a parser for the exports line (no kernel NFS server is needed to check it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { FileChange } from "./apply.ts";

export interface ValidationProblem {
  path: string;
  /** One line: the tool's complaint. */
  problem: string;
}

/** Runs every check that applies to the changes; returns the problems (empty: all good). */
export function validateChanges(changes: FileChange[]): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const unit = changes.find((c) => c.file.check === "unit");
  if (unit) {
    problems.push(...verifyUnit(unit.file.path, unit.next, dropInsFor(changes, basename(unit.file.path)), serverUnitsWithDropIns(changes)));
  }
  const share = changes.find((c) => c.file.check === "samba-share");
  const smbConf = changes.find((c) => c.file.check === "smb-conf");
  if (share) problems.push(...testparmShare(share.file.path, share.next, smbConf?.next ?? null));
  for (const c of changes.filter((x) => x.file.check === "exports")) {
    for (const problem of checkExports(c.next)) problems.push({ path: c.file.path, problem });
  }
  for (const c of changes.filter((x) => x.file.check === "ganesha")) {
    for (const problem of checkGaneshaBlock(c.next)) problems.push({ path: c.file.path, problem });
  }
  return problems;
}

function dropInsFor(changes: FileChange[], unitName: string): { name: string; text: string }[] {
  return changes
    .filter((c) => c.file.path.includes(`/${unitName}.d/`))
    .map((c) => ({ name: basename(c.file.path), text: c.next }));
}

const UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

/** Server units (smbd, nfs-ganesha...) installed on this machine, each with the drop-ins the plan gives it. */
function serverUnitsWithDropIns(changes: FileChange[]): UnitFiles[] {
  const byUnit = new Map<string, { name: string; text: string }[]>();
  for (const c of changes) {
    const m = /\/((?:smbd|nfs-ganesha|nfs-server)\.service)\.d\/([^/]+)$/.exec(c.file.path);
    if (m) byUnit.set(m[1]!, [...(byUnit.get(m[1]!) ?? []), { name: m[2]!, text: c.next }]);
  }
  const out: UnitFiles[] = [];
  for (const [name, dropIns] of byUnit) {
    // A server that is not installed here cannot be checked with its drop-in; the drop-in alone is still written.
    const installed = UNIT_DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
    if (installed) out.push({ name, text: readFileSync(installed, "utf8"), dropIns });
  }
  return out;
}

interface UnitFiles {
  name: string;
  text: string;
  dropIns: { name: string; text: string }[];
}

/**
 * `systemd-analyze verify` on the unit (and its drop-ins) in a scratch directory, together with the server
 * units that get drop-ins ordering them after it. It checks syntax, unknown keys, and that every Exec program
 * exists on this machine — so the unit must name real absolute paths.
 */
export function verifyUnit(
  path: string,
  text: string,
  dropIns: { name: string; text: string }[] = [],
  companions: UnitFiles[] = [],
): ValidationProblem[] {
  const dir = mkdtempSync(join(tmpdir(), "coffer-verify-"));
  try {
    const name = basename(path);
    for (const unit of [{ name, text, dropIns }, ...companions]) {
      writeFileSync(join(dir, unit.name), unit.text);
      if (unit.dropIns.length) mkdirSync(join(dir, `${unit.name}.d`));
      for (const d of unit.dropIns) writeFileSync(join(dir, `${unit.name}.d`, d.name), d.text);
    }
    const units = [name, ...companions.map((c) => c.name)].map((u) => join(dir, u));
    const run = Bun.spawnSync(["systemd-analyze", "verify", "--man=no", ...units], {
      env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_PAGER: "" },
    });
    const output = `${run.stdout.toString()}${run.stderr.toString()}`;
    // Lines about our file; verify also loads the units we name (smbd.service...), whose own notes are not ours.
    const ours = output.split("\n").filter((l) => l.includes(dir) || /Unknown|Failed to|Invalid|not executable|is not absolute/.test(l));
    const relevant = ours.filter((l) => !/^\s*$/.test(l)).map((l) => l.replaceAll(`${dir}/`, ""));
    if (run.exitCode !== 0 || relevant.length) {
      return [{ path, problem: `systemd-analyze verify: ${relevant[0] ?? output.trim().split("\n")[0] ?? `exit ${run.exitCode}`}` }];
    }
    return [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `testparm -s` on the share stanza, inside the user's smb.conf (with the include line pointing at a scratch
 * copy of the stanza) or, without one, inside a minimal [global] section.
 */
export function testparmShare(path: string, stanza: string, smbConf: string | null): ValidationProblem[] {
  const dir = mkdtempSync(join(tmpdir(), "coffer-testparm-"));
  try {
    const staged = join(dir, basename(path));
    writeFileSync(staged, stanza);
    const conf = smbConf === null ? `[global]\n   server role = standalone server\ninclude = ${staged}\n` : smbConf.replaceAll(path, staged);
    writeFileSync(join(dir, "smb.conf"), conf);
    const run = Bun.spawnSync(["testparm", "-s", join(dir, "smb.conf")]);
    const stderr = run.stderr.toString();
    const bad = stderr.split("\n").find((l) => /Unknown parameter|Ignoring unknown|Error|error|Invalid/.test(l));
    if (run.exitCode !== 0 || bad) return [{ path, problem: `testparm: ${(bad ?? stderr.trim().split("\n").pop() ?? "").replaceAll(`${dir}/`, "")}` }];
    const section = new RegExp(`^\\[${stanza.match(/^\[(.+)\]$/m)?.[1]?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]$`, "m");
    if (!section.test(run.stdout.toString())) return [{ path, problem: "testparm: the share is missing from the loaded configuration" }];
    return [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EXPORT_OPTIONS = new Set([
  "rw", "ro", "sync", "async", "secure", "insecure", "wdelay", "no_wdelay", "hide", "nohide", "crossmnt",
  "subtree_check", "no_subtree_check", "insecure_locks", "no_auth_nlm", "secure_locks", "auth_nlm", "mountpoint",
  "root_squash", "no_root_squash", "all_squash", "no_all_squash",
]);

/** Parses /etc/exports text as exports(5) does; returns one line per problem. */
export function checkExports(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  if (lines.length === 0) problems.push("no export line");
  for (const line of lines) {
    const [path, ...entries] = line.trim().split(/\s+/);
    if (!path?.startsWith("/")) problems.push(`export path "${path}" is not absolute`);
    if (entries.length === 0) problems.push(`${path}: no client`);
    for (const entry of entries) {
      const m = /^([^()\s]+)\(([^()\s]*)\)$/.exec(entry);
      if (!m) {
        problems.push(`"${entry}" is not client(options)`);
        continue;
      }
      let hasFsid = false;
      for (const option of m[2]!.split(",")) {
        const [key, value] = option.split("=");
        if (key === "fsid") {
          hasFsid = /^(\d+|root|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i.test(value ?? "");
          if (!hasFsid) problems.push(`${m[1]}: fsid=${value} is not a number, root or a UUID`);
        } else if (key === "anonuid" || key === "anongid") {
          if (!/^\d+$/.test(value ?? "")) problems.push(`${m[1]}: ${key}=${value} is not a number`);
        } else if (value !== undefined || !EXPORT_OPTIONS.has(key!)) {
          problems.push(`${m[1]}: unknown export option "${option}"`);
        }
      }
      if (!hasFsid) problems.push(`${m[1]}: no fsid= (a FUSE filesystem cannot be exported without one)`);
    }
  }
  return problems;
}

/** Balanced braces, one EXPORT with Path, Pseudo, Export_Id and FSAL VFS: what ganesha needs to load it. */
export function checkGaneshaBlock(text: string): string[] {
  const code = text.replace(/#.*$/gm, "");
  const problems: string[] = [];
  let depth = 0;
  for (const ch of code) {
    if (ch === "{") depth++;
    if (ch === "}" && --depth < 0) break;
  }
  if (depth !== 0) problems.push("unbalanced braces");
  for (const key of ["Export_Id", "Path", "Pseudo"]) {
    if (!new RegExp(`^\\s*${key}\\s*=\\s*[^;]+;`, "m").test(code)) problems.push(`no ${key} = ...;`);
  }
  if (!/FSAL\s*\{\s*Name\s*=\s*VFS\s*;/m.test(code)) problems.push("no FSAL { Name = VFS; }");
  return problems;
}

