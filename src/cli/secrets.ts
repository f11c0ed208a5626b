// Gathers a filesystem's secrets: from the authinfo file first, the terminal second, never the command line.
import type { AuthInfo } from "../config/authinfo.ts";
import { askSecret } from "./prompt.ts";

/** s3c:// services have no credential chain: a login and password must come from authinfo or the terminal. */
export function completeBackendCredentials(url: string, auth: AuthInfo): AuthInfo {
  if (!url.startsWith("s3c://")) return auth;
  return {
    ...auth,
    backendLogin: auth.backendLogin ?? askSecret(`Backend login for ${url}: `, "backend-login"),
    backendPassword: auth.backendPassword ?? askSecret(`Backend password for ${url}: `, "backend-password"),
  };
}
