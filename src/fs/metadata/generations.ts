// The metadata generations in the store: snapshots and logs, listing, the chain check, loading, rotation.
//
// Exported for the mount (open.ts), fsck and admin tools (list and restore generations). A generation g
// is restorable when `meta/db-g` exists, or when it lies on the chain of logs that follows the newest
// snapshot (`meta/log-(s+1)` … `meta/log-g`, no gaps). Older logs are deleted once a newer snapshot is in.
import type { Backend } from "../store/backend.ts";
import { UserError } from "../../user-error.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { LOG_PREFIX, SNAPSHOT_PREFIX, generationOf, logKey, snapshotKey } from "../store/object-names.ts";
import { applyPageLog, decodePageLog, imageHash, type PageLog } from "./page-log.ts";

/** The store holds metadata older than what this cache directory already shipped: a rollback or a replaced bucket. */
export class MetadataRollbackError extends UserError {
  constructor(readonly localGen: number, readonly storeGen: number | null) {
    super(
      `metadata rollback detected: this cache shipped metadata generation ${localGen} but the store's newest is ${storeGen ?? "none"}; ` +
        "if you restored the store on purpose, remove this filesystem's cache directory and mount again, otherwise check who changed the bucket",
    );
    this.name = "MetadataRollbackError";
  }
}

/** The metadata objects in the store do not form one chain (a log missing, out of place, replayed or damaged). */
export class MetadataChainError extends UserError {
  constructor(detail: string) {
    super(`metadata log chain broken: ${detail}; nothing was applied. Restore the missing object, or mount an older generation (coffer admin), and check who changed the bucket`);
    this.name = "MetadataChainError";
  }
}

export interface StoreGenerations {
  /** Snapshot generations, ascending. */
  snapshots: number[];
  /** Log generations, ascending (including leftovers older than the newest snapshot). */
  logs: number[];
  /** The newest snapshot, or null when there is none. */
  base: number | null;
  /** The newest restorable generation: base plus the unbroken run of logs after it. */
  newest: number | null;
}

async function gensUnder(backend: Backend, prefix: string): Promise<number[]> {
  const out: number[] = [];
  for await (const o of backend.list(prefix)) {
    const g = generationOf(prefix, o.key);
    if (g !== null) out.push(g);
  }
  return out.sort((a, b) => a - b);
}

/** Lists the metadata objects (two prefix listings under meta/, never the data objects) and checks the chain. */
export async function listGenerations(backend: Backend): Promise<StoreGenerations> {
  const snapshots = await gensUnder(backend, SNAPSHOT_PREFIX);
  const logs = await gensUnder(backend, LOG_PREFIX);
  const base = snapshots.length ? snapshots[snapshots.length - 1] : null;
  const after = logs.filter((g) => base === null || g > base);
  if (base === null) {
    if (after.length) throw new MetadataChainError(`logs exist (${after[0]}…) but no snapshot`);
    return { snapshots, logs, base, newest: null };
  }
  after.forEach((g, i) => {
    if (g !== base + 1 + i) throw new MetadataChainError(`log ${base + 1 + i} is missing (snapshot ${base}, next log found ${g})`);
  });
  return { snapshots, logs, base, newest: base + after.length };
}

export async function uploadSnapshot(backend: Backend, codec: ObjectCodec, gen: number, image: Uint8Array): Promise<number> {
  const key = snapshotKey(gen);
  const sealed = await codec.encode("meta", key, image, gen);
  await backend.put(key, sealed);
  return sealed.length;
}

export async function downloadSnapshot(backend: Backend, codec: ObjectCodec, gen: number): Promise<Uint8Array> {
  const key = snapshotKey(gen);
  return codec.decode("meta", key, await backend.get(key), gen);
}

export async function downloadLog(backend: Backend, codec: ObjectCodec, gen: number): Promise<PageLog> {
  const key = logKey(gen);
  let log: PageLog;
  try {
    log = decodePageLog(await codec.decode("meta", key, await backend.get(key), gen));
  } catch (e) {
    throw new MetadataChainError(`log ${gen} cannot be used (${(e as Error)?.message ?? e})`);
  }
  if (log.gen !== gen) throw new MetadataChainError(`log ${gen} says it is generation ${log.gen}`);
  return log;
}

