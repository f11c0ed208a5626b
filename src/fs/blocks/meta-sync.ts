// Metadata in the store: fs parameters, numbered encrypted DB snapshots with rotation, and the local state file.
//
// Store layout: `meta/params` (JSON FsParams, role "meta", associated 0) and `meta/db-<seq, 12 digits>`
// (a SQLite image, role "meta", the sequence number bound as AEAD associated data so a snapshot cannot
// be renamed to another sequence number). The newest `keep` snapshots are kept.
// Local state (`<cacheDir>/meta-state.json`): the sequence number last uploaded, the one being uploaded
// (written before the put, so a crash between put and state update is recognised), and a clean flag.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Backend } from "../store/backend.ts";
import type { ObjectCodec } from "./object-codec.ts";

export const PARAMS_KEY = "meta/params";
const DB_PREFIX = "meta/db-";
export const snapshotKey = (seq: number): string => `${DB_PREFIX}${String(seq).padStart(12, "0")}`;

/** Filesystem parameters fixed at mkfs. */
export interface FsParams {
  format: 1;
  blockSize: number;
  createdNs: string;
}

/** The store holds metadata older than what this cache directory already uploaded: a rollback or a replaced bucket. */
export class MetadataRollbackError extends Error {
  constructor(readonly localSeq: number, readonly storeSeq: number | null) {
    super(
      `metadata rollback detected: this cache uploaded metadata snapshot ${localSeq} but the store's newest is ${storeSeq ?? "none"}; ` +
        "if you restored the store on purpose, remove this filesystem's cache directory and mount again, otherwise check who changed the bucket",
    );
    this.name = "MetadataRollbackError";
  }
}

export async function writeParams(backend: Backend, codec: ObjectCodec, p: FsParams): Promise<void> {
  await backend.put(PARAMS_KEY, await codec.encode("meta", PARAMS_KEY, new TextEncoder().encode(JSON.stringify(p)), 0));
}

export async function readParams(backend: Backend, codec: ObjectCodec): Promise<FsParams> {
  const plain = await codec.decode("meta", PARAMS_KEY, await backend.get(PARAMS_KEY), 0);
  const p = JSON.parse(new TextDecoder().decode(plain)) as FsParams;
  if (p.format !== 1 || !(p.blockSize > 0)) throw new Error(`unsupported filesystem parameters ${JSON.stringify(p)}`);
  return p;
}

/** Sequence numbers of the snapshots in the store, ascending. */
export async function listSnapshots(backend: Backend): Promise<number[]> {
  const out: number[] = [];
  for await (const o of backend.list(DB_PREFIX)) {
    const n = Number(o.key.slice(DB_PREFIX.length));
    if (Number.isSafeInteger(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

export async function uploadSnapshot(backend: Backend, codec: ObjectCodec, seq: number, image: Uint8Array): Promise<number> {
  const key = snapshotKey(seq);
  const sealed = await codec.encode("meta", key, image, seq);
  await backend.put(key, sealed);
  return sealed.length;
}

export async function downloadSnapshot(backend: Backend, codec: ObjectCodec, seq: number): Promise<Uint8Array> {
  const key = snapshotKey(seq);
  return codec.decode("meta", key, await backend.get(key), seq);
}

/** Deletes all but the newest `keep` snapshots. */
export async function rotateSnapshots(backend: Backend, keep: number): Promise<void> {
  const all = await listSnapshots(backend);
  const old = all.slice(0, Math.max(0, all.length - keep));
  if (old.length) await backend.deleteMany(old.map(snapshotKey));
}

export interface LocalState {
  uploadedSeq: number;
  pendingSeq: number | null;
  clean: boolean;
}

export const localStatePath = (cacheDir: string): string => join(cacheDir, "meta-state.json");

export function readLocalState(cacheDir: string): LocalState | null {
  const p = localStatePath(cacheDir);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, "utf8")) as LocalState;
}

/** Atomic and durable: temp file, fsync, rename, fsync the directory. */
export function writeLocalState(cacheDir: string, s: LocalState): void {
  const p = localStatePath(cacheDir);
  writeFileSync(p + ".tmp", JSON.stringify(s));
  fsyncFile(p + ".tmp");
  renameSync(p + ".tmp", p);
  fsyncFile(dirname(p));
}

function fsyncFile(p: string): void {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface MetadataSyncOptions {
  backend: Backend;
  codec: ObjectCodec;
  cacheDir: string;
  /** A consistent database image without local-only rows. */
  snapshot: () => Uint8Array;
  /** A counter that grows with every database change (to skip uploads when nothing changed). */
  changes: () => number;
  state: LocalState;
  intervalMs?: number;
  keep?: number;
  log: (line: string) => void;
  /** Called after each successful upload (the removal queue runs then). */
  onUploaded?: () => void;
}

/** Uploads a snapshot every `intervalMs` when the database changed, and on demand; one at a time. */
export class MetadataSync {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private uploadedChanges = -1;
  /** Sequence number of the newest snapshot taken (uploaded or not). */
  snapshotSeq: number;
  uploadedSeq: number;
  lastUpload: number | undefined;
  lastSize = 0;

  constructor(private readonly o: MetadataSyncOptions) {
    this.uploadedSeq = o.state.uploadedSeq;
    // after a clean close (or a fresh download) the database equals the newest snapshot: nothing to upload yet
    if (o.state.clean) this.uploadedChanges = o.changes();
    this.snapshotSeq = Math.max(o.state.uploadedSeq, o.state.pendingSeq ?? 0);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A tick while an upload still runs is skipped: queueing one per tick would upload back to back later.
      if (!this.running && this.o.changes() !== this.uploadedChanges) void this.upload().catch((e) => this.o.log(`metadata upload failed (will retry): ${(e as Error)?.message ?? e}`));
    }, this.o.intervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** True when the database changed since the last uploaded snapshot. */
  get changed(): boolean {
    return this.o.changes() !== this.uploadedChanges;
  }

  /** Uploads a snapshot now (waits for one in progress first, then takes a fresh one). */
  async upload(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.doUpload().finally(() => (this.running = null));
    return this.running;
  }

  private async doUpload(): Promise<void> {
    const seq = Math.max(this.snapshotSeq, this.uploadedSeq) + 1;
    const changes = this.o.changes();
    const image = this.o.snapshot();
    this.snapshotSeq = seq;
    writeLocalState(this.o.cacheDir, { uploadedSeq: this.uploadedSeq, pendingSeq: seq, clean: false });
    this.lastSize = await uploadSnapshot(this.o.backend, this.o.codec, seq, image);
    this.uploadedSeq = seq;
    this.uploadedChanges = changes;
    this.lastUpload = Date.now();
    writeLocalState(this.o.cacheDir, { uploadedSeq: seq, pendingSeq: null, clean: false });
    try {
      await rotateSnapshots(this.o.backend, this.o.keep ?? 10);
    } catch (e) {
      this.o.log(`metadata rotation failed: ${(e as Error)?.message ?? e}`);
    }
    this.o.onUploaded?.();
  }
}
