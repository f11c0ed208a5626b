// An in-memory Backend for unit tests: same contract as the real ones, copies on the way in and out.
import { type Backend, type ObjectInfo, StoreError } from "./backend.ts";
import { checkKey } from "./key-names.ts";

export class MemoryBackend implements Backend {
  readonly description: string;
  private readonly objects = new Map<string, Uint8Array>();
  private closed = false;

  constructor(name = "memory") {
    this.description = `memory://${name}`;
  }

  /** Number of stored objects, for test assertions. */
  get size(): number {
    return this.objects.size;
  }

  private use(key?: string): void {
    if (this.closed) throw new StoreError("permanent", "memory backend is closed", key);
    if (key !== undefined) checkKey(key);
  }

  async get(key: string): Promise<Uint8Array> {
    this.use(key);
    const v = this.objects.get(key);
    if (!v) throw new StoreError("not-found", `no object ${key}`, key);
    return v.slice(); // callers may mutate what they get; the stored copy must not change
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    this.use(key);
    const v = this.objects.get(key);
    if (!v) throw new StoreError("not-found", `no object ${key}`, key);
    return v.slice(offset, offset + length);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    this.use(key);
    this.objects.set(key, data.slice());
  }

  async head(key: string): Promise<ObjectInfo | null> {
    this.use(key);
    const v = this.objects.get(key);
    return v ? { key, size: v.length } : null;
  }

  async delete(key: string): Promise<void> {
    this.use(key);
    this.objects.delete(key);
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const k of keys) await this.delete(k);
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    this.use();
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort(compareKeys);
    for (const key of keys) {
      const v = this.objects.get(key);
      if (v) yield { key, size: v.length };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Key order as S3 defines it: by UTF-8 bytes, which for our ASCII keys is plain code-unit order. */
export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
