// Reads the pages committed to a SQLite WAL file (the format of https://sqlite.org/fileformat2.html#walformat).
//
// Used to ship exactly the pages changed since the last checkpoint: MetaDb checkpoints the WAL itself
// (wal_autocheckpoint = 0), so between two checkpoints the WAL holds every page written, in order.
import { existsSync, readFileSync } from "node:fs";

const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

export interface WalPages {
  pageSize: number;
  /** Database size in pages after the last commit in the WAL. */
  pageCount: number;
  /** Page number (from 0) -> newest committed content. */
  pages: Map<number, Uint8Array>;
}

/**
 * The newest committed version of every page in the WAL at `path`, or null when the WAL is empty or
 * missing (nothing written since the last checkpoint). Frames after the last commit frame (a transaction
 * in progress; there is none between two synchronous calls) and frames of an older WAL generation (other
 * salts, left behind a restart) are ignored. Checksums are verified.
 */
export function readWalPages(path: string): WalPages | null {
  if (!existsSync(path)) return null;
  const wal = readFileSync(path);
  if (wal.length < WAL_HEADER) return null;
  const v = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = v.getUint32(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) throw new Error(`${path}: not a SQLite WAL file`);
  const bigEndian = magic === WAL_MAGIC_BE;
  const pageSize = v.getUint32(8) || 65536;
  const salt1 = v.getUint32(16);
  const salt2 = v.getUint32(20);
  let [s1, s2] = checksum(v, 0, 24, bigEndian, 0, 0);
  if (s1 !== v.getUint32(24) || s2 !== v.getUint32(28)) throw new Error(`${path}: WAL header checksum mismatch`);
  const pending = new Map<number, Uint8Array>();
  const pages = new Map<number, Uint8Array>();
  let pageCount = 0;
  for (let off = WAL_HEADER; off + FRAME_HEADER + pageSize <= wal.length; off += FRAME_HEADER + pageSize) {
    if (v.getUint32(off + 8) !== salt1 || v.getUint32(off + 12) !== salt2) break;
    [s1, s2] = checksum(v, off, 8, bigEndian, s1, s2);
    [s1, s2] = checksum(v, off + FRAME_HEADER, pageSize, bigEndian, s1, s2);
    if (s1 !== v.getUint32(off + 16) || s2 !== v.getUint32(off + 20)) break;
    const pgno = v.getUint32(off);
    pending.set(pgno - 1, wal.subarray(off + FRAME_HEADER, off + FRAME_HEADER + pageSize));
    const commitSize = v.getUint32(off + 4);
    if (commitSize !== 0) {
      for (const [p, d] of pending) pages.set(p, d);
      pending.clear();
      pageCount = commitSize;
    }
  }
  if (pages.size === 0) return null;
  for (const p of [...pages.keys()]) if (p >= pageCount) pages.delete(p); // truncated away by a later commit
  return { pageSize, pageCount, pages };
}

/** SQLite's WAL checksum over `len` bytes (a multiple of 8) at `off`, continuing from (s1, s2). */
function checksum(v: DataView, off: number, len: number, bigEndian: boolean, s1: number, s2: number): [number, number] {
  for (let i = off; i < off + len; i += 8) {
    s1 = (s1 + v.getUint32(i, !bigEndian) + s2) >>> 0;
    s2 = (s2 + v.getUint32(i + 4, !bigEndian) + s1) >>> 0;
  }
  return [s1, s2];
}
