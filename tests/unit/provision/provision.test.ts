// Provision's pure parts: config validation, names, authinfo merge, include lines, the exports parser, and the
// validators run with the real tools (systemd-analyze verify, testparm -s) on the rendered files.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { resolve } from "node:path";
import {
  checkExports, checkGaneshaBlock, computeChanges, ensureLine, mergeAuthinfo, parseProvisionConfig, planFiles,
  renderExports, renderGaneshaExport, renderSambaShare, renderUnit, systemdEscapePath, testparmShare, unitNameFor,
  validateChanges, verifyUnit,
} from "../../../src/provision/index.ts";
import { FULL, MINIMAL } from "../../golden/fixtures.ts";

// They run real tools and CLI processes on a loaded machine: generous, far above their usual 0.1–5 s.
setDefaultTimeout(30_000);

const COFFER_BIN = resolve(import.meta.dir, "../../../bin/coffer");

describe("config", () => {
  test("fills defaults: coffer path, authfile, cache dir from the mount point", () => {
    const cfg = parseProvisionConfig(MINIMAL);
    expect(cfg.coffer).toBe("/usr/local/bin/coffer");
    expect(cfg.authfile).toBe("/etc/coffer/authinfo");
    expect(cfg.cacheDir).toBe("/var/cache/coffer/mnt-coffer-demo");
  });

  test.each([
    [{ mountpoint: "relative/dir" }, "mountpoint: the mount point must be an absolute path"],
    [{ mountpoint: "/mnt/with space" }, "mountpoint: the mount point may hold only"],
    [{ mountpoint: "/" }, "mountpoint: the mount point cannot be /"],
    [{ storageUrl: "ftp://x" }, "storageUrl: the storage URL starts with"],
    [{ samba: { share: "global" } }, "samba.share: that share name is reserved"],
    [{ nfs: { clients: [] } }, "nfs.clients: --nfs needs at least one client"],
    [{ fsid: "nope" }, "fsid: fsid must be a UUID"],
    [{ credentials: { fsPassphrase: "two\nlines" } }, "credentials: credentials are single lines"],
  ])("rejects %j with one line naming the field", (patch, message) => {
    expect(() => parseProvisionConfig({ ...MINIMAL, ...patch })).toThrow(message);
  });
});

describe("names", () => {
  test.each(["/mnt/coffer-demo", "/srv/a.b/c_d", "/mnt/.hidden", "/mnt/x:y", "/mnt/ü", "/a//b/"])("systemdEscapePath(%s) matches systemd-escape --path", (path) => {
    const real = Bun.spawnSync(["systemd-escape", "--path", path]).stdout.toString().trim();
    expect(systemdEscapePath(path)).toBe(real);
  });

  test("the unit is named after the mount point", () => {
    expect(unitNameFor("/mnt/coffer-demo")).toBe("coffer-mnt-coffer\\x2ddemo.service");
  });
});

describe("mergeAuthinfo", () => {
  const ours = "[coffer-mnt-x]\nstorage-url: local:///s\nfs-passphrase: new\n";

  test("no file: the section alone", () => {
    expect(mergeAuthinfo(null, ours)).toBe(ours);
  });

  test("other sections and comments are kept; ours is appended", () => {
    const current = "# mine\n[other]\nstorage-url: s3://b\nbackend-login: me\n";
    expect(mergeAuthinfo(current, ours)).toBe(`${current}\n${ours}`);
  });

  test("our section is updated in place: given keys replaced, others kept, new keys added", () => {
    const current = "[a]\nstorage-url: s3://a\n\n[coffer-mnt-x]\nstorage-url: local:///s\nfs-passphrase: old\nbackend-options: no-ssl\n\n[b]\nstorage-url: s3://b\n";
    const merged = mergeAuthinfo(current, "[coffer-mnt-x]\nstorage-url: local:///s\nfs-passphrase: new\nbackend-login: L\n");
    expect(merged).toBe("[a]\nstorage-url: s3://a\n\n[coffer-mnt-x]\nstorage-url: local:///s\nfs-passphrase: new\nbackend-options: no-ssl\nbackend-login: L\n\n[b]\nstorage-url: s3://b\n");
  });

  test("a section with the same storage-url under another name is the one updated", () => {
    const current = "[demo]\nstorage-url: local:///s\nfs-passphrase: kept-if-not-given\n";
    expect(mergeAuthinfo(current, "[coffer-mnt-x]\nstorage-url: local:///s\n")).toBe(current);
  });

  test("merging twice changes nothing the second time", () => {
    const once = mergeAuthinfo("[a]\nstorage-url: s3://a\n", ours);
    expect(mergeAuthinfo(once, ours)).toBe(once);
  });
});

