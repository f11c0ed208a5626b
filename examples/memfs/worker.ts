// memfs's reader-Worker handlers: LOOKUP of a name the shared NameFilter has never seen is answered ENOENT
// right in the Worker; everything else goes to the main thread, where the filesystem lives.
import { ENOENT, FORWARD, FuseError, type WorkerHandlers } from "../../src/fs/fuse/index.ts";
import { checkName } from "./inode-table.ts";
import { NameFilter } from "./name-filter.ts";

export default function memfsWorkerHandlers(workerData: unknown): WorkerHandlers {
  const names = new NameFilter(workerData as SharedArrayBuffer);
  return {
    lookup(_ctx, parent, name) {
      checkName(name);
      if (name === "." || name === ".." || names.mayContain(parent, name)) return FORWARD;
      throw new FuseError(ENOENT);
    },
  };
}
