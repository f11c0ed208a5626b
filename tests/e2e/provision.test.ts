// `coffer provision` end to end, under --root: dry run, every file written and valid, idempotence, merges with
// backups, and bad input (one line, exit != 0, nothing written).
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { mountSlug, testparmShare, unitNameFor, verifyUnit } from "../../src/provision/index.ts";
import { coffer } from "../support/coffer-cli.ts";
import { startS3rver, type S3rverHandle } from "../support/s3rver.ts";

// They run real tools and CLI processes on a loaded machine: generous, far above their usual 0.1–5 s.
setDefaultTimeout(60_000);

const COFFER_BIN = resolve(import.meta.dir, "../../bin/coffer");
const scratch = mkdtempSync(join(tmpdir(), "coffer-provision-"));
let s3: S3rverHandle;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
/** A fresh root, store and mount point for one test. */
function setup() {
  const dir = join(scratch, `t${n++}`);
  const root = join(dir, "root");
  const store = join(dir, "store");
  mkdirSync(root, { recursive: true });
  mkdirSync(store);
  return { root, url: `local://${store}`, store, mountpoint: join(dir, "mnt") };
}

function provision(s: { root: string; url: string; mountpoint: string }, extra: string[]) {
  return coffer(["provision", "--storage-url", s.url, "--mountpoint", s.mountpoint, "--root", s.root, "--coffer", COFFER_BIN, "--owner", "nobody:nogroup", ...extra]);
}

