// The whole dashboard screen for given mount views and terminal size: lays the leaf panels out, nothing more.
import React from "react";
import { Box, Text } from "ink";
import { finalFlushProgress, secondsToClean, type MountView } from "./model.ts";
import {
  CachePanel, HelpPanel, KeyLine, UploadChartPanel, MetadataPanel, MountHeader, ShutdownPanel, SpacePanel, StorePanel, UploadPanel,
} from "./panels.tsx";
import { formatBytes, formatRate } from "../format-bytes.ts";

export interface DashboardProps {
  views: MountView[];
  selected: number;
  width: number;
  /** Terminal rows; a tall terminal gets an upload-rate chart under the panels. */
  height?: number;
  /** How often snapshots arrive (the chart's time axis). */
  intervalMs?: number;
  showHelp: boolean;
  /** The current time (ms since the epoch), for "n s ago". */
  now: number;
}

export function Dashboard(p: DashboardProps) {
  const width = Math.max(40, p.width);
  if (p.views.length === 0) return <Text>No coffer mounts to show.</Text>;
  const selected = p.views[Math.min(p.selected, p.views.length - 1)]!;
  // A key's outcome; a dead or lost mount's reason is already in its detail view, so it is not repeated.
  const message = selected.status === "live" ? selected.message : null;
  return (
    <Box flexDirection="column" width={width}>
      {p.views.length > 1
        ? p.views.map((v, i) => <SummaryLine key={v.mountpoint} view={v} selected={v === selected} width={width} index={i} />)
        : null}
      {p.showHelp ? <HelpPanel width={width} /> : <MountDetail view={selected} width={width} now={p.now} />}
      {!p.showHelp && selected.snapshot && chartRows(p.height ?? 24, p.views.length) > 0
        ? <UploadChartPanel width={width} rows={chartRows(p.height ?? 24, p.views.length)} history={selected.uploadHistory} intervalMs={p.intervalMs ?? 500} />
        : null}
      <KeyLine message={message} />
    </Box>
  );
}

/**
 * Chart lines that fit below the panels: the panels, the header and the key lines take at most 24 rows
 * (the smallest terminal we support), each further mount one summary line; the chart's border and title 3.
 */
export function chartRows(height: number, mounts: number): number {
  const spare = height - 24 - (mounts > 1 ? mounts : 0) - 3;
  return spare >= 4 ? Math.min(16, spare) : 0;
}

function SummaryLine(p: { view: MountView; selected: boolean; width: number; index: number }) {
  const s = p.view.snapshot;
  const text = p.view.status === "safe"
    ? "unmounted, everything stored: safe to power off"
    : s && p.view.status === "live"
      ? `${s.state}: dirty ${formatBytes(s.cache.dirtyBytes)}, up ${formatRate(s.uploads.bytesPerSecond)}`
      : p.view.status;
  return (
    <Text inverse={p.selected} wrap="truncate-end">{`${p.index + 1}. ${p.view.mountpoint}  ${text}`}</Text>
  );
}

function MountDetail(p: { view: MountView; width: number; now: number }) {
  const { view } = p;
  const s = view.snapshot;
  const header = (
    <MountHeader
      mountpoint={view.mountpoint}
      url={s?.url ?? ""}
      state={view.status === "live" ? (s?.state ?? "") : view.status}
      uptimeMs={s && view.status === "live" ? s.uptimeMs : null}
      pid={s?.pid ?? null}
      selected
    />
  );
  if (!s) {
    return (
      <Box flexDirection="column">
        {header}
        <Text wrap="wrap">{view.status === "connecting" ? "connecting to the daemon…" : (view.message ?? "")}</Text>
      </Box>
    );
  }
  const columns = p.width >= 150 ? 3 : p.width >= 70 ? 2 : 1;
  const cell = Math.floor(p.width / columns);
  const flush = finalFlushProgress(view);
  const ending = view.status === "safe" || view.status === "lost" || flush !== null;
  const outcome = view.status === "safe" ? "safe" : view.status === "lost" ? "lost" : "flushing";
  const panels = [
    <CachePanel key="cache" width={cell} usedBytes={s.cache.usedBytes} capBytes={s.cache.capBytes} dirtyBytes={s.cache.dirtyBytes} dirtyBlocks={s.cache.dirtyBlocks} entries={s.cache.entries} />,
    <UploadPanel key="upload" width={cell} queuedBlocks={s.uploads.queuedBlocks} queuedBytes={s.uploads.queuedBytes} inFlight={s.uploads.inFlight} bytesPerSecond={s.uploads.bytesPerSecond} history={view.uploadHistory} secondsToClean={secondsToClean(s)} />,
    <StorePanel key="store" width={cell} latencyMs={s.store.latencyMs} retries={s.store.retries} failures={s.store.failures} downloadsInFlight={s.downloads.inFlight} downloadRate={s.downloads.bytesPerSecond} lastError={s.store.lastError ? { message: s.store.lastError.message, agoMs: Math.max(0, p.now - s.store.lastError.at) } : null} />,
    <MetadataPanel key="meta" width={cell} version={s.metadata.version} shippedAgoMs={s.metadata.lastShippedAt === null ? null : Math.max(0, p.now - s.metadata.lastShippedAt)} pending={s.metadata.pending} lagMs={s.metadata.lagMs} />,
  ];
  const space = <SpacePanel key="space" width={cell} logicalBytes={s.space.logicalBytes} dedupBytes={s.space.dedupBytes} storedBytes={s.space.storedBytes} storedObjects={s.space.storedObjects} entries={s.space.entries} />;
  const shutdown = <ShutdownPanel key="shutdown" width={cell} outcome={outcome} done={flush?.done ?? 0} total={flush?.total ?? 0} secondsLeft={flush?.secondsLeft ?? null} message={view.message} />;
  // At the end of a mount the shutdown panel takes the space panel's place (80x24 has room for five panels only).
  if (ending) panels.push(...(columns === 3 ? [shutdown, space] : [shutdown]));
  else panels.push(space);
  return (
    <Box flexDirection="column">
      {header}
      <Box flexWrap="wrap" width={cell * columns}>
        {panels}
      </Box>
    </Box>
  );
}
