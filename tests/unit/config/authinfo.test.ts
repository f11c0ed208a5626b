// Authinfo parsing: S3QL's format, longest-prefix matching, and one-line errors for bad files.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authinfoFor, loadAuthinfo, parseAuthinfo, parseBackendOptions } from "../../../src/config/authinfo.ts";
import { UserError } from "../../../src/user-error.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const SEED_STYLE = `# credentials
[s3]
storage-url: s3c://127.0.0.1:9000/bucket
backend-login: S3RVER
backend-password: pa:ss=word
backend-options: no-ssl,region=us-east-1

[fs]
storage-url: s3c://127.0.0.1:9000/bucket/fs1
fs-passphrase: secret with spaces
`;

function writeAuthfile(text: string, mode = 0o600): string {
  const file = join(mkdtempSync(join(tmpdir(), "coffer-auth-")), "authinfo");
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe("authinfo", () => {
  test("merges every matching section, the longest storage-url winning", () => {
    const info = authinfoFor(parseAuthinfo(SEED_STYLE, "f"), "s3c://127.0.0.1:9000/bucket/fs1");
    expect(info.backendLogin).toBe("S3RVER");
    expect(info.backendPassword).toBe("pa:ss=word");
    expect(info.fsPassphrase).toBe("secret with spaces");
    expect(info.backendOptions).toEqual({ "no-ssl": true, region: "us-east-1" });
  });

  test("a URL that no section prefixes gets nothing", () => {
    const info = authinfoFor(parseAuthinfo(SEED_STYLE, "f"), "local:///tmp/x");
    expect(info.backendLogin).toBeUndefined();
    expect(info.fsPassphrase).toBeUndefined();
  });

  test("key = value (not S3QL's form) is an error saying to write key: value", () => {
    expect(() => parseAuthinfo("[a]\nstorage-url: local:///d\nfs-passphrase = p\n", "F")).toThrow(/F line 3: .*write it as key: value/);
  });

  test("backend options split on commas, bare words are flags", () => {
    expect(parseBackendOptions(" no-ssl , tcp-timeout=20,")).toEqual({ "no-ssl": true, "tcp-timeout": "20" });
  });

  test("an unknown key is an error naming the line", () => {
    expect(() => parseAuthinfo("[a]\nstorage-url: local:///d\nbackend-pasword: x\n", "F")).toThrow(
      /F line 3: unknown key "backend-pasword"/,
    );
  });

  test("a malformed line is an error naming the line", () => {
    expect(() => parseAuthinfo("[a]\nstorage-url: local:///d\nthis is not a setting\n", "F")).toThrow(/F line 3/);
  });

  test("a section without storage-url is an error", () => {
    expect(() => parseAuthinfo("[a]\nfs-passphrase: x\n", "F")).toThrow(/section \[a\] has no storage-url/);
  });

  test("a file readable by others is refused with the chmod to run", () => {
    const file = writeAuthfile(SEED_STYLE, 0o644);
    let error: unknown;
    try {
      loadAuthinfo("s3c://127.0.0.1:9000/bucket", file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`authinfo file ${file} is readable by group or others; run: chmod 600 ${file}`);
  });

  test("a named file that does not exist is an error; the default one may be absent", () => {
    expect(() => loadAuthinfo("local:///x", "/nonexistent/authinfo")).toThrow(/does not exist/);
  });

  test("a private file loads", () => {
    const file = writeAuthfile(SEED_STYLE);
    expect(loadAuthinfo("s3c://127.0.0.1:9000/bucket/fs1/", file).fsPassphrase).toBe("secret with spaces");
  });
});