/** Every file under a directory with its contents and mode, to prove a failed run wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${(statSync(p).mode & 0o7777).toString(8)} ${readFileSync(p, "utf8")}`;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe("coffer provision", () => {
  test("--dry-run prints the files as diffs and the commands, and writes nothing (not even mkfs)", async () => {
    const s = setup();
    const r = await provision(s, ["--samba", "dry", "--nfs", "127.0.0.1", "--yes", "--dry-run"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`+++ /etc/systemd/system/${unitNameFor(s.mountpoint)}`);
    expect(r.stdout).toContain("+Type=notify");
    expect(r.stdout).toContain("+include = /etc/samba/coffer-");
    expect(r.stdout).toContain("+fs-passphrase: <hidden>");
    expect(r.stdout).toContain(`coffer mkfs ${s.url}`);
    expect(snapshot(s.root)).toEqual({});
    expect(readdirSync(s.store)).toEqual([]);
  });

  test("--root writes every file, valid for systemd-analyze verify and testparm -s; a second run changes nothing", async () => {
    const s = setup();
    const first = await provision(s, ["--samba", "office", "--nfs", "127.0.0.1,10.0.0.0/8", "--yes"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Share users act as nobody:nogroup");
    const unit = `/etc/systemd/system/${unitNameFor(s.mountpoint)}`;
    const slug = mountSlug(s.mountpoint);
    const files = snapshot(s.root);
    expect(Object.keys(files).sort()).toEqual(
      [
        "etc/coffer/authinfo", `etc/samba/coffer-${slug}.conf`, "etc/samba/smb.conf", `etc/exports.d/coffer-${slug}.exports`,
        `etc/ganesha/coffer-${slug}.conf`, "etc/ganesha/ganesha.conf", `etc/systemd/system/smbd.service.d/coffer-${slug}.conf`,
        `etc/systemd/system/nfs-ganesha.service.d/coffer-${slug}.conf`, `${unit.slice(1)}.d/coffer-servers.conf`, unit.slice(1),
      ].sort(),
    );
    expect(files["etc/coffer/authinfo"]!.startsWith("600 ")).toBe(true);
    expect(readdirSync(s.store).length).toBeGreaterThan(0); // mkfs ran
    const unitText = readFileSync(join(s.root, unit), "utf8");
    expect(unitText).toContain(`ExecStart=${COFFER_BIN} mount --fg --authfile /etc/coffer/authinfo --allow-other`);
    expect(verifyUnit(unit, unitText)).toEqual([]);
    const share = `/etc/samba/coffer-${slug}.conf`;
    expect(testparmShare(share, readFileSync(join(s.root, share), "utf8"), readFileSync(join(s.root, "etc/samba/smb.conf"), "utf8"))).toEqual([]);
    const fsid = /fsid=([0-9a-f-]{36})/.exec(files[`etc/exports.d/coffer-${slug}.exports`]!)?.[1];
    expect(fsid).not.toBe("00000000-0000-8000-8000-000000000000");

    const mtimes = Object.keys(files).map((f) => statSync(join(s.root, f)).mtimeMs);
    const second = await provision(s, ["--samba", "office", "--nfs", "127.0.0.1,10.0.0.0/8", "--yes"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Nothing changed");
    expect(snapshot(s.root)).toEqual(files);
    expect(Object.keys(files).map((f) => statSync(join(s.root, f)).mtimeMs)).toEqual(mtimes);
  });

  test("an existing smb.conf and authinfo are merged, never rewritten, and backed up", async () => {
    const s = setup();
    const smbConf = "[global]\n   workgroup = HOME\n\n[music]\n   path = /srv/music\n";
    const authinfo = "# my buckets\n[other]\nstorage-url: s3://elsewhere\nbackend-login: me\n";
    mkdirSync(join(s.root, "etc/samba"), { recursive: true });
    mkdirSync(join(s.root, "etc/coffer"), { recursive: true });
    writeFileSync(join(s.root, "etc/samba/smb.conf"), smbConf);
    writeFileSync(join(s.root, "etc/coffer/authinfo"), authinfo, { mode: 0o600 });
    const r = await provision(s, ["--samba", "office", "--yes"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const newConf = readFileSync(join(s.root, "etc/samba/smb.conf"), "utf8");
    expect(newConf.startsWith(smbConf)).toBe(true);
    expect(newConf.slice(smbConf.length).split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([`include = /etc/samba/coffer-${mountSlug(s.mountpoint)}.conf`]);
    const newAuth = readFileSync(join(s.root, "etc/coffer/authinfo"), "utf8");
    expect(newAuth.startsWith(authinfo)).toBe(true);
    expect(newAuth).toContain(`[coffer-${mountSlug(s.mountpoint)}]\nstorage-url: ${s.url}\nfs-passphrase: `);
    const backups = readdirSync(join(s.root, "etc/samba")).filter((f) => f.startsWith("smb.conf.coffer-backup-"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(s.root, "etc/samba", backups[0]!), "utf8")).toBe(smbConf);
    const authBackup = readdirSync(join(s.root, "etc/coffer")).find((f) => f.startsWith("authinfo.coffer-backup-"))!;
    expect(statSync(join(s.root, "etc/coffer", authBackup)).mode & 0o777).toBe(0o600);
  });

  describe("bad input: one line, exit != 0, nothing written", () => {
    async function refused(s: ReturnType<typeof setup>, extra: string[], message: string, before?: () => void) {
      before?.();
      const root = snapshot(s.root);
      const store = readdirSync(s.store).sort();
      const r = await provision(s, extra);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(snapshot(s.root)).toEqual(root);
      expect(readdirSync(s.store).sort()).toEqual(store);
    }

    test("the mount point is a file", async () => {
      const s = setup();
      await refused(s, ["--yes"], "is not a directory", () => {
        mkdirSync(join(s.root, s.mountpoint, ".."), { recursive: true });
        writeFileSync(join(s.root, s.mountpoint), "x");
      });
    });

    test("the mount point is in use (another filesystem is mounted there)", async () => {
      // No --root (the check is about the real /proc mount) and --dry-run: nothing could be written anyway.
      const r = await coffer(["provision", "--storage-url", `local://${scratch}/none`, "--mountpoint", "/proc", "--dry-run", "--yes"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("mount point /proc is in use (proc from proc)");
    });

    test("the Samba share name is taken by another path", async () => {
      const s = setup();
      await refused(s, ["--samba", "Music", "--yes"], "Samba share [Music] already exists for /srv/music; choose another name", () => {
        mkdirSync(join(s.root, "etc/samba"), { recursive: true });
        writeFileSync(join(s.root, "etc/samba/smb.conf"), "[global]\n   workgroup = HOME\n[music]\n   path = /srv/music\n");
      });
    });

    test("the bucket does not exist", async () => {
      const s = { ...setup(), url: s3.url("no-such-bucket") };
      await refused(s, ["--yes"], "no-such-bucket", () => {
        mkdirSync(join(s.root, "etc/coffer"), { recursive: true });
        writeFileSync(join(s.root, "etc/coffer/authinfo"), `[s3]\nstorage-url: ${s.url}\nbackend-login: S3RVER\nbackend-password: S3RVER\nbackend-options: no-ssl\n`);
        chmodSync(join(s.root, "etc/coffer/authinfo"), 0o600);
      });
    });

    test("the passphrase is wrong for the filesystem in the store", async () => {
      const s = setup();
      const first = await provision(s, ["--yes"]);
      expect(first.code).toBe(0);
      const authfile = join(s.root, "etc/coffer/authinfo");
      await refused(s, ["--yes", "--samba", "later"], "wrong passphrase", () => {
        writeFileSync(authfile, readFileSync(authfile, "utf8").replace(/fs-passphrase: .*/, "fs-passphrase: not-the-one"));
      });
    });

    test("no filesystem in the store and no --yes", async () => {
      const s = setup();
      await refused(s, [], "add --yes to create one");
    });

    test("a bad share name or NFS client", async () => {
      const s = setup();
      await refused(s, ["--samba", "bad name", "--yes"], "samba.share: the share name may hold");
      await refused(s, ["--nfs", "10.0.0.1(rw)", "--yes"], "nfs.clients.0: an NFS client is");
    });
  });
});
