// The detached daemon's side of startDaemon: receive the secrets, mount, report ready (or why not), then serve.
import { describeError } from "../describe-error.ts";
import type { MountRequest } from "../fs/mount.ts";
import { receiveSecrets, reportToParent } from "./detach.ts";
import { serveMount, timestampedLog } from "./serve.ts";

export async function serveAsDaemonChild(request: Omit<MountRequest, "log" | "auth" | "passphrase">, logFile: string | undefined): Promise<never> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const secrets = await receiveSecrets();
    return await serveMount({ ...request, ...secrets }, {
      logFile,
      write,
      onReady: () => reportToParent({ ready: true }),
      notifyEnv: process.env,
    });
  } catch (error) {
    const { line, exitCode } = describeError(error);
    timestampedLog({ logFile, write })(`mount failed: ${line}`);
    reportToParent({ error: line, exitCode });
    process.exit(exitCode);
  }
}
