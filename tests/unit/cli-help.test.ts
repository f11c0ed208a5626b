// The CLI's help reads like a man page (description, options, an example for every command) and --version names Bun.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.ts";
import { coffer } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

function everyCommand(cmd: Command, path: string[] = []): Array<[string, Command]> {
  return cmd.commands.flatMap((c) => [[[...path, c.name()].join(" "), c] as [string, Command], ...everyCommand(c, [...path, c.name()])]);
}

describe("coffer help", () => {
  const commands = everyCommand(buildProgram());

  test("every subcommand has a description of several sentences, its options, and an example", () => {
    expect(commands.map(([name]) => name)).toEqual(expect.arrayContaining(["passphrase", "rotate-key", "backups list", "backups restore", "clear", "mount"]));
    const missing: string[] = [];
    for (const [name, cmd] of commands) {
      const text = helpOf(cmd);
      if (!/Examples?:\n\s+coffer /.test(text)) missing.push(`${name}: no example`);
      if (cmd.description().length < 60) missing.push(`${name}: a one-line description only`);
      if (!text.includes("Usage: coffer ")) missing.push(`${name}: no usage line`);
    }
    expect(missing).toEqual([]);
  });

  test("options that take a value say their default (or that they are asked for, or off when absent)", () => {
    // Absent means off (no Samba share, no NFS export) or the mount's own default cache size: nothing to state here.
    const offWhenAbsent = new Set(["provision --samba <name>", "provision --nfs <clients>", "provision --cachesize <size>"]);
    const undocumented: string[] = [];
    for (const [name, cmd] of commands) {
      for (const o of cmd.options) {
        const takesValue = o.required || o.optional;
        const says = /default|asked for|instead of/.test(o.description);
        if (takesValue && !says && !offWhenAbsent.has(`${name} ${o.flags}`)) undocumented.push(`${name} ${o.flags}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  test("the program's help has an overview: URLs, credentials, exit status, examples", () => {
    const text = helpOf(buildProgram());
    for (const part of ["Storage URLs:", "s3c://", "authinfo", "Exit status:", "Examples:", "coffer help COMMAND"]) expect(text).toContain(part);
  });

  test("--version prints Coffer's and Bun's versions", async () => {
    const r = await coffer(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`coffer ${(await Bun.file(`${import.meta.dir}/../../package.json`).json()).version} (bun ${Bun.version}, linux ${process.arch})`);
  }, 30_000);
});
