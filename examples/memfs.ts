// memfs CLI: mounts the in-memory filesystem in the foreground (`bun run examples/memfs.ts MOUNTPOINT [options]`).
//
// Prints "ready MOUNTPOINT" once the kernel has finished INIT (test harnesses wait for that line), and
// unmounts and exits 0 on SIGINT or SIGTERM. Everything is lost at unmount: it is a fixture and an example.

import { mountFuse } from "../src/fs/fuse/index.ts";
import { fileURLToPath } from "node:url";
import { MemFs } from "./memfs/mem-fs.ts";
import { NameFilter } from "./memfs/name-filter.ts";

function usage(message: string): never {
  console.error(`memfs: ${message}\nusage: bun run examples/memfs.ts MOUNTPOINT [--allow-other] [--dev] [--debug] [--writeback-cache]`);
  process.exit(2);
}

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith("--")));
const positional = args.filter((a) => !a.startsWith("--"));
const known = new Set(["--allow-other", "--dev", "--debug", "--writeback-cache"]);
for (const f of flags) if (!known.has(f)) usage(`unknown option ${f}`);
if (positional.length !== 1) usage("exactly one MOUNTPOINT expected");

// Signals are caught from the start: one that arrives while mounting, or right after "ready", still unmounts.
let onStop!: (signal: string) => void;
const stopRequested = new Promise<string>((resolve) => (onStop = resolve));
process.on("SIGINT", () => onStop("SIGINT"));
process.on("SIGTERM", () => onStop("SIGTERM"));

// Reader Workers answer LOOKUPs of names that do not exist from this shared filter; the rest reaches MemFs.
const names = new NameFilter();
const session = await mountFuse(new MemFs({ names }), {
  mountpoint: positional[0]!,
  fsname: "memfs",
  subtype: "memfs",
  allowOther: flags.has("--allow-other"),
  dev: flags.has("--dev"),
  // The kernel checks permissions against the mode bits we report, so MemFs need not.
  defaultPermissions: true,
  // Kernel-enforced POSIX ACLs; MemFs keeps modes and ACLs in sync (src/fs/posix-acl.ts).
  posixAcl: true,
  debug: flags.has("--debug"),
  // The kernel then keeps written data in its page cache and sends larger, later WRITEs: a second code path to test.
  writebackCache: flags.has("--writeback-cache"),
  workerModule: fileURLToPath(new URL("./memfs/worker.ts", import.meta.url)),
  workerData: names.buffer,
}).catch((e: Error) => {
  console.error(`memfs: cannot mount: ${e.message}`);
  process.exit(1);
});
await session.ready;
// Echo the path as given, so a harness can match the exact string it passed.
console.log(`ready ${positional[0]}`);

// Unmounted from outside (umount MOUNTPOINT) leaves nothing to serve; a signal unmounts first.
const signal = await Promise.race([stopRequested, session.closed.then(() => undefined)]);
if (signal) {
  try {
    // Lazy: a shell still sitting in the mount must not keep us from exiting.
    await session.unmount({ lazy: true });
  } catch (e) {
    console.error(`memfs: unmount on ${signal} failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
process.exit(0);
