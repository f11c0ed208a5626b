// Progress of a long command (umount, flush, mkfs --force): a cli-progress bar on a terminal, a line every few seconds otherwise.
import { SingleBar } from "cli-progress";
import { RateMeter } from "../rate-meter.ts";
import { formatBytes } from "../format-bytes.ts";

/** When stderr is not a terminal (journald, scripts), one plain line this often. */
export const PLAIN_LINE_EVERY_MS = 5000;

export interface ByteProgress {
  /** `done` of `total` bytes; `label` names the current phase, `verb` what happens to them ("stored"). The total may grow. */
  update(label: string, done: number, total: number, verb?: string): void;
  end(): void;
}

export function byteProgress(stream: NodeJS.WriteStream = process.stderr): ByteProgress {
  const tty = !!stream.isTTY;
  const rate = new RateMeter(5000);
  let bar: SingleBar | null = null;
  let lastLine = Date.now(); // a short operation prints nothing; a long one a line every few seconds
  const payload = (label: string, done: number, total: number) => {
    const perSecond = rate.sample(done);
    const left = perSecond > 0 ? Math.max(0, (total - done) / perSecond) : null;
    return {
      label,
      done: formatBytes(done),
      size: formatBytes(total),
      rate: `${formatBytes(Math.round(perSecond))}/s`,
      left: left === null ? "--" : formatSeconds(left),
    };
  };
  return {
    update(label, done, total, verb = "stored") {
      const p = payload(label, done, total);
      if (!tty) {
        if (Date.now() - lastLine < PLAIN_LINE_EVERY_MS) return;
        lastLine = Date.now();
        // with no bytes to move (metadata only, or nothing dirty) sizes and rates would only read "0 B of 0 B"
        stream.write(total > 0 ? `${p.label}: ${p.done} of ${p.size} ${verb}, ${p.rate}, ${p.left} left\n` : `${p.label}…\n`);
        return;
      }
      if (!bar) {
        bar = new SingleBar({
          stream,
          format: "{label} [{bar}] {percentage}% | {done} of {size} | {rate} | {left} left",
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          fps: 5,
        });
        bar.start(Math.max(total, 1), done, p);
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, p);
    },
    end() {
      bar?.stop();
      bar = null;
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A flush's progress reports (bytes stored so far, bytes still dirty) as a byte bar. */
export function flushProgress(stream?: NodeJS.WriteStream): { update(p: { phase: string; dirtyBytes: number; uploadedBytes: number }): void; end(): void } {
  const bar = byteProgress(stream);
  const label = (phase: string) => (phase === "metadata" ? "storing metadata" : phase === "done" ? "done" : "storing dirty blocks");
  return {
    update: (p) => bar.update(label(p.phase), p.uploadedBytes, p.uploadedBytes + p.dirtyBytes),
    end: () => bar.end(),
  };
}
