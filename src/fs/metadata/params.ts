// The filesystem parameters object `meta/params`: fixed at mkfs, read and checked (zod) at every open.
import { z } from "zod";
import type { Backend } from "../store/backend.ts";
import { parseJsonWith } from "../../schema-issue.ts";
import { UserError } from "../../user-error.ts";
import type { ObjectCodec } from "../blocks/object-codec.ts";
import { PARAMS_KEY } from "../store/object-names.ts";

export const FsParamsSchema = z.object({
  format: z.literal(1),
  blockSize: z.number().int().min(4096).max(64 * 1024 * 1024).refine((n) => (n & (n - 1)) === 0, "must be a power of two"),
  createdNs: z.string().regex(/^\d+$/),
}).strict();

/** Filesystem parameters fixed at mkfs. */
export type FsParams = z.infer<typeof FsParamsSchema>;

/** The params object decrypted but malformed: written by a newer Coffer or damaged by a bug. */
export class FsParamsError extends UserError {
  constructor(detail: string) {
    super(`the filesystem parameters object ${PARAMS_KEY} is malformed (${detail}): written by a newer Coffer? upgrade coffer, or restore the object from a backup`);
    this.name = "FsParamsError";
  }
}

/** Parses the decrypted bytes of `meta/params`; a malformed object is one FsParamsError naming the problem. */
export function parseParams(plain: Uint8Array): FsParams {
  const r = parseJsonWith(FsParamsSchema, new TextDecoder().decode(plain), "object");
  if (!r.ok) throw new FsParamsError(r.problem);
  return r.value;
}

export async function writeParams(backend: Backend, codec: ObjectCodec, p: FsParams): Promise<void> {
  const plain = new TextEncoder().encode(JSON.stringify(FsParamsSchema.parse(p)));
  await backend.put(PARAMS_KEY, await codec.encode("meta", PARAMS_KEY, plain, 0));
}

export async function readParams(backend: Backend, codec: ObjectCodec): Promise<FsParams> {
  return parseParams(await codec.decode("meta", PARAMS_KEY, await backend.get(PARAMS_KEY), 0));
}
