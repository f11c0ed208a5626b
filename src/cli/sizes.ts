// Parses human sizes such as 4M, 512k, 10G (powers of 1024) for command-line options.
import { z } from "zod";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a size; write e.g. 4M, 512K or 10G`);
  return Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

/** A zod schema for a size option, so option errors read like every other validation error. */
export const sizeOption = z.string().transform((text, ctx) => {
  try {
    return parseSize(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});
