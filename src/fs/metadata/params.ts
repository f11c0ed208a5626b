// The filesystem parameters object `meta/params`: fixed at mkfs, read and checked (zod) at every open.
import { z } from "zod";
import type { Backend } from "../store/backend.ts";
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
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    throw new FsParamsError("not JSON");
  }
  const r = FsParamsSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new FsParamsError(`${i.path.join(".") || "object"}: ${i.message}`);
  }
  return r.data;
}

export async function writeParams(backend: Backend, codec: ObjectCodec, p: FsParams): Promise<void> {
  const plain = new TextEncoder().encode(JSON.stringify(FsParamsSchema.parse(p)));
  await backend.put(PARAMS_KEY, await codec.encode("meta", PARAMS_KEY, plain, 0));
}

export async function readParams(backend: Backend, codec: ObjectCodec): Promise<FsParams> {
  return parseParams(await codec.decode("meta", PARAMS_KEY, await backend.get(PARAMS_KEY), 0));
}
