// `coffer fsck` as a library call: takes the mount lock, checks and repairs, then stores the result (metadata and dirty blocks).
import { mkdirSync } from "node:fs";
import type { Backend } from "../store/backend.ts";
import type { FsKeys } from "../crypto/keys.ts";
import { MetaDb } from "../meta/db.ts";
import { BlockMap } from "../meta/blockmap.ts";
import { keysCodec } from "../blocks/keys-codec.ts";
import { metadataPath, prepareLocalCopy, publishImage, readParams, writeLocalState } from "../metadata/index.ts";
import { openCofferFs } from "../vfs/open.ts";
import { MountLock } from "../mount-lock.ts";
import type { FsckUi } from "./problem.ts";
import { type FoundProblem, runChecks } from "./run-checks.ts";

export interface FsckOptions {
  backend: Backend;
  keys: FsKeys;
  /** Names the filesystem in messages (the storage URL). */
  url: string;
  /** This filesystem's own cache directory (cacheDirFor(root, url)). */
  cacheDir: string;
  /** Take over a mount lock left by a machine that is gone. */
  forceUnlock?: boolean;
  ui: FsckUi;
}

export interface FsckResult {
  problems: FoundProblem[];
  /** Dirty blocks found in the cache and uploaded afterwards. */
  uploadedBlocks: number;
}

/**
 * Checks the filesystem offline: refuses one that is mounted (the store's mount lock), repairs what the
 * UI agrees to, publishes the repaired metadata as a new generation when anything changed (as a restore
 * does), uploads every dirty cache block, and leaves the cache directory clean. A problem the UI declines stays as it was.
 */
export async function fsckStore(o: FsckOptions): Promise<FsckResult> {
  const lock = await MountLock.acquire(o.backend, o.keys, o.url, "(coffer fsck)", { force: o.forceUnlock });
  try {
    mkdirSync(o.cacheDir, { recursive: true, mode: 0o700 });
    const codec = keysCodec(o.keys, 1);
    const params = await readParams(o.backend, codec);
    o.ui.phase("fetching metadata", 0);
    // the newest generation (snapshot + its logs, chain checked), or the local copy when it is as new
    const { state: opened, baseChain } = await prepareLocalCopy(o.backend, codec, o.cacheDir, o.ui.log);
    let state = opened;
    const db = MetaDb.open(metadataPath(o.cacheDir));
    let problems: FoundProblem[];
    let dirty: number;
    try {
      // a downloaded image's dirty markers name another machine's cache files (dropped as FsMetadata.open does)
      if (baseChain) db.q("DELETE FROM dirty_blocks").run();
      problems = await runChecks({
        db, map: new BlockMap(db), backend: o.backend, codec, cacheDir: o.cacheDir, blockSize: params.blockSize,
        takenGen: Math.max(state.shippedGen, state.pendingGen ?? 0), cleanShutdown: state.clean, ui: o.ui,
      });
      if (problems.some((p) => p.repaired)) {
        // the repaired metadata goes to the store now as a new generation: a fresh machine must not see the damage again
        o.ui.phase("uploading the repaired metadata", 0);
        db.checkpoint();
        const gen = await publishImage(o.backend, codec, db.image());
        state = { shippedGen: gen, pendingGen: null, clean: false };
      }
      dirty = (db.q("SELECT count(*) AS n FROM dirty_blocks").get() as { n: number }).n;
    } finally {
      db.close();
    }
    // Every cache file was checked (or its problem declined: then the cache keeps its old trust level).
    const trusted = problems.every((p) => p.repaired) ? true : state.clean;
    writeLocalState(o.cacheDir, { ...state, clean: trusted });
    if (dirty > 0) {
      o.ui.phase(`uploading ${dirty} dirty blocks from the cache`, 0);
      const fs = await openCofferFs({ backend: o.backend, keys: o.keys, cacheDir: o.cacheDir, log: o.ui.log });
      await fs.close((p) => o.ui.tick(p.uploadedBytes));
    }
    return { problems, uploadedBlocks: dirty };
  } finally {
    await lock.release();
  }
}
