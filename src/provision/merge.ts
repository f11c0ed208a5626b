// Edits of files provision shares with their owner: an authinfo section merged in place, one include line added.
// Everything else in those files — other sections, comments, order — is kept byte for byte.

/**
 * Merges a rendered authinfo section into an existing file. The section is found by its name, else by the
 * same storage-url; its keys are updated in place, keys it lacks are added, keys not in `section` are kept.
 * Other sections are untouched. No existing file: the section alone.
 */
export function mergeAuthinfo(current: string | null, section: string): string {
  const incoming = parseSection(section);
  if (current === null || current.trim() === "") return section.endsWith("\n") ? section : `${section}\n`;
  const lines = current.replace(/\n$/, "").split("\n");
  const headers = lines.flatMap((l, i) => (/^\s*\[(.+)\]\s*$/.test(l) ? [i] : []));
  const bounds = headers.map((start, k) => ({ start, end: headers[k + 1] ?? lines.length, name: lines[start]!.trim().slice(1, -1) }));
  const urlOf = (b: { start: number; end: number }) =>
    lines.slice(b.start + 1, b.end).map(keyValue).find((kv) => kv?.key === "storage-url")?.value;
  const target = bounds.find((b) => b.name === incoming.name) ?? bounds.find((b) => urlOf(b) === incoming.values.get("storage-url"));
  if (!target) return `${lines.join("\n")}\n\n${section.replace(/\n*$/, "\n")}`;
  const body = lines.slice(target.start + 1, target.end);
  const pending = new Map(incoming.values);
  const merged = body.map((line) => {
    const kv = keyValue(line);
    if (!kv || !pending.has(kv.key)) return line;
    const value = pending.get(kv.key)!;
    pending.delete(kv.key);
    return `${kv.key}: ${value}`;
  });
  // New keys go after the section's last key line, before any blank lines that separate it from the next.
  let insertAt = merged.length;
  while (insertAt > 0 && merged[insertAt - 1]!.trim() === "") insertAt--;
  merged.splice(insertAt, 0, ...[...pending].map(([k, v]) => `${k}: ${v}`));
  return `${[...lines.slice(0, target.start + 1), ...merged, ...lines.slice(target.end)].join("\n")}\n`;
}

function keyValue(line: string): { key: string; value: string } | null {
  const m = /^\s*([A-Za-z-]+)\s*:\s?(.*)$/.exec(line);
  return m ? { key: m[1]!, value: m[2]! } : null;
}

function parseSection(text: string): { name: string; values: Map<string, string> } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = /^\[(.+)\]$/.exec(lines[0]?.trim() ?? "");
  if (!header) throw new Error("mergeAuthinfo: the section text must start with [name]");
  const values = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const kv = keyValue(line);
    if (kv) values.set(kv.key, kv.value);
  }
  return { name: header[1]!, values };
}

/**
 * Adds `line` at the end of a config file unless a line equal to it (ignoring surrounding spaces) is there.
 * A missing file becomes just that line. This is the only change provision makes to smb.conf and ganesha.conf.
 */
export function ensureLine(current: string | null, line: string, comment?: string): string {
  if (current === null) return `${comment ? `${comment}\n` : ""}${line}\n`;
  if (current.split("\n").some((l) => l.trim() === line.trim())) return current;
  const base = current === "" || current.endsWith("\n") ? current : `${current}\n`;
  return `${base}${comment ? `${comment}\n` : ""}${line}\n`;
}
