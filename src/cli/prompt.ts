// Asks for a secret on the controlling terminal with echo off; refuses clearly when there is no terminal.
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { UserError } from "../user-error.ts";

function openTerminal(): number | null {
  try {
    return openSync("/dev/tty", "r+");
  } catch {
    return null;
  }
}

function setEcho(on: boolean): void {
  // stty acts on its stdin, so hand it the terminal; Bun.spawnSync keeps this synchronous.
  Bun.spawnSync(["stty", on ? "echo" : "-echo"], { stdin: Bun.file("/dev/tty"), stdout: "ignore", stderr: "ignore" });
}

/**
 * Reads one line from the terminal without echo. `missing` names what to put in the authinfo file
 * instead, for the error when no terminal is there (a service, CI, a pipe).
 */
export function askSecret(question: string, missing: string): string {
  const tty = process.env.CI ? null : openTerminal();
  if (tty === null) {
    throw new UserError(`${missing} is needed and there is no terminal to ask on; put it in the authinfo file (--authfile)`);
  }
  try {
    writeSync(tty, question);
    setEcho(false);
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    while (readSync(tty, one, 0, 1, null) === 1 && one[0] !== 10) bytes.push(one[0]!);
    return Buffer.from(bytes).toString("utf8").replace(/\r$/, "");
  } finally {
    setEcho(true);
    writeSync(tty, "\n");
    closeSync(tty);
  }
}

/** Asks twice and insists on the same answer, for a new passphrase. */
export function askNewSecret(question: string, missing: string): string {
  for (;;) {
    const first = askSecret(question, missing);
    const second = askSecret("Again: ", missing);
    if (first === second) return first;
    process.stderr.write("The two entries differ; try again.\n");
  }
}
