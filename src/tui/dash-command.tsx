// `coffer dash [MOUNTPOINT…]`: the Ink dashboard on a terminal, plain lines otherwise (journald, scripts).
import React from "react";
import { render } from "ink";
import { z } from "zod";
import { cofferMounts } from "../control/discover.ts";
import { canonicalMountpoint } from "../control/paths.ts";
import { UserError } from "../user-error.ts";
import { App } from "./app.tsx";
import { runPlain } from "./plain.ts";

const DashOptions = z.object({
  interval: z.coerce.number().int().min(100, "--interval must be at least 100 ms").max(60_000, "--interval must be at most 60000 ms").default(500),
});

/** Without a terminal, one line per mount this often (and at each change of state). */
const PLAIN_EVERY_MS = 5000;

export async function dashCommand(given: string[], rawOptions: unknown): Promise<void> {
  const parsed = DashOptions.safeParse(rawOptions);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message);
  const mountpoints = given.length ? given.map(canonicalMountpoint) : cofferMounts();
  if (mountpoints.length === 0) throw new UserError("no coffer filesystem is mounted; mount one with coffer mount URL MOUNTPOINT, or name its mount point");
  if (!process.stdout.isTTY) {
    const safe = await runPlain(mountpoints, PLAIN_EVERY_MS, (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
    if (!safe) process.exitCode = 1;
    return;
  }
  const app = render(<App mountpoints={mountpoints} intervalMs={parsed.data.interval} />, {
    interactive: true, exitOnCtrlC: true, maxFps: 4,
  });
  await app.waitUntilExit();
}
