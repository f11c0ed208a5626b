// Reads S3QL-format authinfo files: [sections] of storage-url / backend-login / backend-password /
// fs-passphrase / backend-options, matched to a storage URL by longest prefix.
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseIni } from "js-ini";
import { UserError } from "../user-error.ts";

export const DEFAULT_AUTHFILE = join(homedir(), ".coffer", "authinfo");

const KNOWN_KEYS = ["storage-url", "backend-login", "backend-password", "fs-passphrase", "backend-options"] as const;
type AuthKey = (typeof KNOWN_KEYS)[number];

/** What an authinfo file says about one storage URL; absent fields were not given. */
export interface AuthInfo {
  backendLogin?: string;
  backendPassword?: string;
  fsPassphrase?: string;
  backendOptions: Record<string, string | true>;
}

interface Section {
  name: string;
  line: number;
  values: Partial<Record<AuthKey, string>>;
}

/** `no-ssl,region=eu-west-1` -> { "no-ssl": true, region: "eu-west-1" } */
export function parseBackendOptions(text: string): Record<string, string | true> {
  const options: Record<string, string | true> = {};
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq < 0) options[item] = true;
    else options[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return options;
}

function lineOf(lines: string[], predicate: (line: string) => boolean, from = 0): number {
  for (let i = from; i < lines.length; i++) if (predicate(lines[i]!)) return i + 1;
  return 0;
}

/** Parses authinfo text; `file` only names the source in errors. */
export function parseAuthinfo(text: string, file: string): Section[] {
  const lines = text.split(/\r?\n/);
  let parsed: Record<string, unknown>;
  try {
    parsed = parseIni(text, { delimiter: ":", comment: ["#", ";"], autoTyping: false, nothrow: false }) as Record<string, unknown>;
  } catch (error) {
    // js-ini says "Unsupported type of line: [N] "text"": keep its line number, say what is expected.
    const match = /\[(\d+)\]\s*"(.*)"/.exec(String((error as Error).message));
    const where = match ? `line ${match[1]}: "${match[2]}"` : String((error as Error).message);
    throw new UserError(`${file} ${where} is not "key: value" or "[section]"; write it as key: value, or remove it`);
  }
  const sections: Section[] = [];
  for (const [name, body] of Object.entries(parsed)) {
    const header = lineOf(lines, (l) => l.trim() === `[${name}]`);
    if (typeof body !== "object" || body === null) {
      throw new UserError(`${file} line ${lineOf(lines, (l) => l.trim().startsWith(name))}: "${name}" stands outside any [section]; put it under one`);
    }
    const values: Section["values"] = {};
    for (let [key, value] of Object.entries(body as Record<string, string>)) {
      key = key.trim();
      if (key.includes("=")) {
        const line = lineOf(lines, (l) => l.trim().startsWith(key), header);
        throw new UserError(`${file} line ${line}: "${key}:${value}" uses "="; write it as key: value`);
      }
      if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
        const line = lineOf(lines, (l) => l.trim().startsWith(key), header);
        throw new UserError(`${file} line ${line}: unknown key "${key}"; expected one of ${KNOWN_KEYS.join(", ")}`);
      }
      values[key as AuthKey] = String(value).trim();
    }
    if (!values["storage-url"]) {
      throw new UserError(`${file} line ${header}: section [${name}] has no storage-url; add "storage-url: URL"`);
    }
    sections.push({ name, line: header, values });
  }
  return sections;
}

/** Every key from the sections whose storage-url prefixes `url`; the longest prefix wins per key. */
export function authinfoFor(sections: Section[], url: string): AuthInfo {
  const matching = sections
    .filter((s) => url.startsWith(s.values["storage-url"]!))
    .sort((a, b) => a.values["storage-url"]!.length - b.values["storage-url"]!.length);
  const merged: Partial<Record<AuthKey, string>> = {};
  for (const s of matching) Object.assign(merged, s.values);
  return {
    backendLogin: merged["backend-login"],
    backendPassword: merged["backend-password"],
    fsPassphrase: merged["fs-passphrase"],
    backendOptions: parseBackendOptions(merged["backend-options"] ?? ""),
  };
}

/**
 * Loads the authinfo for `url` from `file`. A missing default file is fine (nothing known); a missing
 * file the user named, or one readable by group/others, is an error.
 */
export function loadAuthinfo(url: string, file: string | undefined): AuthInfo {
  const path = file ?? DEFAULT_AUTHFILE;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    if (file) throw new UserError(`authinfo file ${file} does not exist; create it (see README) or drop --authfile`);
    return { backendOptions: {} };
  }
  if (mode & 0o077) {
    throw new UserError(`authinfo file ${path} is readable by group or others; run: chmod 600 ${path}`);
  }
  return authinfoFor(parseAuthinfo(readFileSync(path, "utf8"), path), url);
}
