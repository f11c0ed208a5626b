// Restoring an older metadata generation: what it would bring back and lose (the plan), then doing it under the mount lock.
import type { FsKeys } from "../crypto/keys.ts";
import type { Backend } from "../store/backend.ts";
import { UserError } from "../../user-error.ts";
import { withMountLock } from "./admin-lock.ts";
import { type GenerationInfo, type GenerationSummary, type MetadataGenerations, filesWithMissingData, summarizeImage } from "./generations.ts";

/** A generation number that is not in the store. One line, naming the ones that are. */
export class NoSuchGenerationError extends UserError {
  constructor(generation: string, available: number[]) {
    super(`there is no metadata generation ${generation}; the store has ${available.length ? available.join(", ") : "none"} (see: coffer backups list URL)`);
    this.name = "NoSuchGenerationError";
  }
}

export interface RestorePlan {
  target: GenerationInfo & GenerationSummary;
  current: GenerationInfo & GenerationSummary;
  /** Generations newer than the target: every change they hold is undone. */
  newer: number;
  /** Files that exist now and not in the target (created or renamed since): they disappear. */
  disappear: string[];
  /** Files of the target that do not exist now (deleted or renamed since): they come back. */
  comeBack: string[];
  /** Files of the target whose data was already deleted from the store: they come back unreadable. */
  missingData: string[];
  image: Uint8Array;
}

async function dataKeysInStore(backend: Backend): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const o of backend.list("data/")) keys.add(o.key);
  return keys;
}

/** Reads the target and the current generation and compares them; changes nothing. */
export async function planRestore(backend: Backend, generations: MetadataGenerations, generationArg: string): Promise<RestorePlan> {
  const all = await generations.list();
  const generation = /^\d+$/.test(generationArg) ? Number(generationArg) : NaN;
  const info = all.find((g) => g.generation === generation);
  if (!info) throw new NoSuchGenerationError(generationArg, all.map((g) => g.generation));
  const currentInfo = all.at(-1)!;
  const image = await generations.read(info.generation);
  const target = { ...info, ...summarizeImage(image) };
  const current = { ...currentInfo, ...summarizeImage(await generations.read(currentInfo.generation)) };
  const pathsNow = new Set(current.files.values());
  const pathsThen = new Set(target.files.values());
  return {
    target,
    current,
    newer: all.filter((g) => g.generation > info.generation).length,
    disappear: [...pathsNow].filter((p) => !pathsThen.has(p)).sort(),
    comeBack: [...pathsThen].filter((p) => !pathsNow.has(p)).sort(),
    missingData: filesWithMissingData(target, await dataKeysInStore(backend)),
    image,
  };
}

/**
 * Restores generation `generationArg` while holding the mount lock (refused while mounted, before any
 * question): plans, asks `confirm` with the plan, and publishes the old image as the new current generation.
 * Returns the new generation's number, or null when not confirmed (nothing changed).
 */
export async function restoreGeneration(
  backend: Backend,
  keys: FsKeys,
  url: string,
  generations: MetadataGenerations,
  generationArg: string,
  confirm: (plan: RestorePlan) => boolean,
): Promise<{ plan: RestorePlan; published: number | null }> {
  return withMountLock(backend, keys, url, "(coffer backups restore)", async () => {
    const plan = await planRestore(backend, generations, generationArg);
    if (plan.target.generation === plan.current.generation) {
      throw new UserError(`generation ${plan.target.generation} is already the current one; nothing to restore`);
    }
    if (!confirm(plan)) return { plan, published: null };
    return { plan, published: await generations.publish(plan.image) };
  });
}
