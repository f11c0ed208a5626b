// Queries on the entries table: name lookups, directory listing by entry-id cookie, renames.
import type { MetaDb } from "./db.ts";
import { decodeName, encodeName } from "../names.ts";

/**
 * A name as stored: TEXT when it is valid Unicode (nearly always), else a BLOB of its raw bytes, so
 * names that are not UTF-8 stay distinct (SQLite never finds a TEXT equal to a BLOB).
 */
const toStored = (name: string): string | Uint8Array => (name.isWellFormed() ? name : encodeName(name));

function fromStored<T extends { name: string | Uint8Array } | null>(row: T): T {
  if (row && typeof row.name !== "string") row.name = decodeName(row.name as Uint8Array);
  return row;
}

export interface Entry {
  id: number;
  parent: number;
  name: string;
  inode: number;
}

/** Directory entry queries; readdir pages by entry id (index (parent, id)), never with OFFSET. */
export class EntryTable {
  private readonly lookupStmt;
  private readonly listStmt;

  constructor(private readonly m: MetaDb) {
    this.lookupStmt = m.q("SELECT id, parent, name, inode FROM entries WHERE parent = ? AND name = ?");
    this.listStmt = m.q("SELECT id, parent, name, inode FROM entries WHERE parent = ? AND id > ? ORDER BY id LIMIT ?");
  }

  lookup(parent: number, name: string): Entry | null {
    return fromStored(this.lookupStmt.get(parent, toStored(name)) as Entry | null);
  }

  /** Up to `limit` entries of `parent` with id > afterId, in id order. */
  list(parent: number, afterId: number, limit: number): Entry[] {
    const rows = this.listStmt.all(parent, afterId, limit) as Entry[];
    for (const row of rows) fromStored(row);
    return rows;
  }

  insert(parent: number, name: string, inode: number): number {
    return (this.m.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?) RETURNING id").get(parent, toStored(name), inode) as { id: number }).id;
  }

  delete(id: number): void {
    this.m.q("DELETE FROM entries WHERE id = ?").run(id);
  }

  /** Points an existing entry at another inode (rename over / exchange). */
  setInode(id: number, inode: number): void {
    this.m.q("UPDATE entries SET inode = ? WHERE id = ?").run(inode, id);
  }

  /**
   * Moves an entry to a new parent/name, keeping its id and so its readdir cookie: a listing that runs
   * while entries are renamed away and back still ends, and returns each surviving entry at most once
   * (a new id would put the entry past the reader's position again, forever).
   */
  move(id: number, parent: number, name: string): number {
    this.m.q("UPDATE entries SET parent = ?, name = ? WHERE id = ?").run(parent, toStored(name), id);
    return id;
  }

  hasChildren(parent: number): boolean {
    return this.m.q("SELECT 1 FROM entries WHERE parent = ? LIMIT 1").get(parent) !== null;
  }

  /** The parent directory of directory `inode` (directories have exactly one entry), or null for the root. */
  parentOf(inode: number): number | null {
    const r = this.m.q("SELECT parent FROM entries WHERE inode = ? LIMIT 1").get(inode) as { parent: number } | null;
    return r ? r.parent : null;
  }

  count(): number {
    return (this.m.q("SELECT count(*) AS n FROM entries").get() as { n: number }).n;
  }
}
