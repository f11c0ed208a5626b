// Every fsync the filesystem core does on its cache directory goes through here, so tests can see which happen.
//
// Power loss cannot be simulated in a test; what can be checked is that each durability rule in
// docs/durability.md issues the fsyncs it relies on (file data, and the directory holding a new name).
import { closeSync, fdatasyncSync, fsyncSync, openSync } from "node:fs";

export type FsyncKind = "file" | "datasync" | "dir";

/** Tests set `observer` to record (kind, path) of every fsync; null in production. */
export const fsyncHooks: { observer: ((kind: FsyncKind, path: string) => void) | null } = { observer: null };

/** fsync of a file or directory by path (opened read-only: Linux allows fsync on such a descriptor). */
export function fsyncPath(path: string, kind: FsyncKind = "file"): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncHooks.observer?.(kind, path);
}

/** fsync of a directory: makes the names created, renamed or removed in it durable. */
export const fsyncDir = (path: string): void => fsyncPath(path, "dir");

/** fdatasync of an open descriptor (file data and the size, not the timestamps). */
export function fdatasyncFd(fd: number, path: string): void {
  fdatasyncSync(fd);
  fsyncHooks.observer?.("datasync", path);
}
