// A command's options checked by its zod schema once: the parsed value, or the schema's first message as a UserError.
import type { z } from "zod";
import { UserError } from "../user-error.ts";

/** Each schema message names the option and the fix ("--atime takes relatime, …"), so it is the whole line. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message);
  return parsed.data;
}
