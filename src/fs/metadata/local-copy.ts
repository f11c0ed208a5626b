// The decision how to open: keep the local database, or replace it with the newest generation in the store.
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { MetaDb } from "../meta/db.ts";
import { markPhase } from "../../phase-trace.ts";
import { type LocalState, readLocalState, writeLocalState } from "./local-state.ts";
import { type LoadedGeneration, MetadataRollbackError, listGenerations, loadGeneration, oldestRestorable } from "./generations.ts";

export const metadataPath = (cacheDir: string): string => join(cacheDir, "metadata.db");

export interface PreparedCopy {
  state: LocalState;
  /** The chain value of `state.shippedGen` when its image was downloaded now (logs can follow it at once). */
  baseChain?: Uint8Array;
  /** The oldest generation still restorable from the store (its oldest snapshot). */
  oldestRestorable: number;
}

/**
 * What opening will do with the local copy, decided by reading only (the store's listing, this cache's
 * state file, a download into memory): the mount computes it while its lock waits, before it may write here.
 */
export type LocalCopyPlan =
  | { kind: "local"; state: LocalState; oldestRestorable: number }
  | { kind: "download"; loaded: LoadedGeneration; oldestRestorable: number; replacing: { mine: number } | null };

/**
 * Uses the local database when it is at least as new as the store's newest generation (it may hold
 * changes not shipped yet), else downloads the newest generation (snapshot + logs). A store older than
 * what this cache already shipped is a rollback and refuses to open; a broken log chain refuses too.
 * Lists only `meta/db-` and `meta/log-`, never the data objects. Writes nothing.
 */
export async function planLocalCopy(backend: Backend, codec: ObjectCodec, cacheDir: string): Promise<LocalCopyPlan> {
  const dbPath = metadataPath(cacheDir);
  const gens = await listGenerations(backend);
  markPhase("metadata: generations listed");
  const storeGen = gens.newest;
  const state = readLocalState(cacheDir);
  let replacing: { mine: number } | null = null;
  if (existsSync(dbPath) && state) {
    const mine = Math.max(state.shippedGen, state.pendingGen ?? 0);
    if (storeGen === null || storeGen < state.shippedGen) throw new MetadataRollbackError(state.shippedGen, storeGen);
    if (storeGen <= mine) return { kind: "local", state: { ...state, shippedGen: storeGen }, oldestRestorable: oldestRestorable(gens) };
    replacing = { mine };
  }
  const loaded = await loadGeneration(backend, codec, gens);
  markPhase("metadata: generation downloaded and decoded");
  return { kind: "download", loaded, oldestRestorable: oldestRestorable(gens), replacing };
}

/** Carries out a plan in the cache directory (the caller holds the mount lock): sets a stale copy aside, installs a download. */
export function applyLocalCopy(cacheDir: string, plan: LocalCopyPlan, log: (l: string) => void): PreparedCopy {
  if (plan.kind === "local") return { state: plan.state, oldestRestorable: plan.oldestRestorable };
  const dbPath = metadataPath(cacheDir);
  const { loaded } = plan;
  if (plan.replacing) {
    log(`metadata: the store has generation ${loaded.gen}, newer than this cache's ${plan.replacing.mine}: using the store's`);
    const aside = `${dbPath}.stale-${Date.now()}`;
    renameSync(dbPath, aside);
    for (const ext of ["-wal", "-shm"]) if (existsSync(dbPath + ext)) renameSync(dbPath + ext, aside + ext);
  }
  for (const ext of ["", "-wal", "-shm"]) rmSync(dbPath + ext, { force: true });
  rmSync(join(cacheDir, "blocks"), { recursive: true, force: true });
  MetaDb.writeImage(dbPath, loaded.image);
  const fresh = { shippedGen: loaded.gen, pendingGen: null, clean: true };
  writeLocalState(cacheDir, fresh);
  return { state: fresh, baseChain: loaded.chain, oldestRestorable: plan.oldestRestorable };
}

/** planLocalCopy then applyLocalCopy: for callers that already hold the mount lock (fsck, an open without a prefetch). */
export async function prepareLocalCopy(backend: Backend, codec: ObjectCodec, cacheDir: string, log: (l: string) => void): Promise<PreparedCopy> {
  return applyLocalCopy(cacheDir, await planLocalCopy(backend, codec, cacheDir), log);
}
