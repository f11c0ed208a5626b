// The signals that stop the daemon: SIGTERM (systemd, kill) and SIGINT (Ctrl-C in --fg); each starts one clean stop.

export function onStopSignals(stop: (why: string) => void): void {
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
