// The pure codec: request bytes -> typed fields, typed replies -> bytes, at the offsets mirrored in kernel.ts.
import type { Attr, DirentSink, EntryOut, RequestContext } from "./raw-fs.ts";
import {
  fuse_attr as A, fuse_attr_out, fuse_dirent as D, fuse_entry_out as E, fuse_in_header as IH, fuse_out_header as OH,
  fuse_direntplus,
} from "./kernel.ts";
import { decodeName, encodeName, encodeNameInto } from "../names.ts";

const TWO32 = 4294967296;

/** Unsigned 64-bit little-endian as a number (exact below 2^53). */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * TWO32;
}

/** Signed 64-bit little-endian as a number (exact within ±2^53). */
export function getI64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getInt32(off + 4, true) * TWO32;
}

/** Write a non-negative integer (< 2^64) as unsigned 64-bit little-endian. */
export function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / TWO32) >>> 0, true);
}

/** The parsed struct fuse_in_header; it doubles as the RequestContext handed to the filesystem. */
export interface InHeader extends RequestContext {
  len: number;
  opcode: number;
}

export function decodeInHeader(dv: DataView, off = 0): InHeader {
  return {
    len: dv.getUint32(off + IH.offsets.len, true),
    opcode: dv.getUint32(off + IH.offsets.opcode, true),
    unique: dv.getBigUint64(off + IH.offsets.unique, true),
    nodeid: getU64(dv, off + IH.offsets.nodeid),
    uid: dv.getUint32(off + IH.offsets.uid, true),
    gid: dv.getUint32(off + IH.offsets.gid, true),
    pid: dv.getUint32(off + IH.offsets.pid, true),
  };
}

/** A request body being decoded: the bytes of one request and a cursor past the fixed part already read. */
export class Req {
  readonly dv: DataView;
  pos: number;
  readonly end: number;
  constructor(
    readonly u8: Uint8Array,
    readonly header: InHeader,
  ) {
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.pos = IH.size;
    this.end = Math.min(header.len, u8.byteLength);
  }
  u32(off: number): number {
    return this.dv.getUint32(this.pos + off, true);
  }
  u64(off: number): number {
    return getU64(this.dv, this.pos + off);
  }
  /** Signed 64-bit (timestamps before 1970 are negative). */
  i64(off: number): number {
    return getI64(this.dv, this.pos + off);
  }
  big64(off: number): bigint {
    return this.dv.getBigUint64(this.pos + off, true);
  }
  /** Move the cursor past a fixed struct of `size` bytes. */
  skip(size: number): this {
    this.pos += size;
    return this;
  }
  /** Bytes left from the cursor (optionally at most n). */
  bytes(n = this.end - this.pos): Uint8Array {
    const b = this.u8.subarray(this.pos, Math.min(this.end, this.pos + n));
    this.pos += b.byteLength;
    return b;
  }
  /** A NUL-terminated name at the cursor (see names.ts for bytes that are not UTF-8; without NUL it ends at the request's end). */
  cstr(): string {
    let z = this.u8.indexOf(0, this.pos);
    if (z < 0 || z > this.end) z = this.end;
    const s = decodeName(this.u8.subarray(this.pos, z));
    this.pos = Math.min(this.end, z + 1);
    return s;
  }
}

/** Parse one request (header + body view); what the opcode table decodes from. */
export function parseRequest(u8: Uint8Array): Req {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < IH.size) throw new Error(`short FUSE request: ${u8.byteLength} bytes`);
  return new Req(u8, decodeInHeader(dv));
}

/**
 * A reusable reply buffer: 16 bytes of fuse_out_header, then `len` bytes of payload, then optionally a `tail`
 * (file data, link targets, xattr values) sent with writev so large payloads are never copied.
 */
export class ReplyBuf {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  len = 0;
  tail: Uint8Array | null = null;
  constructor(size: number) {
    this.u8 = new Uint8Array(size);
    this.dv = new DataView(this.u8.buffer);
  }
  reset(): void {
    this.len = 0;
    this.tail = null;
  }
  /** Reserve `n` zeroed payload bytes and return their offset in u8. */
  take(n: number): number {
    const off = OH.size + this.len;
    this.u8.fill(0, off, off + n);
    this.len += n;
    return off;
  }
  /** Fill in the out header; returns the total message length. */
  finish(unique: bigint, error: number): number {
    const total = OH.size + this.len + (this.tail ? this.tail.byteLength : 0);
    this.dv.setUint32(OH.offsets.len, total, true);
    this.dv.setInt32(OH.offsets.error, error, true);
    this.dv.setBigUint64(OH.offsets.unique, unique, true);
    return total;
  }
  /** The finished message as one fresh array (tests, debugging). */
  bytes(): Uint8Array {
    const head = this.u8.subarray(0, OH.size + this.len);
    if (!this.tail) return head.slice();
    const out = new Uint8Array(head.byteLength + this.tail.byteLength);
    out.set(head);
    out.set(this.tail, head.byteLength);
    return out;
  }
}

/** Seconds (fractions allowed) -> [sec, nsec]. */
export function splitSeconds(v: number): [number, number] {
  if (!(v > 0)) return [0, 0];
  const s = Math.floor(v);
  return [s, Math.min(999_999_999, Math.round((v - s) * 1e9))];
}

