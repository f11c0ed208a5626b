// POSIX suite, ACLs: cp -a, tar -xp --acls and setfacl/getfacl leave the modes and ACLs a plain directory would, checked as another user.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import type { SuiteContext } from "./context.ts";

/** Each test spawns dozens of short processes (setfacl, getfacl, setpriv), slow on a loaded machine. */
const TIMEOUT_MS = 60_000;

/** Runs a command as uid/gid 65534 (nobody) with no supplementary groups; true when it succeeded. */
function asNobody(cmd: string[]): boolean {
  return Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

function run(cmd: string[], cwd?: string): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** getfacl of one path, without the "# file" header line (paths differ between the trees compared). */
const acl = (path: string) => run(["getfacl", "--omit-header", "--absolute-names", path]);
/** Only the entries beyond the owner/group/other that a mode can say: empty for a file without an extended ACL. */
const extendedAcl = (path: string) => run(["getfacl", "--skip-base", "--absolute-names", path]);
const perm = (path: string) => fs.lstatSync(path).mode & 0o7777;

/** Every path under `root` (itself included as "."), sorted: the same order on every filesystem. */
function tree(root: string): string[] {
  const out = ["."];
  for (const e of fs.readdirSync(root, { recursive: true }) as string[]) out.push(e);
  return out.sort();
}

/** A source tree on the local disk, with the modes that make `cp -a` go through system.posix_acl_access. */
function makeModeTree(root: string): Record<string, { mode: number; nobodyReads: boolean }> {
  const spec: Record<string, { mode: number; nobodyReads: boolean; dir?: boolean }> = {
    "pub.txt": { mode: 0o644, nobodyReads: true },
    "secret.txt": { mode: 0o600, nobodyReads: false },
    "group.txt": { mode: 0o640, nobodyReads: false },
    "tool.sh": { mode: 0o755, nobodyReads: true },
    docs: { mode: 0o755, nobodyReads: true, dir: true },
    "docs/readme": { mode: 0o444, nobodyReads: true },
    private: { mode: 0o700, nobodyReads: false, dir: true },
    "private/note": { mode: 0o644, nobodyReads: false }, // readable, but its directory is closed
    shared: { mode: 0o1777, nobodyReads: true, dir: true },
  };
  fs.mkdirSync(root, { mode: 0o755 });
  for (const [name, s] of Object.entries(spec)) {
    const p = join(root, name);
    if (s.dir) fs.mkdirSync(p);
    else fs.writeFileSync(p, `content of ${name}\n`);
  }
  for (const [name, s] of Object.entries(spec).reverse()) fs.chmodSync(join(root, name), s.mode);
  return spec;
}

export function aclTests(c: SuiteContext): void {
  const nonRoot = c.opts.nonRootAccess !== false;
  let scratch = "";
  beforeAll(() => {
    // /var/tmp: a local disk filesystem with ACLs, for the source trees
    scratch = fs.mkdtempSync("/var/tmp/coffer-acl-src-");
    fs.chmodSync(scratch, 0o755);
  });
  afterAll(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe("POSIX ACLs", () => {
    test("cp -a keeps every mode, adds no ACL, and another user reads exactly what the modes allow", () => {
      const src = join(scratch, `modes-${c.name.replace(/\W+/g, "-")}`);
      const spec = makeModeTree(src);
      const dest = join(c.fresh("cp-a"), "copy");
      run(["cp", "-a", src, dest]);
      for (const [name, s] of Object.entries(spec)) {
        const p = join(dest, name);
        expect([name, perm(p).toString(8)]).toEqual([name, s.mode.toString(8)]);
        expect([name, extendedAcl(p)]).toEqual([name, ""]);
        if (!nonRoot) continue;
        const reads = fs.statSync(p).isDirectory() ? asNobody(["ls", p]) : asNobody(["cat", p]);
        expect([name, reads]).toEqual([name, s.nobodyReads]);
      }
    }, TIMEOUT_MS);

    test("setfacl: a named user's entry grants access, the mask is the group bits, chmod narrows it, -b removes it", () => {
      const p = join(c.fresh("setfacl"), "f");
      fs.writeFileSync(p, "for nobody\n");
      fs.chmodSync(p, 0o600);
      if (nonRoot) expect(asNobody(["cat", p])).toBe(false);
      run(["setfacl", "-m", "u:nobody:r", p]);
      expect(perm(p).toString(8)).toBe("640"); // group bits = mask r--
      expect(acl(p)).toBe("user::rw-\nuser:nobody:r--\ngroup::---\nmask::r--\nother::---\n\n");
      if (nonRoot) expect(asNobody(["cat", p])).toBe(true);
      fs.chmodSync(p, 0o600); // the mask follows the group bits: the entry is no longer effective
      expect(acl(p)).toBe("user::rw-\nuser:nobody:r--\t#effective:---\ngroup::---\nmask::---\nother::---\n\n");
      if (nonRoot) expect(asNobody(["cat", p])).toBe(false);
      run(["setfacl", "-b", p]);
      expect(extendedAcl(p)).toBe("");
      expect(perm(p).toString(8)).toBe("600");
      // removing ACLs that are not there succeeds, as on a local filesystem
      const removeAcls = `import os\nfor n in ("system.posix_acl_access", "system.posix_acl_default"): os.removexattr(${JSON.stringify(p)}, n)`;
      run(["python3", "-c", removeAcls]);
      run(["setfacl", "-m", "u::rw,g::r,o::r", p]); // equivalent to a mode: only the mode changes
      expect(perm(p).toString(8)).toBe("644");
      expect(extendedAcl(p)).toBe("");
      if (nonRoot) expect(asNobody(["cat", p])).toBe(true);
    }, TIMEOUT_MS);

    test("default ACLs: new files and directories inherit them, and the umask is then not applied", () => {
      const d = join(c.fresh("default-acl"), "inbox");
      fs.mkdirSync(d, { mode: 0o755 });
      fs.chmodSync(d, 0o755);
      run(["setfacl", "-d", "-m", "u:nobody:rwx,g::rx,o::-", d]);
      run(["sh", "-c", "umask 077 && echo data > f && mkdir sub && echo more > sub/g && mkfifo p"], d);
      // f asked for 0666: the default ACL (not the umask) masks it
      expect(perm(join(d, "f")).toString(8)).toBe("660");
      expect(acl(join(d, "f"))).toBe("user::rw-\nuser:nobody:rwx\t#effective:rw-\ngroup::r-x\t#effective:r--\nmask::rw-\nother::---\n\n");
      expect(perm(join(d, "sub")).toString(8)).toBe("770");
      expect(acl(join(d, "sub"))).toBe(
        "user::rwx\nuser:nobody:rwx\ngroup::r-x\nmask::rwx\nother::---\n" +
          "default:user::rwx\ndefault:user:nobody:rwx\ndefault:group::r-x\ndefault:mask::rwx\ndefault:other::---\n\n",
      );
      expect(perm(join(d, "sub", "g")).toString(8)).toBe("660"); // inherited twice
      expect(perm(join(d, "p")).toString(8)).toBe("660");
      if (nonRoot) {
        expect(asNobody(["cat", join(d, "f")])).toBe(true);
        expect(asNobody(["cat", join(d, "sub", "g")])).toBe(true);
        expect(asNobody(["sh", "-c", `echo appended >> ${join(d, "sub", "g")}`])).toBe(true);
        expect(asNobody(["touch", join(d, "sub", "by-nobody")])).toBe(true);
      }
      // with the default ACL gone, the umask applies again
      run(["setfacl", "-k", d]);
      run(["sh", "-c", "umask 027 && echo x > h"], d);
      expect(perm(join(d, "h")).toString(8)).toBe("640");
      expect(extendedAcl(join(d, "h"))).toBe("");
    }, TIMEOUT_MS);

    test("tar -xp --acls restores every ACL and mode of an archive made on a plain directory", () => {
      const src = join(scratch, `acls-${c.name.replace(/\W+/g, "-")}`);
      fs.mkdirSync(join(src, "team", "drafts"), { recursive: true });
      fs.writeFileSync(join(src, "team", "plan.txt"), "plan\n");
      fs.writeFileSync(join(src, "team", "drafts", "v1.txt"), "v1\n");
      fs.writeFileSync(join(src, "plain.txt"), "plain\n");
      fs.chmodSync(join(src, "plain.txt"), 0o604);
      run(["setfacl", "-m", "u:nobody:rx,g:nogroup:r", join(src, "team")]);
      run(["setfacl", "-d", "-m", "u:nobody:rw", join(src, "team")]);
      run(["setfacl", "-m", "u:nobody:r,m::r", join(src, "team", "plan.txt")]);
      fs.chmodSync(join(src, "team", "drafts"), 0o700);
      run(["setfacl", "-m", "u:nobody:rwx", join(src, "team", "drafts")]);
      fs.chmodSync(join(src, "team", "drafts", "v1.txt"), 0o600);
      const archive = join(scratch, `acls-${c.name.replace(/\W+/g, "-")}.tar`);
      run(["tar", "--acls", "-cpf", archive, "-C", src, "."]);
      const dest = join(c.fresh("tar-acls"), "restored");
      fs.mkdirSync(dest);
      run(["tar", "--acls", "-xpf", archive, "-C", dest]);
      const paths = tree(src);
      expect(tree(dest)).toEqual(paths);
      for (const rel of paths) {
        expect([rel, perm(join(dest, rel)).toString(8)]).toEqual([rel, perm(join(src, rel)).toString(8)]);
        expect([rel, acl(join(dest, rel))]).toEqual([rel, acl(join(src, rel))]);
      }
      if (nonRoot) {
        expect(asNobody(["cat", join(dest, "team", "plan.txt")])).toBe(true); // through user:nobody
        expect(asNobody(["cat", join(dest, "plain.txt")])).toBe(true); // through other
        expect(asNobody(["ls", join(dest, "team", "drafts")])).toBe(true); // a 700 directory, opened by its ACL
        expect(asNobody(["cat", join(dest, "team", "drafts", "v1.txt")])).toBe(false); // 600, no entry
      }
    }, TIMEOUT_MS);
  });
}
