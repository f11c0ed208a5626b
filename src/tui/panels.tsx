// The dashboard's leaf components: each panel takes plain numbers and strings as props and only draws them.
import React from "react";
import { Box, Text } from "ink";
import { formatBytes, formatRate } from "../format-bytes.ts";
import { chart, formatDuration, meter, percent, sparkline, tailLines } from "./text.ts";

export function Panel(props: { title: string; width: number; children: React.ReactNode; color?: string }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={props.color ?? "gray"} width={props.width} paddingX={1}>
      <Text wrap="truncate-end" bold>{props.title}</Text>
      {props.children}
    </Box>
  );
}

/** Width inside a panel's border and padding. */
export const inner = (width: number): number => Math.max(4, width - 4);

export function CachePanel(p: { width: number; usedBytes: number; capBytes: number; dirtyBytes: number; dirtyBlocks: number; entries: number }) {
  return (
    <Panel title={`Cache (${p.entries} blocks)`} width={p.width}>
      <Text wrap="truncate-end">{meter(p.usedBytes / Math.max(1, p.capBytes), inner(p.width))}</Text>
      <Text wrap="truncate-end">{`used ${formatBytes(p.usedBytes)} of ${formatBytes(p.capBytes)}, ${percent(p.usedBytes, p.capBytes)}`}</Text>
      <Text wrap="truncate-end" color={p.dirtyBytes > 0 ? "yellow" : undefined}>{`dirty ${formatBytes(p.dirtyBytes)}, ${p.dirtyBlocks} blocks (${percent(p.dirtyBytes, p.usedBytes)})`}</Text>
    </Panel>
  );
}

export function UploadPanel(p: { width: number; queuedBlocks: number; queuedBytes: number; inFlight: number; bytesPerSecond: number; history: number[]; secondsToClean: number | null }) {
  const clean = p.secondsToClean === null ? "not uploading yet" : p.secondsToClean === 0 ? "clean" : `clean in ${formatDuration(p.secondsToClean * 1000)}`;
  return (
    <Panel title="Upload queue" width={p.width}>
      <Text wrap="truncate-end" color="cyan">{sparkline(p.history, inner(p.width))}</Text>
      <Text wrap="truncate-end">{`${p.queuedBlocks} blocks, ${formatBytes(p.queuedBytes)}; ${p.inFlight} uploading`}</Text>
      <Text wrap="truncate-end">{`${formatRate(p.bytesPerSecond)}, ${clean}`}</Text>
    </Panel>
  );
}

export function StorePanel(p: {
  width: number; latencyMs: number | null; retries: number; failures: number; downloadsInFlight: number; downloadRate: number;
  lastError: { message: string; agoMs: number } | null;
}) {
  const healthy = p.lastError === null || p.lastError.agoMs > 60_000;
  return (
    <Panel title="Store" width={p.width} color={healthy ? "gray" : "red"}>
      <Text wrap="truncate-end">{`${p.latencyMs === null ? "-" : Math.round(p.latencyMs)} ms latency, ${p.retries} retries, ${p.failures} failed`}</Text>
      <Text wrap="truncate-end">{`downloads: ${p.downloadsInFlight} running, ${formatRate(p.downloadRate)}`}</Text>
      <Text color={healthy ? "green" : "red"} wrap="truncate-end">
        {p.lastError ? `last error ${formatDuration(p.lastError.agoMs)} ago:` : "no errors"}
      </Text>
      {tailLines(p.lastError?.message ?? "", inner(p.width), 2).map((line, i) => (
        <Text key={i} color={healthy ? undefined : "red"} wrap="truncate-end">{line || " "}</Text>
      ))}
    </Panel>
  );
}

export function MetadataPanel(p: { width: number; version: number; shippedAgoMs: number | null; pending: boolean; lagMs: number }) {
  return (
    <Panel title="Metadata" width={p.width}>
      <Text wrap="truncate-end">{`version ${p.version}`}</Text>
      <Text wrap="truncate-end">{`last stored ${p.shippedAgoMs === null ? "not yet this mount" : `${formatDuration(p.shippedAgoMs)} ago`}`}</Text>
      <Text wrap="truncate-end" color={p.pending ? "yellow" : "green"}>{p.pending ? `changes waiting ${formatDuration(p.lagMs)}` : "up to date"}</Text>
    </Panel>
  );
}

