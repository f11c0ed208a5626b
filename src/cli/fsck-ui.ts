// How `coffer fsck` talks to a person: a progress bar and questions on a terminal, plain lines otherwise.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import cliProgress from "cli-progress";
import type { FsckUi, Problem } from "../fs/fsck/problem.ts";

function describe(p: Problem): string {
  const shown = p.examples.map((e) => `    ${e}`).join("\n");
  const more = p.count > p.examples.length ? `\n    … and ${p.count - p.examples.length} more` : "";
  return `found: ${p.title} (${p.count})\n${shown}${more}`;
}

/** Never asks: every repair is applied and said in one line (systemd ExecStartPre, scripts, logs). */
export function batchUi(write: (line: string) => void): FsckUi & { end(): void } {
  return {
    phase: (name) => write(`fsck: ${name}`),
    tick() {},
    confirm: async (p) => {
      write(`${describe(p)}\n  repairing: ${p.explain}`);
      return true;
    },
    log: write,
    end() {},
  };
}

/** Reads one line from the terminal (echo on). */
function askLine(question: string): string {
  const tty = openSync("/dev/tty", "r+");
  try {
    writeSync(tty, question);
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    while (readSync(tty, one, 0, 1, null) === 1 && one[0] !== 10) bytes.push(one[0]!);
    return Buffer.from(bytes).toString("utf8").trim();
  } finally {
    closeSync(tty);
  }
}

/** A progress bar per phase on stderr; explains each problem and asks before repairing it. */
export function terminalUi(): FsckUi & { end(): void } {
  let bar: cliProgress.SingleBar | null = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    phase(name, total) {
      stopBar();
      bar = new cliProgress.SingleBar(
        { format: total > 0 ? `${name} [{bar}] {value}/{total}` : `${name} … {value}`, stream: process.stderr, clearOnComplete: false, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    tick(done) {
      bar?.update(done);
    },
    async confirm(p) {
      stopBar();
      process.stderr.write(`${describe(p)}\n  repair: ${p.explain}\n`);
      for (;;) {
        const a = askLine("  Repair? [y/n] ").toLowerCase();
        if (a === "y" || a === "yes") return true;
        if (a === "n" || a === "no") return false;
      }
    },
    log(line) {
      stopBar();
      process.stderr.write(`${line}\n`);
    },
    end: stopBar,
  };
}
