// Child process for the kill -9 test: opens a CofferFs, writes and fsyncs a file, says READY, then waits to be killed.
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { openCofferFs } from "../../src/fs/vfs/index.ts";
import { ROOT, ctx, randomData } from "./helpers.ts";

const [storeDir, cacheDir, masterHex] = process.argv.slice(2);
const keys = deriveFsKeys(new Uint8Array(Buffer.from(masterHex, "hex")), false);
const fs = await openCofferFs({ backend: new LocalBackend(storeDir), keys, cacheDir, uploadDelayMs: 3_600_000, metadataIntervalMs: 3_600_000 });
const synced = await fs.create(ctx(), ROOT, "synced", 0o644, 2, 0);
const data = randomData(3 * 1024 * 1024 + 123, 42);
for (let off = 0; off < data.length; off += 131072) await fs.write(ctx(), synced.entry.nodeid, synced.open.fh, off, data.subarray(off, off + 131072), 0);
await fs.setxattr(ctx(), synced.entry.nodeid, "user.k", new TextEncoder().encode("v"), 0);
await fs.fsync(ctx(), synced.entry.nodeid, synced.open.fh, false);
// more work after the fsync, never synced: may or may not survive, must not corrupt anything
const other = await fs.create(ctx(), ROOT, "unsynced", 0o644, 2, 0);
await fs.write(ctx(), other.entry.nodeid, other.open.fh, 0, randomData(500_000, 43), 0);
process.stdout.write("READY\n");
setInterval(() => {}, 1000);
