// Path arguments become absolute once, against the caller's working directory, before any check uses them.
import { resolve } from "node:path";
import { z } from "zod";

/** A path option or argument, resolved against process.cwd() as it is parsed. */
export const absolutePath = z.string().min(1, "a path option is empty").transform((p) => resolve(p));

export function absolute(path: string): string {
  return resolve(path);
}
