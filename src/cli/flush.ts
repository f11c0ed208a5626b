// `coffer flush`: stores every dirty block and the metadata of a mounted filesystem now, and waits for it.
import { controlRequest } from "../control/client.ts";
import { flushProgress } from "./progress.ts";

export async function flushCommand(mountpoint: string): Promise<void> {
  const progress = flushProgress();
  try {
    await controlRequest(mountpoint, { op: "flush" }, (p) => progress.update(p));
  } finally {
    progress.end();
  }
}
