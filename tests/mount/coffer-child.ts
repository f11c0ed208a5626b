// Serves a CofferFs (local:// store) over FUSE from a child process for mount tests: prints "ready MOUNTPOINT", SIGTERM unmounts + closes.
//
// Usage: bun tests/mount/coffer-child.ts MOUNTPOINT STORE_DIR CACHE_DIR MASTER_HEX [--mkfs] [--block-size=N] [--allow-other] [--dev]
import { deriveFsKeys } from "../../src/fs/crypto/keys.ts";
import { mountFuse } from "../../src/fs/fuse/index.ts";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { createFilesystemOnStore, openCofferFs } from "../../src/fs/vfs/index.ts";

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith("--"));
const [mountpoint, storeDir, cacheDir, masterHex] = args.filter((a) => !a.startsWith("--"));
const keys = deriveFsKeys(new Uint8Array(Buffer.from(masterHex!, "hex")), false);
const backend = new LocalBackend(storeDir!, { fsync: false });
const bsFlag = flags.find((f) => f.startsWith("--block-size="));
if (flags.includes("--mkfs")) await createFilesystemOnStore(backend, keys, { blockSize: bsFlag ? Number(bsFlag.split("=")[1]) : 4 * 1024 * 1024 });
const fs = await openCofferFs({ backend, keys, cacheDir: cacheDir!, log: (l) => console.error(`coffer: ${l}`), uploadDelayMs: 2000 });
const session = await mountFuse(fs, {
  mountpoint: mountpoint!,
  fsname: "coffer-test",
  subtype: "coffer",
  allowOther: flags.includes("--allow-other"),
  dev: flags.includes("--dev"),
  defaultPermissions: true,
  posixAcl: !flags.includes("--no-posix-acl"), // --no-posix-acl: for bench/acl-cost.ts, the kernel without ACL support
});
await session.ready;
console.log(`ready ${session.mountpoint}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await session.unmount({ lazy: true });
  } catch (e) {
    console.error(`coffer: unmount failed: ${(e as Error).message}`);
  }
  await fs.close();
  console.error("coffer: closed");
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
await session.closed;
await stop();
