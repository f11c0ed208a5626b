// nullfs: the smallest filesystem on the Worker fast path — an empty read-only root answered inside reader Workers.
//
// Usage: bun examples/nullfs.ts MOUNTPOINT [--debug] [--readers N] [--shared-fd] [--main-only]
// Prints "ready MOUNTPOINT" once mounted; unmounts and exits 0 on SIGINT/SIGTERM. LOOKUP, GETATTR, OPENDIR,
// READDIR, STATFS are answered by the handlers below in each reader Worker (this same file is the
// workerModule); the main thread only sees INIT and whatever the handlers FORWARD. --main-only serves
// everything on the main thread instead (to compare the two paths).
import { isMainThread } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import {
  ENOENT, ENOTDIR, FUSE_ROOT_ID, FuseError, mountFuse, type Attr, type DirentSink, type RawFileSystem,
  type WorkerHandlers,
} from "../src/fs/fuse/index.ts";

const started = Math.floor(Date.now() / 1000);

function rootAttr(): Attr {
  const uid = process.getuid?.() ?? 0, gid = process.getgid?.() ?? 0;
  return {
    ino: FUSE_ROOT_ID, size: 0, blocks: 0, atime: started, mtime: started, ctime: started, atimensec: 0, mtimensec: 0,
    ctimensec: 0, mode: 0o40555, nlink: 2, uid, gid, rdev: 0, blksize: 4096, flags: 0,
  };
}

function checkRoot(nodeid: number): void {
  if (nodeid !== FUSE_ROOT_ID) throw new FuseError(ENOENT);
}

/** The whole filesystem as synchronous handlers: usable in a Worker and on the main thread alike. */
export default function nullHandlers(): WorkerHandlers & RawFileSystem {
  return {
    lookup(_c, parent) {
      if (parent !== FUSE_ROOT_ID) throw new FuseError(ENOTDIR);
      throw new FuseError(ENOENT); // the root is empty
    },
    getattr(_c, nodeid) {
      checkRoot(nodeid);
      return { attrValid: 1, attr: rootAttr() };
    },
    opendir(_c, nodeid) {
      checkRoot(nodeid);
      return { fh: 0, openFlags: 0 };
    },
    readdir(_c, nodeid, _fh, offset, out: DirentSink) {
      checkRoot(nodeid);
      if (offset < 1 && !out.add(".", FUSE_ROOT_ID, 4, 1)) return;
      if (offset < 2) out.add("..", FUSE_ROOT_ID, 4, 2);
    },
    releasedir() {},
    statfs() {
      return { blocks: 0, bfree: 0, bavail: 0, files: 1, ffree: 0, bsize: 4096, namelen: 255, frsize: 4096 };
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const ri = argv.indexOf("--readers");
  const mountpoint = argv.find((a, i) => !a.startsWith("--") && (ri < 0 || i !== ri + 1));
  if (!mountpoint) {
    console.error("usage: bun examples/nullfs.ts MOUNTPOINT [--debug] [--readers N] [--shared-fd] [--main-only]");
    process.exit(2);
  }
  const mainOnly = argv.includes("--main-only");
  const session = await mountFuse(nullHandlers(), {
    mountpoint, fsname: "nullfs", subtype: "nullfs", debug: argv.includes("--debug"),
    readers: ri >= 0 ? Number(argv[ri + 1]) : undefined, cloneFds: !argv.includes("--shared-fd"),
    workerModule: mainOnly ? undefined : fileURLToPath(import.meta.url),
  });
  await session.ready;
  console.log(`ready ${session.mountpoint}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await session.unmount({ lazy: true });
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await session.closed;
  if (!stopping) process.exit(0);
}

if (import.meta.main && isMainThread) await main(process.argv.slice(2));
