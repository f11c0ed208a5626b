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
export function askSecret(question: string, missing: string, instead = "put it in the authinfo file (--authfile)"): string {
  const tty = process.env.CI ? null : openTerminal();
  if (tty === null) {
    throw new UserError(`${missing} is needed and there is no terminal to ask on; ${instead}`);
  }
  try {
    writeSync(tty, question);
    setEcho(false);
    return readLine(tty);
  } finally {
    setEcho(true);
    writeSync(tty, "\n");
    closeSync(tty);
  }
}

function readLine(tty: number): string {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  while (readSync(tty, one, 0, 1, null) === 1 && one[0] !== 10) bytes.push(one[0]!);
  return Buffer.from(bytes).toString("utf8").replace(/\r$/, "");
}

/**
 * Reads one line from the terminal with echo on, for a confirmation. `instead` says how to confirm
 * without a terminal (e.g. "add --yes"), for the error when there is none.
 */
export function askLine(question: string, instead: string): string {
  const tty = process.env.CI ? null : openTerminal();
  if (tty === null) throw new UserError(`this needs a confirmation and there is no terminal to ask on; ${instead}`);
  try {
    writeSync(tty, question);
    return readLine(tty);
  } finally {
    closeSync(tty);
  }
}

/** Asks twice and insists on the same answer, for a new passphrase. */
export function askNewSecret(question: string, missing: string, instead?: string): string {
  for (;;) {
    const first = askSecret(question, missing, instead);
    const second = askSecret("Again: ", missing, instead);
    if (first === second) return first;
    process.stderr.write("The two entries differ; try again.\n");
  }
}
