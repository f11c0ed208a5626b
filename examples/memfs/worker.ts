// memfs's reader-Worker handlers: LOOKUP of a name the shared NameFilter has never seen is answered ENOENT
// right in the Worker; everything else goes to the main thread, where the filesystem lives.
import { ENAMETOOLONG, ENOENT, FORWARD, FuseError, encodeName, type WorkerHandlers } from "../../src/fs/fuse/index.ts";
import { NameFilter } from "./name-filter.ts";

export default function memfsWorkerHandlers(workerData: unknown): WorkerHandlers {
  const names = new NameFilter(workerData as SharedArrayBuffer);
  return {
    lookup(_ctx, parent, name) {
      // A UTF-16 unit is at most 3 UTF-8 bytes, so only names over 85 units can exceed NAME_MAX (255 bytes).
      if (name.length > 85 && encodeName(name).length > 255) throw new FuseError(ENAMETOOLONG);
      if (name === "." || name === ".." || names.mayContain(parent, name)) return FORWARD;
      throw new FuseError(ENOENT);
    },
  };
}
