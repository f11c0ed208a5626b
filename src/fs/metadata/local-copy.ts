// The decision how to open: keep the local database, or replace it with the newest generation in the store.
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { MetaDb } from "../meta/db.ts";
import { type LocalState, readLocalState, writeLocalState } from "./local-state.ts";
import { MetadataRollbackError, listGenerations, loadGeneration, oldestRestorable } from "./generations.ts";

export const metadataPath = (cacheDir: string): string => join(cacheDir, "metadata.db");

export interface PreparedCopy {
  state: LocalState;
  /** The chain value of `state.shippedGen` when its image was downloaded now (logs can follow it at once). */
  baseChain?: Uint8Array;
  /** The oldest generation still restorable from the store (its oldest snapshot). */
  oldestRestorable: number;
}

/**
 * Uses the local database when it is at least as new as the store's newest generation (it may hold
 * changes not shipped yet), else downloads the newest generation (snapshot + logs). A store older than
 * what this cache already shipped is a rollback and refuses to open; a broken log chain refuses too.
 * Lists only `meta/db-` and `meta/log-`, never the data objects.
 */
export async function prepareLocalCopy(backend: Backend, codec: ObjectCodec, cacheDir: string, log: (l: string) => void): Promise<PreparedCopy> {
  const dbPath = metadataPath(cacheDir);
  const gens = await listGenerations(backend);
  const storeGen = gens.newest;
  const state = readLocalState(cacheDir);
  if (existsSync(dbPath) && state) {
    const mine = Math.max(state.shippedGen, state.pendingGen ?? 0);
    if (storeGen === null || storeGen < state.shippedGen) throw new MetadataRollbackError(state.shippedGen, storeGen);
    if (storeGen <= mine) return { state: { ...state, shippedGen: storeGen }, oldestRestorable: oldestRestorable(gens) };
    log(`metadata: the store has generation ${storeGen}, newer than this cache's ${mine}: using the store's`);
    const aside = `${dbPath}.stale-${Date.now()}`;
    renameSync(dbPath, aside);
    for (const ext of ["-wal", "-shm"]) if (existsSync(dbPath + ext)) renameSync(dbPath + ext, aside + ext);
  }
  const loaded = await loadGeneration(backend, codec, gens);
  for (const ext of ["", "-wal", "-shm"]) rmSync(dbPath + ext, { force: true });
  rmSync(join(cacheDir, "blocks"), { recursive: true, force: true });
  MetaDb.writeImage(dbPath, loaded.image);
  const fresh = { shippedGen: loaded.gen, pendingGen: null, clean: true };
  writeLocalState(cacheDir, fresh);
  return { state: fresh, baseChain: loaded.chain, oldestRestorable: oldestRestorable(gens) };
}
