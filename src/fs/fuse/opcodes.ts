// The opcode table: every FUSE operation the layer knows, indexed by opcode (INIT, DESTROY, INTERRUPT are the server's own).
import { Opcode } from "./kernel.ts";
import { attrOps } from "./ops/attr.ts";
import { dirOps } from "./ops/dir.ts";
import { entryOps } from "./ops/entry.ts";
import { fileOps } from "./ops/file.ts";
import type { OpDef } from "./ops/op.ts";
import { xattrOps } from "./ops/xattr.ts";

export type { OpDef, ServeEnv } from "./ops/op.ts";

/** OPS[opcode] is the table entry, or undefined (the server answers ENOSYS). */
export const OPS: (OpDef | undefined)[] = [];
for (const d of [...entryOps, ...attrOps, ...fileOps, ...dirOps, ...xattrOps]) {
  if (OPS[d.opcode]) throw new Error(`opcode ${d.opcode} defined twice`);
  OPS[d.opcode] = d;
}

const OPCODE_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(Opcode)) OPCODE_NAMES[v] = k;

/** "LOOKUP" for 1, "OP_123" for opcodes we do not know. */
export function opName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `OP_${opcode}`;
}