export function encodeAttr(dv: DataView, off: number, a: Attr): void {
  const o = A.offsets;
  setU64(dv, off + o.ino, a.ino);
  setU64(dv, off + o.size, a.size);
  setU64(dv, off + o.blocks, a.blocks);
  setU64(dv, off + o.atime, a.atime);
  setU64(dv, off + o.mtime, a.mtime);
  setU64(dv, off + o.ctime, a.ctime);
  dv.setUint32(off + o.atimensec, a.atimensec, true);
  dv.setUint32(off + o.mtimensec, a.mtimensec, true);
  dv.setUint32(off + o.ctimensec, a.ctimensec, true);
  dv.setUint32(off + o.mode, a.mode, true);
  dv.setUint32(off + o.nlink, a.nlink, true);
  dv.setUint32(off + o.uid, a.uid, true);
  dv.setUint32(off + o.gid, a.gid, true);
  dv.setUint32(off + o.rdev, a.rdev, true);
  dv.setUint32(off + o.blksize, a.blksize, true);
  dv.setUint32(off + o.flags, a.flags ?? 0, true);
}

export function decodeAttr(dv: DataView, off: number): Attr {
  const o = A.offsets;
  return {
    ino: getU64(dv, off + o.ino), size: getU64(dv, off + o.size), blocks: getU64(dv, off + o.blocks),
    atime: getI64(dv, off + o.atime), mtime: getI64(dv, off + o.mtime), ctime: getI64(dv, off + o.ctime),
    atimensec: dv.getUint32(off + o.atimensec, true), mtimensec: dv.getUint32(off + o.mtimensec, true),
    ctimensec: dv.getUint32(off + o.ctimensec, true), mode: dv.getUint32(off + o.mode, true),
    nlink: dv.getUint32(off + o.nlink, true), uid: dv.getUint32(off + o.uid, true), gid: dv.getUint32(off + o.gid, true),
    rdev: dv.getUint32(off + o.rdev, true), blksize: dv.getUint32(off + o.blksize, true), flags: dv.getUint32(off + o.flags, true),
  };
}

export function encodeEntryOut(dv: DataView, off: number, e: EntryOut): void {
  const o = E.offsets;
  const [es, ens] = splitSeconds(e.entryValid);
  const [as, ans] = splitSeconds(e.attrValid);
  setU64(dv, off + o.nodeid, e.nodeid);
  setU64(dv, off + o.generation, e.generation);
  setU64(dv, off + o.entry_valid, es);
  setU64(dv, off + o.attr_valid, as);
  dv.setUint32(off + o.entry_valid_nsec, ens, true);
  dv.setUint32(off + o.attr_valid_nsec, ans, true);
  encodeAttr(dv, off + o.attr, e.attr);
}

export function encodeAttrOut(dv: DataView, off: number, attrValid: number, attr: Attr): void {
  const o = fuse_attr_out.offsets;
  const [s, ns] = splitSeconds(attrValid);
  setU64(dv, off + o.attr_valid, s);
  dv.setUint32(off + o.attr_valid_nsec, ns, true);
  dv.setUint32(off + o.dummy, 0, true);
  encodeAttr(dv, off + o.attr, attr);
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Packs READDIR (fuse_dirent) or READDIRPLUS (fuse_direntplus) records into a byte range, refusing an entry
 * that does not fit. `onPlus` hears each READDIRPLUS entry that was packed and that the kernel will count as a
 * lookup (nodeid != 0 and not "." or "..", which the kernel skips).
 */
export class DirentBuffer implements DirentSink {
  u8: Uint8Array;
  dv: DataView;
  base = 0;
  limit = 0;
  pos = 0;
  onPlus: ((nodeid: number) => void) | null = null;
  constructor(u8: Uint8Array, base = 0, size = u8.byteLength - base) {
    this.u8 = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.reset(base, size);
  }
  reset(base: number, size: number): this {
    this.base = base;
    this.pos = base;
    this.limit = Math.min(this.u8.byteLength, base + size);
    return this;
  }
  /** Bytes packed so far. */
  get length(): number {
    return this.pos - this.base;
  }
  private put(fixed: number, name: string): number {
    // name bytes go right after the fixed part; returns the record start or -1 if it does not fit
    const start = this.pos;
    const nameOff = start + fixed;
    if (nameOff > this.limit) return -1;
    const written = encodeNameInto(name, this.u8.subarray(nameOff, this.limit));
    if (written < 0) return -1;
    const end = start + align8(fixed + written);
    if (end > this.limit) return -1;
    this.u8.fill(0, nameOff + written, end);
    this.dv.setUint32(start + fixed - D.size + D.offsets.namelen, written, true);
    this.pos = end;
    return start;
  }
  add(name: string, ino: number, type: number, nextOffset: number): boolean {
    const at = this.put(D.size, name);
    if (at < 0) return false;
    setU64(this.dv, at + D.offsets.ino, ino);
    setU64(this.dv, at + D.offsets.off, nextOffset);
    this.dv.setUint32(at + D.offsets.type, type, true);
    return true;
  }
  addPlus(name: string, entry: EntryOut, nextOffset: number): boolean {
    const at = this.put(fuse_direntplus.size, name);
    if (at < 0) return false;
    encodeEntryOut(this.dv, at, entry);
    const d = at + fuse_direntplus.offsets.dirent;
    setU64(this.dv, d + D.offsets.ino, entry.attr.ino);
    setU64(this.dv, d + D.offsets.off, nextOffset);
    this.dv.setUint32(d + D.offsets.type, (entry.attr.mode >>> 12) & 0xf, true);
    if (this.onPlus && entry.nodeid !== 0 && name !== "." && name !== "..") this.onPlus(entry.nodeid);
    return true;
  }
}

/** Bytes of a name or link target (UTF-8, with names.ts's escaped raw bytes restored). */
export function utf8(s: string): Uint8Array {
  return encodeName(s);
}
