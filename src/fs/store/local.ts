// A Backend on a local directory: atomic puts (temp file, fsync, rename), sharded so no directory grows huge.
//
// Layout (see docs/format.md): a key "a/b/name" is stored as ROOT/a/b/name# — every "/" in the key is a
// directory, object files end in "#" (a character keys never contain) so the key "a" and the keys "a/..."
// can coexist. A last segment of 16+ characters (content ids) goes into a shard directory "#" + its first
// 3 characters, so 10 million data blocks spread over 4096 directories (~2.4k entries each).
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { type Backend, type ObjectInfo, StoreError } from "./backend.ts";
import { checkKey } from "./key-names.ts";
import { compareKeys } from "./memory.ts";

const SHARD_MIN_LEN = 16;
const SHARD_CHARS = 3;

const escapeSeg = (s: string): string => (s === "" ? "%" : s === "." ? "%2E" : s === ".." ? "%2E%2E" : s);
const unescapeSeg = (s: string): string => (s === "%" ? "" : s === "%2E" ? "." : s === "%2E%2E" ? ".." : s);

/** The file path of a key, relative to the root, as [directories..., file name]. */
export function localPathOf(key: string): string[] {
  const segs = key.split("/");
  const last = segs.pop() as string;
  const dirs = segs.map(escapeSeg);
  if (last.length >= SHARD_MIN_LEN) dirs.push("#" + last.slice(0, SHARD_CHARS));
  return [...dirs, escapeSeg(last) + "#"];
}

function classify(e: unknown, key: string | undefined, what: string): StoreError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const msg = `${what}: ${(e as Error)?.message ?? String(e)}`;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new StoreError("not-found", msg, key, undefined, { cause: e });
    case "EACCES":
    case "EPERM":
      return new StoreError("auth", msg, key, undefined, { cause: e });
    case "EMFILE":
    case "ENFILE":
    case "EAGAIN":
    case "EBUSY":
    case "EINTR":
    case "EIO":
      return new StoreError("transient", msg, key, undefined, { cause: e });
    default:
      return new StoreError("permanent", msg, key, undefined, { cause: e });
  }
}

export interface LocalBackendOptions {
  /** fsync file and directory on put (default true); tests may turn it off for speed. */
  fsync?: boolean;
}

export class LocalBackend implements Backend {
  readonly description: string;
  private readonly fsync: boolean;

  constructor(
    readonly root: string,
    opts: LocalBackendOptions = {},
  ) {
    this.description = `local://${root}`;
    this.fsync = opts.fsync ?? true;
  }

  private pathOf(key: string): { dir: string; file: string } {
    checkKey(key);
    const parts = localPathOf(key);
    const name = parts.pop() as string;
    const dir = [this.root, ...parts].join("/");
    return { dir, file: `${dir}/${name}` };
  }

  async get(key: string): Promise<Uint8Array> {
    const { file } = this.pathOf(key);
    try {
      return new Uint8Array(await Bun.file(file).arrayBuffer());
    } catch (e) {
      throw classify(e, key, `reading ${key}`);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const { file } = this.pathOf(key);
    try {
      const fh = await open(file, "r");
      try {
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw classify(e, key, `reading ${key}`);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const { dir, file } = this.pathOf(key);
    const tmp = `${file}.tmp${randomBytes(6).toString("hex")}`; // does not end in "#": list ignores it
    try {
      let fh;
      try {
        fh = await open(tmp, "wx");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        await mkdir(dir, { recursive: true });
        fh = await open(tmp, "wx");
      }
      try {
        let done = 0;
        while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
        if (this.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      if (this.fsync) {
        // The rename itself is only durable once the directory is synced.
        const dh = await open(dir, "r");
        try {
          await dh.sync();
        } finally {
          await dh.close();
        }
      }
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw classify(e, key, `writing ${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const { file } = this.pathOf(key);
    try {
      return { key, size: (await stat(file)).size };
    } catch (e) {
      const err = classify(e, key, `stat ${key}`);
      if (err.kind === "not-found") return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const { file } = this.pathOf(key);
    try {
      await unlink(file);
    } catch (e) {
      const err = classify(e, key, `deleting ${key}`);
      if (err.kind !== "not-found") throw err;
    }
  }

  /** Unlinks 16 at a time: a removal queue may hand over thousands of keys at once. */
  async deleteMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((k) => this.delete(k)));
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo> {
    const segs = prefix.split("/");
    const partial = segs.pop() as string;
    const base = segs.length ? segs.join("/") + "/" : "";
    const dir = [this.root, ...segs.map(escapeSeg)].join("/");
    for await (const o of this.walk(dir, base, partial, startAfter)) yield o;
  }

  /**
   * Yields the objects under `dir` (whose keys start with `base`) in key order, keeping only names that
   * start with `partial` at this level. Shard directories hold files of this same level, so they are
   * merged in before sorting; subdirectories sort as "name/" which places all their keys correctly.
   */
  private async *walk(dir: string, base: string, partial: string, after?: string): AsyncIterable<ObjectInfo> {
    const entries = await this.readDir(dir);
    const items: { name: string; file?: string; dir?: string }[] = [];
    for (const ent of entries) {
      if (ent.isDirectory()) {
        if (ent.name.startsWith("#")) {
          const shard = ent.name.slice(1);
          const n = Math.min(shard.length, partial.length);
          if (shard.slice(0, n) !== partial.slice(0, n)) continue;
          for (const f of await this.readDir(`${dir}/${ent.name}`)) {
            if (f.isFile() && f.name.endsWith("#")) {
              items.push({ name: unescapeSeg(f.name.slice(0, -1)), file: `${dir}/${ent.name}/${f.name}` });
            }
          }
        } else {
          items.push({ name: unescapeSeg(ent.name) + "/", dir: `${dir}/${ent.name}` });
        }
      } else if (ent.isFile() && ent.name.endsWith("#")) {
        items.push({ name: unescapeSeg(ent.name.slice(0, -1)), file: `${dir}/${ent.name}` });
      }
    }
    items.sort((a, b) => compareKeys(a.name, b.name));
    for (const it of items) {
      if (!it.name.startsWith(partial)) continue;
      // Skip whole subtrees before `after`: everything below "x/" sorts before "x/"+"\uffff".
      if (after !== undefined && (base + it.name + (it.dir ? "\uffff" : "")) <= after) continue;
      if (it.dir) {
        yield* this.walk(it.dir, base + it.name, "", after);
      } else if (it.file) {
        const key = base + it.name;
        try {
          yield { key, size: (await stat(it.file)).size };
        } catch (e) {
          const err = classify(e, key, `stat ${key}`);
          if (err.kind !== "not-found") throw err; // deleted while listing: skip, as S3 may
        }
      }
    }
  }

  private async readDir(dir: string) {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (e) {
      const err = classify(e, undefined, `listing ${dir}`);
      if (err.kind === "not-found") return [];
      throw err;
    }
  }

  async close(): Promise<void> {}
}