describe("ensureLine", () => {
  test("adds the line once, keeps the rest byte for byte", () => {
    const conf = "[global]\n   workgroup = X";
    const once = ensureLine(conf, "include = /etc/samba/c.conf", "# c");
    expect(once).toBe("[global]\n   workgroup = X\n# c\ninclude = /etc/samba/c.conf\n");
    expect(ensureLine(once, "include = /etc/samba/c.conf", "# c")).toBe(once);
  });
});

describe("exports and ganesha parse checks", () => {
  test("the rendered exports line passes; broken ones are named", () => {
    expect(checkExports(renderExports(parseProvisionConfig(FULL)))).toEqual([]);
    expect(checkExports("/mnt/x 10.0.0.1(rw)")).toEqual(["10.0.0.1: no fsid= (a FUSE filesystem cannot be exported without one)"]);
    expect(checkExports("/mnt/x 10.0.0.1(rw,fsid=1,frobnicate)")).toEqual(['10.0.0.1: unknown export option "frobnicate"']);
    expect(checkExports("/mnt/x 10.0.0.1 (rw,fsid=1)")).toContain('"10.0.0.1" is not client(options)');
  });

  test("the fsid is the filesystem's id, the same for every client", () => {
    const line = renderExports(parseProvisionConfig(FULL));
    expect(line.match(/fsid=0b7e2d0e-5a3c-4c1e-9f5e-2d7c1a9b8e10/g)).toHaveLength(2);
  });

  test("the ganesha block passes; a block without FSAL does not", () => {
    const block = renderGaneshaExport(parseProvisionConfig(FULL));
    expect(checkGaneshaBlock(block)).toEqual([]);
    expect(checkGaneshaBlock(block.replace(/FSAL \{[^}]*\}/, ""))).toEqual(["no FSAL { Name = VFS; }"]);
  });
});

describe("validation with the real tools", () => {
  const cfg = parseProvisionConfig({ ...FULL, coffer: COFFER_BIN });

  test("systemd-analyze verify accepts the generated unit (ExecStart at the real coffer binary)", () => {
    expect(verifyUnit(`/etc/systemd/system/${unitNameFor(cfg.mountpoint)}`, renderUnit(cfg))).toEqual([]);
  });

  test("systemd-analyze verify catches a unit whose coffer program does not exist, and an unknown key", () => {
    const missing = parseProvisionConfig({ ...FULL, coffer: "/nonexistent/coffer" });
    expect(verifyUnit("/etc/systemd/system/x.service", renderUnit(missing))[0]?.problem).toContain("/nonexistent/coffer");
    const unknown = renderUnit(cfg).replace("KillMode=mixed", "KillMode=mixed\nFlushHarder=yes");
    expect(verifyUnit("/etc/systemd/system/x.service", unknown)[0]?.problem).toContain("FlushHarder");
  });

  test("testparm -s accepts the generated share and names a bad parameter", () => {
    expect(testparmShare("/etc/samba/coffer-x.conf", renderSambaShare(cfg), null)).toEqual([]);
    const bad = renderSambaShare(cfg).replace("read only = no", "read only = no\n   flush harder = yes");
    expect(testparmShare("/etc/samba/coffer-x.conf", bad, null)[0]?.problem).toContain("flush harder");
  });

  test("the whole plan validates (unit with its drop-in, smb.conf with only the include line, exports, ganesha)", () => {
    const changes = computeChanges(planFiles(cfg), "/nonexistent-root");
    expect(validateChanges(changes)).toEqual([]);
  });

  test("the smbd drop-in is verified with the installed smbd.service: a bad key in it is caught", () => {
    const changes = computeChanges(planFiles(cfg), "/nonexistent-root");
    const dropIn = changes.find((c) => c.file.path.startsWith("/etc/systemd/system/smbd.service.d/"))!;
    dropIn.next = dropIn.next.replace(/^BindsTo=/m, "BindsToo="); // ("BindTo=" would pass: an old alias)
    const problems = validateChanges(changes);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.problem).toContain("Unknown key 'BindsToo'");
  });
});
