// A metadata log entry: the database pages written since the previous generation, chained by SHA-256.
//
// Payload (before the object codec compresses and seals it), integers big-endian:
//   0  4  magic "CFML"            4  4  version = 1
//   8  8  generation (equal to the object's name and AEAD associated data)
//   16 4  page size               20 4  page count of the new image
//   24 32 chain value of the previous generation
//   56 32 chain value of this generation = SHA-256(previous chain || bytes 8..24 || bytes 88..end)
//   88 4  number n of pages       92 .. n × (4-byte page number from 0, page bytes)
// The chain value of a snapshot is the SHA-256 of its image. An entry whose previous chain value is not
// that of the image it is applied to (another history, a reordered or replaced object) is refused.
import { CryptoHasher } from "bun";

const MAGIC = 0x43464d4c; // "CFML"
const HEAD = 92;

export interface PageLog {
  gen: number;
  pageSize: number;
  pageCount: number;
  prevChain: Uint8Array;
  newChain: Uint8Array;
  pages: { pgno: number; data: Uint8Array }[];
}

export const imageHash = (image: Uint8Array): Uint8Array => new CryptoHasher("sha256").update(image).digest() as Uint8Array;

/** SQLite's page size from the database header (bytes 16–17; 1 means 65536). */
export function pageSizeOf(image: Uint8Array): number {
  const v = (image[16]! << 8) | image[17]!;
  return v === 1 ? 65536 : v;
}

const chainOf = (prev: Uint8Array, payload: Uint8Array): Uint8Array =>
  new CryptoHasher("sha256").update(prev).update(payload.subarray(8, 24)).update(payload.subarray(88)).digest() as Uint8Array;

/** Encodes an entry; its `newChain` is computed here (the field of `l` is ignored). */
export function encodePageLog(l: Omit<PageLog, "newChain">): { bytes: Uint8Array; newChain: Uint8Array } {
  const out = new Uint8Array(HEAD + l.pages.length * (4 + l.pageSize));
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC);
  v.setUint32(4, 1);
  v.setBigUint64(8, BigInt(l.gen));
  v.setUint32(16, l.pageSize);
  v.setUint32(20, l.pageCount);
  out.set(l.prevChain, 24);
  v.setUint32(88, l.pages.length);
  let o = HEAD;
  for (const p of l.pages) {
    if (p.data.length !== l.pageSize) throw new Error(`page ${p.pgno} has ${p.data.length} bytes, not ${l.pageSize}`);
    v.setUint32(o, p.pgno);
    out.set(p.data, o + 4);
    o += 4 + l.pageSize;
  }
  const newChain = chainOf(l.prevChain, out);
  out.set(newChain, 56);
  return { bytes: out, newChain };
}

export function decodePageLog(bytes: Uint8Array): PageLog {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEAD || v.getUint32(0) !== MAGIC || v.getUint32(4) !== 1) throw new Error("not a version 1 metadata log entry");
  const pageSize = v.getUint32(16);
  const n = v.getUint32(88);
  if (bytes.length !== HEAD + n * (4 + pageSize)) throw new Error("metadata log entry has the wrong length");
  const prevChain = bytes.subarray(24, 56);
  const newChain = bytes.subarray(56, 88);
  if (!Buffer.from(chainOf(prevChain, bytes)).equals(Buffer.from(newChain))) throw new Error("metadata log entry's chain value does not match its content");
  const pages: PageLog["pages"] = [];
  for (let i = 0, o = HEAD; i < n; i++, o += 4 + pageSize) pages.push({ pgno: v.getUint32(o), data: bytes.subarray(o + 4, o + 4 + pageSize) });
  return { gen: Number(v.getBigUint64(8)), pageSize, pageCount: v.getUint32(20), prevChain, newChain, pages };
}

/** Applies `l` to the image whose chain value is `chain`; throws when the entry does not follow it. */
export function applyPageLog(prev: Uint8Array, chain: Uint8Array, l: PageLog): { image: Uint8Array; chain: Uint8Array } {
  if (!Buffer.from(chain).equals(Buffer.from(l.prevChain))) throw new Error(`metadata log ${l.gen} does not follow the image before it`);
  const next = new Uint8Array(l.pageCount * l.pageSize);
  next.set(prev.subarray(0, Math.min(prev.length, next.length)));
  for (const p of l.pages) {
    if (p.pgno >= l.pageCount) throw new Error(`metadata log ${l.gen} names page ${p.pgno} past its end`);
    next.set(p.data, p.pgno * l.pageSize);
  }
  return { image: next, chain: l.newChain };
}
