// One line for a failed zod parse, shared by every boundary that checks a message or an object with a schema.
import type { z } from "zod";

/** The first problem as "path: message"; `whole` names the value when the problem is with all of it. */
export function firstIssue(error: z.ZodError, whole?: string): string {
  const issue = error.issues[0]!;
  const at = issue.path.length ? issue.path.join(".") : whole;
  return at ? `${at}: ${issue.message}` : issue.message;
}

/** JSON text checked by a schema: the value, or one line naming the problem ("not JSON", or the first issue). */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string, whole: string): { ok: true; value: T } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problem: firstIssue(parsed.error, whole) };
}
