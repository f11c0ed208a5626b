// A metadata log entry: the database pages that changed between two shipped images, hash-chained.
//
// Payload (before the object codec compresses and seals it), integers big-endian:
//   0  4  magic "CFML"            4  4  version = 1
//   8  8  generation (equal to the object's name and AEAD associated data)
//   16 4  page size               20 4  page count of the new image
//   24 32 SHA-256 of the image this entry applies to (generation - 1)
//   56 32 SHA-256 of the image it produces
//   88 4  number n of pages       92 .. n × (4-byte page number from 0, page bytes)
// The hashes make a chain: an entry applied to any other image than the one it was made from is refused.
import { CryptoHasher } from "bun";

const MAGIC = 0x43464d4c; // "CFML"
const HEAD = 92;

export interface PageLog {
  gen: number;
  pageSize: number;
  pageCount: number;
  prevHash: Uint8Array;
  newHash: Uint8Array;
  pages: { pgno: number; data: Uint8Array }[];
}

export const imageHash = (image: Uint8Array): Uint8Array => new CryptoHasher("sha256").update(image).digest() as Uint8Array;

/** SQLite's page size from the database header (bytes 16–17; 1 means 65536). */
export function pageSizeOf(image: Uint8Array): number {
  const v = (image[16] << 8) | image[17];
  return v === 1 ? 65536 : v;
}

/** The pages of `next` that differ from `prev` (or lie past its end). */
export function diffImages(prev: Uint8Array, next: Uint8Array, pageSize: number): { pgno: number; data: Uint8Array }[] {
  const out: { pgno: number; data: Uint8Array }[] = [];
  const pb = Buffer.from(prev.buffer, prev.byteOffset, prev.byteLength);
  const nb = Buffer.from(next.buffer, next.byteOffset, next.byteLength);
  for (let off = 0, pgno = 0; off < next.length; off += pageSize, pgno++) {
    const end = off + pageSize;
    if (end > prev.length || pb.compare(nb, off, end, off, end) !== 0) out.push({ pgno, data: next.subarray(off, end) });
  }
  return out;
}

export function encodePageLog(l: PageLog): Uint8Array {
  const out = new Uint8Array(HEAD + l.pages.length * (4 + l.pageSize));
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC);
  v.setUint32(4, 1);
  v.setBigUint64(8, BigInt(l.gen));
  v.setUint32(16, l.pageSize);
  v.setUint32(20, l.pageCount);
  out.set(l.prevHash, 24);
  out.set(l.newHash, 56);
  v.setUint32(88, l.pages.length);
  let o = HEAD;
  for (const p of l.pages) {
    v.setUint32(o, p.pgno);
    out.set(p.data, o + 4);
    o += 4 + l.pageSize;
  }
  return out;
}

export function decodePageLog(bytes: Uint8Array): PageLog {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEAD || v.getUint32(0) !== MAGIC || v.getUint32(4) !== 1) throw new Error("not a version 1 metadata log entry");
  const pageSize = v.getUint32(16);
  const n = v.getUint32(88);
  if (bytes.length !== HEAD + n * (4 + pageSize)) throw new Error("metadata log entry has the wrong length");
  const pages: PageLog["pages"] = [];
  for (let i = 0, o = HEAD; i < n; i++, o += 4 + pageSize) pages.push({ pgno: v.getUint32(o), data: bytes.subarray(o + 4, o + 4 + pageSize) });
  return {
    gen: Number(v.getBigUint64(8)), pageSize, pageCount: v.getUint32(20),
    prevHash: bytes.subarray(24, 56), newHash: bytes.subarray(56, 88), pages,
  };
}

/** Applies `l` to `prev`; throws when the entry was not made from `prev` or does not produce what it says. */
export function applyPageLog(prev: Uint8Array, l: PageLog): Uint8Array {
  if (!Buffer.from(imageHash(prev)).equals(Buffer.from(l.prevHash))) throw new Error(`metadata log ${l.gen} does not follow the image before it`);
  const next = new Uint8Array(l.pageCount * l.pageSize);
  next.set(prev.subarray(0, Math.min(prev.length, next.length)));
  for (const p of l.pages) {
    if (p.pgno >= l.pageCount) throw new Error(`metadata log ${l.gen} names page ${p.pgno} past its end`);
    next.set(p.data, p.pgno * l.pageSize);
  }
  if (!Buffer.from(imageHash(next)).equals(Buffer.from(l.newHash))) throw new Error(`metadata log ${l.gen} does not produce the image it names`);
  return next;
}
