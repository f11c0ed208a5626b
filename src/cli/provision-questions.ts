// The interactive side of `coffer provision`: plain questions on the terminal (secrets go through prompt.ts).
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { UserError } from "../user-error.ts";

/** Asks one question with echo on; an empty answer takes `fallback`. No terminal: one line saying which flag to use. */
export function askWithDefault(question: string, flag: string, fallback = ""): string {
  let tty: number;
  try {
    if (process.env.CI) throw new Error("CI");
    tty = openSync("/dev/tty", "r+");
  } catch {
    throw new UserError(`no terminal to ask "${question.trim()}" on; give ${flag} (or run coffer provision in a terminal)`);
  }
  try {
    writeSync(tty, fallback ? `${question} [${fallback}] ` : `${question} `);
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    while (readSync(tty, one, 0, 1, null) === 1 && one[0] !== 10) bytes.push(one[0]!);
    const answer = Buffer.from(bytes).toString("utf8").trim();
    return answer || fallback;
  } finally {
    closeSync(tty);
  }
}

export function askYesNo(question: string, flag: string): boolean {
  return /^y(es)?$/i.test(askWithDefault(`${question} (y/N)`, flag, "n"));
}

/** The share kind and its details, asked in one go. */
export function askShares(mountpoint: string): { samba?: string; nfs?: string } {
  const kind = askWithDefault("Share it over samba, nfs, both or none?", "--samba NAME / --nfs CLIENTS", "samba").toLowerCase();
  const answer: { samba?: string; nfs?: string } = {};
  if (kind === "samba" || kind === "both") {
    const fallback = mountpoint.split("/").filter(Boolean).pop() ?? "coffer";
    answer.samba = askWithDefault("Samba share name?", "--samba NAME", fallback);
  }
  if (kind === "nfs" || kind === "both") answer.nfs = askWithDefault("NFS clients (comma-separated hosts or networks)?", "--nfs CLIENTS", "192.168.0.0/16");
  if (!["samba", "nfs", "both", "none"].includes(kind)) throw new UserError(`"${kind}" is not samba, nfs, both or none; run again`);
  return answer;
}
