// The metadata generations (backups) of a filesystem behind a small interface, and what each one holds.
//
// The interface is what `coffer backups` needs and nothing more, so that when metadata shipping changes
// (a change log plus periodic snapshots) only `snapshotGenerations` has to be re-pointed.
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { keysCodec } from "../blocks/keys-codec.ts";
import type { FsKeys } from "../crypto/keys.ts";
import { listGenerations, loadGeneration, publishImage, restorable } from "../metadata/index.ts";
import { dataObjectKey, logKey, snapshotKey } from "../store/object-names.ts";
import { MetaDb } from "../meta/db.ts";
import type { Backend } from "../store/backend.ts";

/** One restorable state of the metadata. */
export interface GenerationInfo {
  generation: number;
  /** Bytes the generation takes in the store (encrypted, compressed). */
  storedBytes: number;
}

export interface MetadataGenerations {
  /** Every generation in the store, oldest first; the last one is current. */
  list(): Promise<GenerationInfo[]>;
  /** The database image of a generation, authenticated. */
  read(generation: number): Promise<Uint8Array>;
  /**
   * Publishes `image` as the new current generation (newer than every existing one, so every mount and
   * cache takes it as the newest) and returns its number. Older generations stay.
   */
  publish(image: Uint8Array): Promise<number>;
}

/**
 * The generations as src/fs/metadata ships them: every kept snapshot `meta/db-<g>`, and each log
 * `meta/log-<g>` on the chain after the newest snapshot (its image = that snapshot + the logs up to g).
 */
export function snapshotGenerations(backend: Backend, codec: ObjectCodec): MetadataGenerations {
  return {
    async list() {
      const gens = await listGenerations(backend);
      const out: GenerationInfo[] = [];
      for (const generation of restorable(gens)) {
        const key = gens.snapshots.includes(generation) ? snapshotKey(generation) : logKey(generation);
        out.push({ generation, storedBytes: (await backend.head(key))?.size ?? 0 });
      }
      return out;
    },
    read: async (generation) => (await loadGeneration(backend, codec, await listGenerations(backend), generation)).image,
    publish: (image) => publishImage(backend, codec, image),
  };
}

/** The generations of the filesystem at `backend`, as metadata shipping stores them today. */
export const generationsOf = (backend: Backend, keys: FsKeys): MetadataGenerations => snapshotGenerations(backend, keysCodec(keys));

/** What a generation holds, for the listing and the warning before a restore. */
export interface GenerationSummary {
  /** Directory entries (names), the root not counted. */
  entries: number;
  regularFiles: number;
  /** Sum of the regular files' lengths. */
  fileBytes: number;
  /** Newest change recorded in it (ms since the epoch): the state is "as of" this moment. */
  lastChangeMs: number;
  /** Store keys of the data objects each file (by inode) points at. */
  dataKeys: Map<number, string[]>;
  /** The path of every regular file that has a name, by inode, for comparing two generations. */
  files: Map<number, string>;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** Reads a generation's image: counts, newest change, the data objects it needs, and its file paths. */
export function summarizeImage(image: Uint8Array): GenerationSummary {
  const m = MetaDb.fromImage(image);
  try {
    const one = <T>(sql: string) => m.q(sql).get() as T;
    const { entries } = one<{ entries: number }>("SELECT count(*) AS entries FROM entries");
    const files = one<{ n: number; bytes: number | null }>(`SELECT count(*) AS n, sum(size) AS bytes FROM inodes WHERE (mode & ${S_IFMT}) = ${S_IFREG}`);
    const { last } = one<{ last: number | null }>("SELECT max(max(mtime_ns, ctime_ns)) AS last FROM inodes");
    const dataKeys = new Map<number, string[]>();
    const rows = m.q("SELECT DISTINCT b.inode AS inode, o.id AS id, o.hash AS hash FROM blocks b JOIN objects o ON o.id = b.object").all() as {
      inode: number;
      id: number;
      hash: string;
    }[];
    for (const r of rows) dataKeys.set(r.inode, [...(dataKeys.get(r.inode) ?? []), dataObjectKey(r.id, r.hash)]);
    const paths = m.q(`
      WITH RECURSIVE p(inode, path) AS (
        SELECT inode, '/' || name FROM entries WHERE parent = 1
        UNION ALL SELECT e.inode, p.path || '/' || e.name FROM entries e JOIN p ON e.parent = p.inode
      )
      SELECT p.inode AS inode, p.path AS path FROM p JOIN inodes i ON i.id = p.inode WHERE (i.mode & ${S_IFMT}) = ${S_IFREG}`).all() as {
      inode: number;
      path: string;
    }[];
    return {
      entries,
      regularFiles: files.n,
      fileBytes: files.bytes ?? 0,
      lastChangeMs: Math.floor((last ?? 0) / 1e6),
      dataKeys,
      files: new Map(paths.map((r) => [r.inode, r.path])),
    };
  } finally {
    m.close();
  }
}

/** Paths of the files of a generation whose data objects are not all in `present` (removed from the store since). */
export function filesWithMissingData(summary: GenerationSummary, present: ReadonlySet<string>): string[] {
  const broken = [...summary.dataKeys].filter(([, keys]) => keys.some((k) => !present.has(k))).map(([inode]) => inode);
  return broken.map((inode) => summary.files.get(inode) ?? `(inode ${inode}, no name)`).sort();
}
