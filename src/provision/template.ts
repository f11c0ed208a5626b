// Fills the readable templates/ files: {{NAME}} placeholders only, every one required, nothing else interpreted.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const TEMPLATE_DIR = join(import.meta.dir, "../../templates");

export type TemplateName =
  | "coffer.service"
  | "authinfo"
  | "smb-share.conf"
  | "exports"
  | "ganesha-export.conf"
  | "server-dropin.conf"
  | "unit-dropin.conf";

const cache = new Map<TemplateName, string>();

/** The template's text (read once; templates are part of the program, like its source). */
export function templateText(name: TemplateName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(TEMPLATE_DIR, name), "utf8");
    cache.set(name, text);
  }
  return text;
}

/** Replaces every {{KEY}}; a placeholder without a value, or a value without a placeholder, is a bug. */
export function fillTemplate(name: TemplateName, values: Record<string, string>): string {
  const used = new Set<string>();
  const out = templateText(name).replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${name}: no value for {{${key}}}`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`template ${name}: values never used: ${unused.join(", ")}`);
  return out;
}