export function SpacePanel(p: { width: number; logicalBytes: number; dedupBytes: number; storedBytes: number; storedObjects: number; entries: number }) {
  return (
    <Panel title="Space" width={p.width}>
      <Text wrap="truncate-end">{`logical ${formatBytes(p.logicalBytes)} in ${p.entries} entries`}</Text>
      <Text wrap="truncate-end">{`after dedup ${formatBytes(p.dedupBytes)} (${percent(p.dedupBytes, p.logicalBytes)})`}</Text>
      <Text wrap="truncate-end">{`stored ${formatBytes(p.storedBytes)} (${percent(p.storedBytes, p.dedupBytes)}), ${p.storedObjects} objects`}</Text>
    </Panel>
  );
}

/** On a tall terminal: the upload rate over the last minutes as a chart `rows` lines high, with its peak. */
export function UploadChartPanel(p: { width: number; rows: number; history: number[]; intervalMs: number }) {
  const width = inner(p.width);
  const shown = p.history.slice(-width);
  const peak = Math.max(0, ...shown);
  const span = formatDuration(shown.length * p.intervalMs);
  return (
    <Panel title={`Upload rate, last ${span} (peak ${formatRate(peak)})`} width={p.width} color="cyan">
      {chart(shown, width, p.rows).map((line, i) => <Text key={i} color="cyan">{line}</Text>)}
    </Panel>
  );
}

/** The end of a mount: the final flush's progress, then "safe to power off" (or why it is not). */
export function ShutdownPanel(p: {
  width: number; outcome: "flushing" | "safe" | "lost"; done: number; total: number; secondsLeft: number | null; message: string | null;
}) {
  if (p.outcome === "safe") {
    return (
      <Panel title="Unmounted" width={p.width} color="green">
        <Text wrap="truncate-end" color="green" bold>Everything is stored.</Text>
        <Text wrap="truncate-end" color="green" bold>Safe to power off.</Text>
      </Panel>
    );
  }
  if (p.outcome === "lost") {
    return (
      <Panel title="Daemon gone" width={p.width} color="red">
        <Text wrap="truncate-end" color="red" bold>NOT safe: not everything was stored.</Text>
        <Text wrap="wrap">{p.message ?? ""}</Text>
      </Panel>
    );
  }
  const left = p.secondsLeft === null ? "waiting for the store" : `${formatDuration(p.secondsLeft * 1000)} left`;
  return (
    <Panel title="Final flush: unmounting" width={p.width} color="yellow">
      <Text wrap="truncate-end">{meter(p.total > 0 ? p.done / p.total : 1, inner(p.width))}</Text>
      <Text wrap="truncate-end">{`${formatBytes(p.done)} of ${formatBytes(p.total)} stored`}</Text>
      <Text wrap="truncate-end" color="yellow">{`${left}; do not power off yet`}</Text>
    </Panel>
  );
}

/** One line: mount point, state, uptime and pid first (they matter most), the storage URL last (truncated). */
export function MountHeader(p: { mountpoint: string; url: string; state: string; uptimeMs: number | null; selected: boolean; pid: number | null }) {
  return (
    <Text wrap="truncate-end">
      <Text inverse={p.selected} bold>{` ${p.mountpoint} `}</Text>
      {"  "}
      <Text color={p.state === "running" ? "green" : p.state === "safe" ? "green" : "yellow"} bold>{p.state}</Text>
      <Text dimColor>{p.uptimeMs === null ? "" : `  up ${formatDuration(p.uptimeMs)}${p.pid ? `, pid ${p.pid}` : ""}`}</Text>
      {`  ${p.url}`}
    </Text>
  );
}

export const KEYS: [string, string][] = [
  ["f", "flush"], ["d", "drop cache"], ["m", "metadata"], ["tab", "next mount"], ["?", "help"], ["q", "quit"],
];

export function KeyLine(p: { message: string | null }) {
  return (
    <Box flexDirection="column">
      {p.message ? <Text color="cyan" wrap="truncate-end">{p.message}</Text> : null}
      <Text dimColor wrap="truncate-end">{KEYS.map(([k, what]) => `${k} ${what}`).join(" · ")}</Text>
    </Box>
  );
}

export function HelpPanel(p: { width: number }) {
  return (
    <Panel title="Keys" width={p.width}>
      <Text wrap="truncate-end">f    store every dirty block and the metadata now (coffer flush)</Text>
      <Text wrap="truncate-end">d    flush, then drop every cached block (coffer ctl dropcache)</Text>
      <Text wrap="truncate-end">m    store a metadata snapshot now (coffer ctl upload-meta)</Text>
      <Text wrap="truncate-end">tab  select the next mount when several are shown</Text>
      <Text wrap="truncate-end">q    quit the dashboard (the mounts keep running)</Text>
      <Text wrap="truncate-end" dimColor>Run coffer umount MOUNTPOINT elsewhere: this view follows the final flush to "safe to power off".</Text>
    </Panel>
  );
}