/** A loaded generation: the database image and its chain value (what the next log must follow). */
export interface LoadedGeneration {
  gen: number;
  image: Uint8Array;
  chain: Uint8Array;
}

/**
 * The image of generation `gen` (default: the newest restorable one): its snapshot, or the newest
 * snapshot with the logs after it applied in order, each checked against the hash chain.
 */
export async function loadGeneration(backend: Backend, codec: ObjectCodec, gens: StoreGenerations, gen = gens.newest): Promise<LoadedGeneration> {
  if (gen === null || gens.base === null) throw new Error(`no metadata snapshot in ${backend.description}: not a Coffer filesystem, or mkfs did not finish`);
  if (gens.snapshots.includes(gen)) {
    const image = await downloadSnapshot(backend, codec, gen);
    return { gen, image, chain: imageHash(image) };
  }
  if (gen < gens.base || gens.newest === null || gen > gens.newest) throw new Error(`metadata generation ${gen} is not in the store (restorable: ${restorable(gens).join(", ")})`);
  let image = await downloadSnapshot(backend, codec, gens.base);
  let chain = imageHash(image);
  for (let g = gens.base + 1; g <= gen; g++) {
    const log = await downloadLog(backend, codec, g);
    try {
      ({ image, chain } = applyPageLog(image, chain, log));
    } catch (e) {
      throw new MetadataChainError((e as Error).message);
    }
  }
  return { gen, image, chain };
}

/** Every generation that can be restored, ascending (for `coffer admin` listings). */
export function restorable(gens: StoreGenerations): number[] {
  if (gens.base === null || gens.newest === null) return [];
  const chain = Array.from({ length: gens.newest - gens.base }, (_, i) => gens.base! + 1 + i);
  return [...gens.snapshots, ...chain];
}

/**
 * After snapshot `base` is in: deletes all but the newest `keep` snapshots and every log up to `base`.
 * Returns the oldest snapshot left, the oldest generation that can still be restored (see oldestRestorable).
 */
export async function rotate(backend: Backend, base: number, keep: number): Promise<number> {
  const snaps = await gensUnder(backend, SNAPSHOT_PREFIX);
  const old = snaps.filter((g) => g <= base).slice(0, Math.max(0, snaps.filter((g) => g <= base).length - keep));
  const logs = (await gensUnder(backend, LOG_PREFIX)).filter((g) => g <= base);
  const keys = [...old.map(snapshotKey), ...logs.map(logKey)];
  if (keys.length) await backend.deleteMany(keys);
  return snaps.find((g) => !old.includes(g)) ?? base;
}

/**
 * The oldest generation that can still be restored: the oldest snapshot (logs are only replayed on top of
 * the newest snapshot, so they never reach further back). 0 when there is none.
 */
export const oldestRestorable = (gens: StoreGenerations): number => gens.snapshots[0] ?? 0;

/** The newest restorable generation's image (lists and checks the chain first): for fsck and tests. */
export async function loadNewestGeneration(backend: Backend, codec: ObjectCodec): Promise<LoadedGeneration> {
  return loadGeneration(backend, codec, await listGenerations(backend));
}

/**
 * Publishes `image` as the current generation (for `coffer backups` restore): a snapshot numbered
 * newest + 2, so every later mount loads it (a cache directory that shipped less sees a newer store and
 * replaces its copy). +2, not +1: a mount that crashed while putting newest + 1 recorded it as pending and
 * would take its own database for as new as ours; nobody has claimed newest + 2. The filesystem must not
 * be mounted (the caller holds the mount lock). Returns the new generation.
 */
export async function publishImage(backend: Backend, codec: ObjectCodec, image: Uint8Array): Promise<number> {
  const gens = await listGenerations(backend);
  const next = Math.max(gens.newest ?? 0, ...gens.logs, ...gens.snapshots) + 2;
  await uploadSnapshot(backend, codec, next, image);
  return next;
}

/**
 * Makes generation `gen` current again: publishes its image (above). Its data is still in the store: the
 * removal queue deletes an object only once no restorable generation names it. Blocks removed by other
 * means read as errors (fsck and `coffer backups` find them).
 */
export async function restoreGeneration(backend: Backend, codec: ObjectCodec, gen: number): Promise<number> {
  const loaded = await loadGeneration(backend, codec, await listGenerations(backend), gen);
  return publishImage(backend, codec, loaded.image);
}
