// Main-thread cost of one metadata ship for databases of growing size: image, hash, page diff, log encoding.
//
//   bun bench/metadata-ship-cost.ts [--entries 10000,100000,400000]
//
// A log entry costs O(changed pages): fsync the WAL, read it, encode, checkpoint. A snapshot (at close,
// at compaction, the first ship after a mount from the local database) costs O(database): serialize +
// SHA-256. Both are printed per database size, for one small change.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetaDb } from "../src/fs/meta/db.ts";
import { encodePageLog, imageHash } from "../src/fs/metadata/page-log.ts";

const i = process.argv.indexOf("--entries");
const sizes = (i > 0 ? process.argv[i + 1]! : "10000,100000,400000").split(",").map(Number);
const dir = mkdtempSync(join(tmpdir(), "coffer-shipcost-"));
try {
  for (const n of sizes) {
    const db = MetaDb.open(join(dir, `m${n}.db`));
    const ins = db.q("INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) VALUES (33188, 0, 0, 1, 0, 0, 1, 1, 1, 1) RETURNING id");
    const ent = db.q("INSERT INTO entries (parent, name, inode) VALUES (1, ?, ?)");
    db.tx(() => {
      for (let k = 0; k < n; k++) ent.run(`file-with-a-typical-name-${k}.txt`, (ins.get() as { id: number }).id);
    });
    db.checkpoint();
    db.tx(() => ent.run("one-more", 1));
    const t0 = performance.now();
    db.sync();
    const wal = db.walPages()!;
    const pages = [...wal.pages].map(([pgno, data]) => ({ pgno, data }));
    const { bytes } = encodePageLog({ gen: 2, pageSize: wal.pageSize, pageCount: wal.pageCount, prevChain: new Uint8Array(32), pages });
    db.checkpoint();
    const t1 = performance.now();
    const image = db.image();
    const t2 = performance.now();
    imageHash(image);
    const t3 = performance.now();
    console.log(JSON.stringify({
      entries: n, db_mb: +(image.length / 1e6).toFixed(1), log_ship_ms: +(t1 - t0).toFixed(1), changed_pages: pages.length,
      log_bytes: bytes.length, snapshot_image_ms: +(t2 - t1).toFixed(1), snapshot_sha256_ms: +(t3 - t2).toFixed(1),
    }));
    db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
