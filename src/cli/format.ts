// Human-readable numbers for command output.

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A one-line progress display on a terminal (nothing when stderr is not one); call end() when done. */
export function progressLine(): { update(p: { phase: string; uploadedBytes: number; dirtyBytes: number }): void; end(): void } {
  const tty = process.stderr.isTTY;
  return {
    update(p) {
      if (tty) process.stderr.write(`\r\x1b[K${p.phase}: ${formatBytes(p.uploadedBytes)} stored, ${formatBytes(p.dirtyBytes)} to go`);
    },
    end() {
      if (tty) process.stderr.write("\r\x1b[K");
    },
  };
}
