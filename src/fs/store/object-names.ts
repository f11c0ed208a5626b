// Names of the objects a filesystem keeps in its store: data blocks, fs parameters, metadata snapshots and logs.
//
// Every metadata object (snapshot or log) carries one generation number from a single counter: a
// snapshot `meta/db-<g>` is the whole database at generation g, a log `meta/log-<g>` turns generation
// g-1 into g. The number is also the AEAD associated data, so an object cannot be renamed to another one.

/** Data object `id` with keyed content id `hash`: the hash prefix spreads keys over shards. */
export const dataObjectKey = (id: number, hash: string): string => `data/${hash.slice(0, 24)}-${id}`;

/** The filesystem parameters fixed at mkfs. */
export const PARAMS_KEY = "meta/params";

export const SNAPSHOT_PREFIX = "meta/db-";
export const LOG_PREFIX = "meta/log-";

const pad = (g: number): string => String(g).padStart(12, "0");
export const snapshotKey = (gen: number): string => `${SNAPSHOT_PREFIX}${pad(gen)}`;
export const logKey = (gen: number): string => `${LOG_PREFIX}${pad(gen)}`;

/** The generation in a snapshot or log key of the given prefix, or null for any other name. */
export function generationOf(prefix: string, key: string): number | null {
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  if (!/^\d{12}$/.test(rest)) return null;
  return Number(rest);
}
