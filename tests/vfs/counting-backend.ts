// A backend wrapper that records every call (operation and key or prefix), for tests that count store traffic.
import type { Backend, ObjectInfo } from "../../src/fs/store/backend.ts";

export interface Call {
  op: "get" | "getRange" | "put" | "head" | "delete" | "deleteMany" | "list";
  key: string;
}

export class CountingBackend implements Backend {
  readonly calls: Call[] = [];
  constructor(private readonly inner: Backend) {}
  get description(): string {
    return this.inner.description;
  }
  get(key: string): Promise<Uint8Array> {
    this.calls.push({ op: "get", key });
    return this.inner.get(key);
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    this.calls.push({ op: "getRange", key });
    return this.inner.getRange(key, offset, length);
  }
  put(key: string, data: Uint8Array): Promise<void> {
    this.calls.push({ op: "put", key });
    return this.inner.put(key, data);
  }
  head(key: string): Promise<ObjectInfo | null> {
    this.calls.push({ op: "head", key });
    return this.inner.head(key);
  }
  delete(key: string): Promise<void> {
    this.calls.push({ op: "delete", key });
    return this.inner.delete(key);
  }
  deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) this.calls.push({ op: "deleteMany", key });
    return this.inner.deleteMany(keys);
  }
  list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    this.calls.push({ op: "list", key: prefix });
    return this.inner.list(prefix, startAfter);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** Calls since `from` (an index into `calls`). */
  since(from: number): Call[] {
    return this.calls.slice(from);
  }
}
