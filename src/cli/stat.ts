// `coffer stat`: what a mounted filesystem holds, how much is stored, deduplicated and cached (the control snapshot).
import { fetchSnapshot } from "../control/client.ts";
import { formatBytes } from "../format-bytes.ts";

export async function statCommand(mountpoint: string, opts: { json?: boolean }): Promise<void> {
  const s = await fetchSnapshot(mountpoint);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const ratio = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : "-");
  const ago = (at: number | null) => (at === null ? "never" : `${Math.round((s.at - at) / 1000)} s ago`);
  const rows: [string, string][] = [
    ["Storage URL", s.url],
    ["State", `${s.state} (daemon pid ${s.pid}, up ${Math.round(s.uptimeMs / 1000)} s)`],
    ["Directory entries", String(s.space.entries)],
    ["Inodes", String(s.space.inodes)],
    ["Logical size", formatBytes(s.space.logicalBytes)],
    ["After dedup", `${formatBytes(s.space.dedupBytes)} (${ratio(s.space.dedupBytes, s.space.logicalBytes)} of logical)`],
    ["Stored (compressed, encrypted)", `${formatBytes(s.space.storedBytes)} in ${s.space.storedObjects} objects (${ratio(s.space.storedBytes, s.space.dedupBytes)} of deduplicated)`],
    ["Locked trees", String(s.space.lockedTrees ?? 0)],
    ["Cache", `${formatBytes(s.cache.usedBytes)} of ${formatBytes(s.cache.capBytes)} in ${s.cache.entries} blocks`],
    ["Dirty (not yet stored)", `${formatBytes(s.cache.dirtyBytes)} in ${s.cache.dirtyBlocks} blocks`],
    ["Uploads", `${s.uploads.inFlight} running, ${formatBytes(Math.round(s.uploads.bytesPerSecond))}/s`],
    ["Downloads", `${s.downloads.inFlight} running, ${formatBytes(Math.round(s.downloads.bytesPerSecond))}/s`],
    ["Store", `${s.store.retries} retries, ${s.store.failures} failures${s.store.latencyMs === null ? "" : `, ${Math.round(s.store.latencyMs)} ms latency`}`],
    ["Last store error", s.store.lastError ? `${s.store.lastError.message} (${ago(s.store.lastError.at)})` : "none"],
    ["Metadata version", `${s.metadata.version}, stored ${ago(s.metadata.lastShippedAt)}${s.metadata.pending ? `, changes pending ${Math.round(s.metadata.lagMs / 1000)} s` : ""}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n");
}
