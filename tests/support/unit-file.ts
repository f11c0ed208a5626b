// Reads a systemd service unit the way systemd does for what a test runner needs: sections, Exec lines, timeouts.
//
// Covers the syntax our generated units use: comments, line continuations, repeated keys, Exec prefixes
// ("-" ignores failure), quoting ('...' and "..." with backslash escapes), "$$" for "$" and "%%" for "%".

export interface ExecLine {
  argv: string[];
  /** "-" prefix: a non-zero exit is not a failure. */
  ignoreFailure: boolean;
}

export interface UnitFile {
  /** Every key of every section, values in order (a key given twice keeps both). */
  sections: Map<string, Map<string, string[]>>;
  service(key: string): string[];
}

export function parseUnitFile(text: string): UnitFile {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0 || !current) throw new Error(`unit line ${i + 1} is neither [Section] nor Key=Value: ${line}`);
    const key = line.slice(0, eq).trim();
    const values = current.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    current.set(key, values);
  }
  return { sections, service: (key) => sections.get("Service")?.get(key) ?? [] };
}

/** Splits an Exec value into argv as systemd does (quotes, escapes, specifiers), after its prefixes. */
export function parseExecLine(value: string): ExecLine {
  let rest = value;
  let ignoreFailure = false;
  while (/^[-@:+!]/.test(rest)) {
    if (rest[0] === "-") ignoreFailure = true;
    if (rest[0] === "@" || rest[0] === ":") throw new Error(`Exec prefix ${rest[0]} is not supported by the test runner`);
    rest = rest.slice(1);
  }
  const argv: string[] = [];
  let word = "", inWord = false, quote: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote) {
      if (c === "\\" && quote === '"' && i + 1 < rest.length) word += rest[++i];
      else if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < rest.length) {
      word += rest[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in Exec line: ${value}`);
  if (inWord) argv.push(word);
  return { argv: argv.map(expandSpecifiers), ignoreFailure };
}

function expandSpecifiers(arg: string): string {
  return arg.replace(/\$\$|%%|%./g, (m) => {
    if (m === "$$") return "$";
    if (m === "%%") return "%";
    throw new Error(`specifier ${m} is not supported by the test runner (in ${arg})`);
  });
}

/** A systemd time span ("5min", "90s", "1h 30s", "infinity", bare seconds) in ms. */
export function parseTimeSpanMs(value: string): number {
  if (value === "infinity") return Number.POSITIVE_INFINITY;
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };
  let total = 0;
  for (const part of value.trim().split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    if (!m || (m[2] && !(m[2] in units))) throw new Error(`cannot read time span ${value}`);
    total += Number(m[1]) * (m[2] ? units[m[2]]! : 1000);
  }
  return total;
}
