// Runs a generated systemd service unit without systemd: ExecStartPre, ExecStart with our own NOTIFY_SOCKET,
// ExecStartPost, and a stop as systemd does it (ExecStop, then SIGTERM to the main process if it still runs,
// SIGKILL once the stop timeout, extended by EXTEND_TIMEOUT_USEC=, runs out).
//
// The notify socket is a real Unix datagram socket (tests/support/notify-receiver.ts) that also reads each
// sender's PID, as systemd does to apply NotifyAccess=main. `coffer` in Exec lines (a bare name or an
// installed path ending in /coffer) runs this repository's bin/coffer.
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { startNotifyReceiver, type NotifyReceiver } from "./notify-receiver.ts";
import { parseExecLine, parseTimeSpanMs, parseUnitFile, type ExecLine, type UnitFile } from "./unit-file.ts";

const REPO_COFFER = resolve(import.meta.dir, "../../bin/coffer");

export interface NotifyMessage {
  /** ms since the runner started */
  at: number;
  pid: number | null;
  /** "KEY=VALUE" assignments of one datagram. */
  fields: Map<string, string>;
}

export class UnitRunner {
  readonly unit: UnitFile;
  readonly messages: NotifyMessage[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "coffer-unit-"));
  readonly notifySocket = join(this.dir, "notify");
  private receiver: NotifyReceiver | null = null;
  private main: Subprocess<"ignore", "pipe", "pipe"> | null = null;
  private output = "";
  private readonly t0 = Date.now();
  private waiters: Array<() => void> = [];
  /** When a stop began; EXTEND_TIMEOUT_USEC= moves `stopDeadline` out from the moment it arrives. */
  private stopDeadline = Number.POSITIVE_INFINITY;

  constructor(
    unitPath: string,
    private readonly env: Record<string, string | undefined> = process.env,
    /** Set WATCHDOG_USEC for the main process, as WatchdogSec= would (WATCHDOG_PID unset: it is meant for it). */
    private readonly watchdogUsec?: number,
  ) {
    this.unit = parseUnitFile(readFileSync(unitPath, "utf8"));
    const type = this.unit.service("Type").at(-1);
    if (type !== "notify") throw new Error(`the unit runner drives Type=notify units; this one is Type=${type}`);
  }

  get mainPid(): number | undefined {
    return this.main?.pid;
  }

  /** The main process's stdout and stderr so far (what the journal would hold). */
  journal(): string {
    return this.output;
  }

  /** The command line an Exec line runs here: an installed `coffer` becomes this checkout's bin/coffer. */
  commandFor(exec: ExecLine): string[] {
    const [first, ...rest] = exec.argv;
    if (first === "coffer" || basename(first ?? "") === "coffer") return [process.execPath, REPO_COFFER, ...rest];
    return exec.argv;
  }

  private async runToEnd(key: string): Promise<void> {
    for (const value of this.unit.service(key)) {
      const exec = parseExecLine(value);
      const proc = Bun.spawn(this.commandFor(exec), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: this.env });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      this.output += out + err;
      if (code !== 0 && !exec.ignoreFailure) throw new Error(`${key} ${exec.argv.join(" ")} failed with code ${code}: ${(out + err).trim()}`);
    }
  }

  private onMessage(pid: number | null, text: string): void {
    const fields = new Map<string, string>();
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    // NotifyAccess=main: systemd ignores what other processes send.
    if (pid !== null && pid !== this.main?.pid) return;
    this.messages.push({ at: Date.now() - this.t0, pid, fields });
    const extend = fields.get("EXTEND_TIMEOUT_USEC");
    if (extend && Number.isFinite(this.stopDeadline)) this.stopDeadline = Math.max(this.stopDeadline, Date.now() + Number(extend) / 1000);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first message (from now or earlier, at index >= `from`) that has `key`. */
  async waitFor(key: string, timeoutMs: number, from = 0): Promise<NotifyMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find((m) => m.fields.has(key));
      if (found) return found;
      if (this.main && this.main.exitCode !== null) throw new Error(`the main process exited (${this.main.exitCode}) before sending ${key}; journal:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${key} within ${timeoutMs} ms; journal:\n${this.output}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** ExecStartPre, ExecStart (waits for READY=1 within TimeoutStartSec), ExecStartPost. */
  async start(): Promise<NotifyMessage> {
    this.receiver = await startNotifyReceiver(this.notifySocket, (pid, text) => this.onMessage(pid, text));
    await this.runToEnd("ExecStartPre");
    const execStart = this.unit.service("ExecStart");
    if (execStart.length !== 1) throw new Error(`a Type=notify unit has exactly one ExecStart, this one has ${execStart.length}`);
    const env: Record<string, string | undefined> = { ...this.env, NOTIFY_SOCKET: this.notifySocket, WATCHDOG_PID: undefined };
    env.WATCHDOG_USEC = this.watchdogUsec ? String(this.watchdogUsec) : undefined;
    const main = Bun.spawn(this.commandFor(parseExecLine(execStart[0]!)), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
    this.main = main;
    for (const stream of [main.stdout, main.stderr]) {
      void (async () => {
        for await (const chunk of stream) this.output += new TextDecoder().decode(chunk);
      })();
    }
    const timeout = parseTimeSpanMs(this.unit.service("TimeoutStartSec").at(-1) ?? "90s");
    const ready = await this.waitFor("READY", timeout);
    await this.runToEnd("ExecStartPost");
    return ready;
  }

  /**
   * Stops as systemd does: ExecStop, then SIGTERM to the main process if it still runs, and SIGKILL when
   * TimeoutStopSec (moved out by each EXTEND_TIMEOUT_USEC=) passes. Resolves with the main process's exit.
   */
  async stop(): Promise<{ exitCode: number | null; signalCode: NodeJS.Signals | number | null; killed: boolean }> {
    if (!this.main) throw new Error("not started");
    this.stopDeadline = Date.now() + parseTimeSpanMs(this.unit.service("TimeoutStopSec").at(-1) ?? "90s");
    let killed = false;
    const guard = setInterval(() => {
      if (Date.now() > this.stopDeadline && this.main?.exitCode === null) {
        killed = true;
        this.main.kill("SIGKILL");
      }
    }, 100);
    try {
      await this.runToEnd("ExecStop");
      if (this.main.exitCode === null) this.main.kill("SIGTERM");
      await this.main.exited;
    } finally {
      clearInterval(guard);
    }
    return { exitCode: this.main.exitCode, signalCode: this.main.signalCode, killed };
  }

  /** Kills whatever still runs (main process, receiver) and removes the runner's directory. */
  async cleanup(): Promise<void> {
    if (this.main && this.main.exitCode === null && this.main.signalCode === null) {
      this.main.kill("SIGKILL");
      await this.main.exited;
    }
    await this.receiver?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
