// The local record `<cacheDir>/meta-state.json` of which metadata generation this cache shipped, written durably.
//
// `shippedGen`: the newest generation (snapshot or log) known to be in the store. `pendingGen`: the one
// being put right now (written before the put, so a crash between the put and this record is recognised:
// the store may then hold one generation more than `shippedGen`). `clean`: the last close finished.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { fsyncDir, fsyncPath } from "../fsync.ts";

export const LocalStateSchema = z.object({
  shippedGen: z.number().int().nonnegative(),
  pendingGen: z.number().int().nonnegative().nullable(),
  clean: z.boolean(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

export const localStatePath = (cacheDir: string): string => join(cacheDir, "meta-state.json");

/** The state, or null when this cache directory has none; a damaged file is one clear error. */
export function readLocalState(cacheDir: string): LocalState | null {
  const p = localStatePath(cacheDir);
  if (!existsSync(p)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(p, "utf8"));
  } catch {
    json = null;
  }
  // the format before metadata logs named the counter uploadedSeq/pendingSeq
  if (json && typeof json === "object" && "uploadedSeq" in json) {
    const o = json as { uploadedSeq: unknown; pendingSeq: unknown; clean: unknown };
    json = { shippedGen: o.uploadedSeq, pendingGen: o.pendingSeq, clean: o.clean };
  }
  const r = LocalStateSchema.safeParse(json);
  if (!r.success) throw new Error(`${p} is damaged: remove this filesystem's cache directory and mount again (the metadata comes from the store)`);
  return r.data;
}

/** Atomic and durable: temp file, fsync, rename, fsync the directory. */
export function writeLocalState(cacheDir: string, s: LocalState): void {
  const p = localStatePath(cacheDir);
  writeFileSync(p + ".tmp", JSON.stringify(LocalStateSchema.parse(s)));
  fsyncPath(p + ".tmp");
  renameSync(p + ".tmp", p);
  fsyncDir(dirname(p));
}
