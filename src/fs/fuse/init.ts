// INIT: decoding the kernel's offer, negotiating protocol version and capabilities, encoding our answer.
import type { Req, ReplyBuf } from "./codec.ts";
import {
  FUSE_COMPAT_INIT_IN_SIZE, FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, fuse_init_in, fuse_init_out, InitFlag,
} from "./kernel.ts";
import type { ConnInfo } from "./raw-fs.ts";

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  /** flags | flags2 << 32 (flags2 only when the kernel set FUSE_INIT_EXT). */
  flags: bigint;
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: bigint;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  timeGran: number;
  maxPages: number;
}

/** What the session wants from INIT. */
export interface InitConfig {
  maxWrite: number;
  writebackCache: boolean;
  /** Offer READDIRPLUS (the filesystem implements readdirplus). */
  readdirplus: boolean;
  /**
   * Offer POSIX_ACL (the kernel enforces ACLs, which implies default_permissions) with DONT_MASK (the umask
   * arrives unapplied): the filesystem must then keep the mode in sync with system.posix_acl_access and
   * apply default ACLs or the umask to new entries itself (see src/fs/posix-acl.ts).
   */
  posixAcl?: boolean;
}

export const MAX_MAX_WRITE = 1 << 20;
const PAGE = 4096;

export function decodeInitIn(r: Req): InitIn {
  const o = fuse_init_in.offsets;
  const flags = r.u32(o.flags);
  const ext = r.end - r.pos >= fuse_init_in.size && (flags & InitFlag.INIT_EXT) !== 0;
  return {
    major: r.u32(o.major), minor: r.end - r.pos >= FUSE_COMPAT_INIT_IN_SIZE ? r.u32(o.minor) : 0,
    maxReadahead: r.u32(o.max_readahead),
    flags: BigInt(flags) | (ext ? BigInt(r.u32(o.flags2)) << 32n : 0n),
  };
}

/** The capabilities we ask for (each only if the kernel offers it). */
export function wantedFlags(cfg: InitConfig): bigint {
  let f =
    InitFlag.ASYNC_READ | InitFlag.ATOMIC_O_TRUNC | InitFlag.EXPORT_SUPPORT | InitFlag.BIG_WRITES |
    InitFlag.AUTO_INVAL_DATA | InitFlag.PARALLEL_DIROPS | InitFlag.MAX_PAGES | InitFlag.ASYNC_DIO;
  if (cfg.readdirplus) f |= InitFlag.DO_READDIRPLUS | InitFlag.READDIRPLUS_AUTO;
  if (cfg.writebackCache) f |= InitFlag.WRITEBACK_CACHE;
  if (cfg.posixAcl) f |= InitFlag.POSIX_ACL | InitFlag.DONT_MASK;
  return BigInt(f >>> 0);
}

/** Pure negotiation: the kernel's offer + our config -> our reply and the resulting ConnInfo. */
export function negotiate(k: InitIn, cfg: InitConfig): { out: InitOut; conn: ConnInfo } {
  const minor = Math.min(k.minor, FUSE_KERNEL_MINOR_VERSION);
  const maxWrite = Math.max(PAGE, Math.min(MAX_MAX_WRITE, cfg.maxWrite));
  const flags = k.flags & wantedFlags(cfg);
  const out: InitOut = {
    major: FUSE_KERNEL_VERSION, minor, maxReadahead: k.maxReadahead, flags, maxBackground: 64,
    congestionThreshold: 48, maxWrite, timeGran: 1, maxPages: Math.ceil(maxWrite / PAGE),
  };
  return { out, conn: { major: FUSE_KERNEL_VERSION, minor, maxWrite, maxReadahead: k.maxReadahead, flags } };
}

export function encodeInitOut(w: ReplyBuf, o: InitOut): void {
  const off = w.take(fuse_init_out.size);
  const f = fuse_init_out.offsets;
  const dv = w.dv;
  dv.setUint32(off + f.major, o.major, true);
  dv.setUint32(off + f.minor, o.minor, true);
  dv.setUint32(off + f.max_readahead, o.maxReadahead, true);
  dv.setUint32(off + f.flags, Number(o.flags & 0xffffffffn), true);
  dv.setUint16(off + f.max_background, o.maxBackground, true);
  dv.setUint16(off + f.congestion_threshold, o.congestionThreshold, true);
  dv.setUint32(off + f.max_write, o.maxWrite, true);
  dv.setUint32(off + f.time_gran, o.timeGran, true);
  dv.setUint16(off + f.max_pages, o.maxPages, true);
  dv.setUint32(off + f.flags2, Number(o.flags >> 32n), true);
}
