// `coffer stat`: what a mounted filesystem holds and how much of it is stored, deduplicated and cached.
import { controlRequest } from "../control/client.ts";
import { formatBytes } from "./format.ts";

interface Stats {
  url: string;
  mountpoint: string;
  entries: number;
  inodes: number;
  logicalBytes: number;
  dedupBytes: number;
  storedBytes: number;
  storedObjects: number;
  cacheBytes: number;
  dirtyBytes: number;
  metadataSeq: number;
}

export async function statCommand(mountpoint: string, opts: { json?: boolean }): Promise<void> {
  const s = (await controlRequest(mountpoint, { op: "stat" })) as Stats;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const ratio = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : "-");
  const rows: [string, string][] = [
    ["Storage URL", s.url],
    ["Directory entries", String(s.entries)],
    ["Inodes", String(s.inodes)],
    ["Logical size", formatBytes(s.logicalBytes)],
    ["After dedup", `${formatBytes(s.dedupBytes)} (${ratio(s.dedupBytes, s.logicalBytes)} of logical)`],
    ["Stored (compressed, encrypted)", `${formatBytes(s.storedBytes)} in ${s.storedObjects} objects (${ratio(s.storedBytes, s.dedupBytes)} of deduplicated)`],
    ["Cache", formatBytes(s.cacheBytes)],
    ["Dirty (not yet stored)", formatBytes(s.dirtyBytes)],
    ["Metadata version", String(s.metadataSeq)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n");
}
