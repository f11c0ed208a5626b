// Worker module for fuse-worker.test.ts: answers LOOKUP of "w*" names and GETATTR in reader Workers, forwards the rest.
import { ENOENT, FORWARD, FuseError, type Attr, type WorkerHandlers } from "../../src/fs/fuse/index.ts";

export function fileAttr(ino: number): Attr {
  return {
    ino, size: 3, blocks: 1, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: ino === 1 ? 0o40755 : 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, flags: 0,
  };
}

export default function handlers(data: unknown): WorkerHandlers {
  const { wNode } = data as { wNode: number };
  return {
    lookup(_c, _parent, name) {
      if (name === "w-missing") throw new FuseError(ENOENT);
      if (name.startsWith("w")) return { nodeid: wNode, generation: 0, entryValid: 0, attrValid: 0, attr: fileAttr(wNode) };
      return FORWARD;
    },
    getattr(_c, nodeid) {
      return nodeid === wNode || nodeid === 1 ? { attrValid: 0, attr: fileAttr(nodeid) } : FORWARD;
    },
  };
}
