// The bound on a read's wait for the store: past it the read fails (EIO) with a line saying why; the download goes on.
import type { Backend } from "../store/backend.ts";

/** Default bound on a read's wait for the store. */
export const READ_TIMEOUT_MS = 30_000;

/** The store did not deliver a block in time: the read fails (EIO), the download goes on in the background. */
export class BlockReadTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockReadTimeoutError";
  }
}

/** `p`, or BlockReadTimeoutError (logged, naming the block, the store and its last error) after `ms`. */
export function withReadDeadline(p: Promise<void>, ms: number, key: string, backend: Backend, log: (line: string) => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const last = (backend as { stats?: () => { lastError: { message: string } | null } }).stats?.().lastError;
      const why = `read of block ${key}: the store ${backend.description} has not delivered it for ${Math.round(ms / 1000)} s` +
        `${last ? ` (last error: ${last.message})` : ""}; answering EIO, the download goes on in the background`;
      log(why);
      reject(new BlockReadTimeoutError(why));
    }, ms);
  });
  p.catch(() => {}); // a download that fails after the deadline answered is no unhandled rejection
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
