// fsck on a filesystem with a million entries: built directly in the metadata database, then checked with fsckStore.
//
//   bun bench/fsck.ts [--entries 1000000] [--per-dir 1000]
//
// The filesystem lives on local:// in a temp dir. A few real files (with stored objects) are written through
// the filesystem first; the million empty files are inserted with SQL (creating them through the vfs would
// take far longer than the check). The figure is the wall time of fsckStore in --batch mode, store listing
// and cache scan included; the time of SQLite's own integrity_check on the same database is the reference.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomKey } from "../src/fs/crypto/aead.ts";
import { deriveFsKeys } from "../src/fs/crypto/keys.ts";
import { LocalBackend } from "../src/fs/store/local.ts";
import { MetaDb } from "../src/fs/meta/db.ts";
import { createFilesystemOnStore, openCofferFs } from "../src/fs/vfs/index.ts";
import { fsckStore } from "../src/fs/fsck/fsck-store.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ENTRIES = arg("entries", 1_000_000);
const PER_DIR = arg("per-dir", 1000);

const root = mkdtempSync(join(tmpdir(), "coffer-bench-fsck-"));
try {
  const backend = new LocalBackend(join(root, "store"), { fsync: false });
  const keys = deriveFsKeys(randomKey(), false);
  await createFilesystemOnStore(backend, keys, { blockSize: 1024 * 1024 });
  const cacheDir = join(root, "cache");
  const fs = await openCofferFs({ backend, keys, cacheDir });
  for (let n = 0; n < 20; n++) {
    const { entry, open } = fs.create({ unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 }, 1, `real-${n}`, 0o644, 2, 0o022);
    await fs.write({ unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 }, entry.nodeid, open.fh, 0, crypto.getRandomValues(new Uint8Array(65536)), 0);
    fs.release({ unique: 1n, nodeid: 0, uid: 0, gid: 0, pid: 1 }, entry.nodeid, open.fh, 0);
  }
  await fs.close();

  let t = performance.now();
  const db = MetaDb.open(join(cacheDir, "metadata.db"));
  db.tx(() => {
    const ins = db.q("INSERT INTO inodes (mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns, ctime_ns, crtime_ns) VALUES (?, 0, 0, ?, 0, 0, 0, 0, 0, 0) RETURNING id");
    const ent = db.q("INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)");
    const dirs = Math.ceil(ENTRIES / (PER_DIR + 1));
    let made = 0;
    for (let d = 0; d < dirs && made < ENTRIES; d++) {
      const dir = (ins.get(0o040755, 2) as { id: number }).id;
      ent.run(1, `dir-${d}`, dir);
      made++;
      for (let f = 0; f < PER_DIR && made < ENTRIES; f++, made++) ent.run(dir, `file-${f}`, (ins.get(0o100644, 1) as { id: number }).id);
    }
    db.q("UPDATE inodes SET nlink = 2 + ? WHERE id = 1").run(dirs);
  });
  const entries = (db.q("SELECT count(*) AS n FROM entries").get() as { n: number }).n;
  db.close();
  console.log(`built ${entries} entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const ref = MetaDb.open(join(cacheDir, "metadata.db"));
  ref.q("PRAGMA integrity_check").all();
  ref.close();
  const integritySec = (performance.now() - t) / 1000;

  const phases: string[] = [];
  let last = performance.now();
  let lastName = "start";
  t = performance.now();
  const result = await fsckStore({
    backend, keys, url: "local://bench", cacheDir,
    ui: {
      phase(name) {
        const now = performance.now();
        phases.push(`${lastName} ${((now - last) / 1000).toFixed(2)} s`);
        last = now;
        lastName = name;
      },
      tick() {},
      confirm: async () => true,
      log: (l) => console.log(l),
    },
  });
  const fsckSec = (performance.now() - t) / 1000;
  phases.push(`${lastName} ${((performance.now() - last) / 1000).toFixed(2)} s`);
  console.log(`phases: ${phases.join(", ")}`);
  console.log(`fsck of ${entries} entries: ${fsckSec.toFixed(1)} s, ${result.problems.length} problems (reference: integrity_check alone ${integritySec.toFixed(1)} s)`);
  if (result.problems.length) console.log(JSON.stringify(result.problems));
} finally {
  rmSync(root, { recursive: true, force: true });
}
