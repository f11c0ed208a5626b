// The detached daemon's side of launchDaemon: receive the secrets, mount, report ready (or why not), then serve.
import { describeError } from "../describe-error.ts";
import type { MountRequest } from "../fs/mount.ts";
import { preloadBackendCode } from "../fs/store/open.ts";
import { markPhase } from "../phase-trace.ts";
import { ForegroundGoneError, receiveSecrets, reportToParent } from "./detach.ts";
import { serveMount, timestampedLog } from "./serve.ts";

export async function serveAsDaemonChild(request: Omit<MountRequest, "log" | "auth" | "passphrase">, logFile: string | undefined): Promise<never> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  let secrets;
  try {
    const received = receiveSecrets(); // listening first: the message may arrive while the SDK loads
    preloadBackendCode(request.url);
    markPhase("backend code loaded");
    secrets = await received;
  } catch (error) {
    // The foreground said why on its terminal (a wrong passphrase, a missing bucket): nothing to add here.
    if (error instanceof ForegroundGoneError) process.exit(1);
    return fail(error, logFile, write);
  }
  markPhase("secrets received");
  try {
    return await serveMount({ ...request, ...secrets, passphrase: null }, {
      logFile,
      write,
      onReady: () => reportToParent({ ready: true }),
      notifyEnv: process.env,
    });
  } catch (error) {
    return fail(error, logFile, write);
  }
}

function fail(error: unknown, logFile: string | undefined, write: (line: string) => void): never {
  const { line, exitCode } = describeError(error);
  timestampedLog({ logFile, write })(`mount failed: ${line}`);
  reportToParent({ error: line, exitCode });
  process.exit(exitCode);
}
