// Text pieces the dashboard draws: sizes, durations, meters and sparklines, as plain strings.

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(part < whole / 10 ? 1 : 0)}%` : "-";
}

/** A bar `width` cells wide, filled to `fraction` (0..1). */
export function meter(fraction: number, width: number): string {
  const cells = Math.max(1, width);
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * cells);
  return "█".repeat(filled) + "░".repeat(cells - filled);
}

const SPARKS = "▁▂▃▄▅▆▇█";

/** The last `width` values as a sparkline scaled to their maximum (blank when all are zero). */
export function sparkline(values: number[], width: number): string {
  const shown = values.slice(-Math.max(1, width));
  const max = Math.max(0, ...shown);
  const line = shown.map((v) => (max > 0 && v > 0 ? SPARKS[Math.min(SPARKS.length - 1, Math.floor((v / max) * (SPARKS.length - 1)))] : " ")).join("");
  return line.padStart(Math.max(1, width), " ");
}

/**
 * `text` in exactly `count` lines of at most `width` characters; when it is longer, its end is kept (an
 * error message ends with its cause, e.g. "…: ENOSPC: no space left on device") and "…" marks the cut.
 */
export function tailLines(text: string, width: number, count: number): string[] {
  const room = Math.max(1, width) * count;
  const shown = text.length > room ? `…${text.slice(text.length - room + 1)}` : text;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(shown.slice(i * width, (i + 1) * width));
  return lines;
}

/**
 * The last `width` values as a bar chart `rows` lines high, scaled to their maximum; lines top first. Each
 * cell is a full block or one of the eighth blocks, so a bar's height has 8 steps per line.
 */
export function chart(values: number[], width: number, rows: number): string[] {
  const shown = values.slice(-Math.max(1, width));
  const max = Math.max(0, ...shown);
  const eighths = shown.map((v) => (max > 0 && v > 0 ? Math.max(1, Math.round((v / max) * rows * 8)) : 0));
  const lines: string[] = [];
  for (let row = rows - 1; row >= 0; row--) {
    const line = eighths.map((e) => {
      const inRow = Math.min(8, Math.max(0, e - row * 8));
      return inRow === 0 ? " " : SPARKS[inRow - 1]!;
    }).join("");
    lines.push(line.padStart(Math.max(1, width), " "));
  }
  return lines;
}
