// Opening a filesystem's store and checking a filesystem is there: light on imports, for the CLI's checks before a mount.
import type { AuthInfo } from "../config/authinfo.ts";
import type { Backend } from "./store/backend.ts";
import { keyObjectExists } from "./store/key-object.ts";
import { openBackend } from "./store/open.ts";
import { UserError } from "../user-error.ts";

/** Opens the backend for a URL with the credentials from authinfo. */
export function openStore(url: string, auth: AuthInfo, maxConnections?: number): Backend {
  return openBackend(url, { login: auth.backendLogin, password: auth.backendPassword, options: auth.backendOptions }, { maxConcurrent: maxConnections });
}

/**
 * One listing request, so a missing bucket or rejected credentials are reported as such (a HEAD on a
 * missing bucket answers a bare 404 that looks like "no such object").
 */
export async function probeStore(backend: Backend): Promise<void> {
  for await (const _ of backend.list("")) break;
}

export async function assertFilesystemExists(backend: Backend, url: string): Promise<void> {
  await probeStore(backend);
  if (!(await keyObjectExists(backend))) {
    throw new UserError(`there is no coffer filesystem at ${url}; create one with: coffer mkfs ${url}`);
  }
}
