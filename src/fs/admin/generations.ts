// The metadata generations (backups) of a filesystem behind a small interface, and what each one holds.
//
// The interface is what `coffer backups` needs and nothing more, so that when metadata shipping changes
// (a change log plus periodic snapshots) only `snapshotGenerations` has to be re-pointed.
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { keysCodec } from "../blocks/keys-codec.ts";
import type { FsKeys } from "../crypto/keys.ts";
import { downloadSnapshot, listSnapshots, snapshotKey, uploadSnapshot } from "../blocks/meta-sync.ts";
import { objectKey } from "../meta/blockmap.ts";
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

/** Today's generations: whole encrypted SQLite snapshots `meta/db-<seq>` (src/fs/blocks/meta-sync.ts). */
export function snapshotGenerations(backend: Backend, codec: ObjectCodec): MetadataGenerations {
  return {
    async list() {
      const sizes = new Map<number, number>();
      for (const seq of await listSnapshots(backend)) sizes.set(seq, (await backend.head(snapshotKey(seq)))?.size ?? 0);
      return [...sizes].map(([generation, storedBytes]) => ({ generation, storedBytes }));
    },
    read: (generation) => downloadSnapshot(backend, codec, generation),
    async publish(image) {
      const seqs = await listSnapshots(backend);
      // +2, not +1: a mount that crashed while uploading newest+1 recorded it as pending in its cache and
      // would take its own database for as new as ours. Nobody has claimed newest+2.
      const generation = (seqs.at(-1) ?? 0) + 2;
      await uploadSnapshot(backend, codec, generation, image);
      return generation;
    },
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
    for (const r of rows) dataKeys.set(r.inode, [...(dataKeys.get(r.inode) ?? []), objectKey(r.id, r.hash)]);
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
