// Applies a plan: computes each file's new text, shows diffs (dry run), writes atomically with backups, idempotently.
import {
  chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync,
  renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { PlannedFile } from "./plan.ts";

/** One planned file with its current and next text, resolved against a root. */
export interface FileChange {
  file: PlannedFile;
  /** Where it is written: root + file.path. */
  target: string;
  current: string | null;
  next: string;
  status: "create" | "change" | "unchanged";
  /** The mode differs even if the text does not (e.g. an authinfo file left 644). */
  modeWrong: boolean;
}

/** Prefixes an absolute target-system path with --root (tests, image builds). */
export function underRoot(root: string | undefined, path: string): string {
  return root ? join(root, path) : path;
}

export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Reads every planned file and computes what it becomes; touches nothing. */
export function computeChanges(files: PlannedFile[], root?: string): FileChange[] {
  return files.map((file) => {
    const target = underRoot(root, file.path);
    const current = readIfExists(target);
    const next = file.next(current);
    const status = current === null ? "create" : current === next ? "unchanged" : "change";
    const modeWrong = current !== null && (statSync(target).mode & 0o7777) !== file.mode;
    return { file, target, current, next, status, modeWrong };
  });
}

export function hasWork(changes: FileChange[]): boolean {
  return changes.some((c) => c.status !== "unchanged" || c.modeWrong);
}

/** A unified diff of a change (`diff -u`), or the whole new file for a creation. */
export function describeChange(change: FileChange): string {
  if (change.status === "create") {
    return `--- /dev/null\n+++ ${change.file.path}\n${change.next.replace(/\n$/, "").split("\n").map((l) => `+${l}`).join("\n")}\n`;
  }
  if (change.status === "unchanged") return "";
  const dir = mkdtempSync(join(tmpdir(), "coffer-diff-"));
  try {
    writeFileSync(join(dir, "a"), change.current!, { mode: 0o600 });
    writeFileSync(join(dir, "b"), change.next, { mode: 0o600 });
    const diff = Bun.spawnSync(["diff", "-u", "--label", change.file.path, "--label", `${change.file.path} (new)`, join(dir, "a"), join(dir, "b")]);
    return diff.stdout.toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hides secret values in text shown to a person (dry-run diffs of the authinfo file). */
export function redactSecrets(text: string): string {
  return text.replace(/^([+\- ]?\s*(backend-login|backend-password|fs-passphrase)\s*:\s?).+$/gm, "$1<hidden>");
}

/** temp file in the same directory, fsync, rename over, fsync the directory: a crash leaves old or new, never half. */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const temp = join(dirname(path), `.${basename(path)}.coffer-tmp-${process.pid}`);
  const fd = openSync(temp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  chmodSync(temp, mode); // the umask may have narrowed it; a secret file must never be wider, so set it exactly
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** A backup next to the file, named once per run: name.coffer-backup-YYYYMMDDTHHMMSS, with the file's mode. */
export function backupFile(path: string, stamp: string): string {
  let backup = `${path}.coffer-backup-${stamp}`;
  for (let n = 1; existsSync(backup); n++) backup = `${path}.coffer-backup-${stamp}-${n}`;
  copyFileSync(path, backup);
  chmodSync(backup, statSync(path).mode & 0o7777);
  return backup;
}

export interface AppliedFile {
  path: string;
  what: string;
  status: "created" | "changed" | "unchanged" | "mode fixed";
  backup?: string;
}

/** Writes every change that has work; unchanged files are not touched (not even their mtime). */
export function applyChanges(changes: FileChange[], now = new Date()): AppliedFile[] {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return changes.map((c) => {
    const base = { path: c.file.path, what: c.file.what };
    if (c.status === "unchanged") {
      if (!c.modeWrong) return { ...base, status: "unchanged" as const };
      chmodSync(c.target, c.file.mode);
      return { ...base, status: "mode fixed" as const };
    }
    const backup = c.current !== null ? backupFile(c.target, stamp) : undefined;
    writeFileAtomic(c.target, c.next, c.file.mode);
    return { ...base, status: c.status === "create" ? ("created" as const) : ("changed" as const), backup };
  });
}
