// Live NFS: a private nfs-ganesha (FSAL VFS) exports a real Coffer mount with the EXPORT block `coffer provision` generates; libnfs writes and reads over NFSv3, also after the daemon restarted.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseProvisionConfig, renderGaneshaExport } from "../../src/provision/index.ts";
import { CofferSandbox, isMounted } from "../support/coffer-cli.ts";
import { NfsWorld, nfsUrl } from "../support/nfs-ganesha.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const PASS = "nfs live test passphrase";
const OWNER = { user: "nobody", group: "nogroup", uid: 65534, gid: 65534 };

describe("live NFS: nfs-ganesha exports a Coffer mount (NFSv3, libnfs client)", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  // the mount point lives in its own folder, which NfsWorld makes a shared mount (see nfs-ganesha.ts)
  const exportRoot = mkdtempSync(join(tmpdir(), "coffer-nfs-export-"));
  const share = join(exportRoot, "share");
  mkdirSync(share);
  const client = box.dir("client");
  const nfs = new NfsWorld(box.dir("nfs"), exportRoot);
  const cfg = parseProvisionConfig({ storageUrl: url, mountpoint: share, fsid: randomUUID(), owner: OWNER, nfs: { clients: ["127.0.0.1"] } });
  const big = randomBytes(5 * 1024 * 1024 + 123); // well past libnfs's 4 KiB write size: many WRITEs
  const small = Array.from({ length: 20 }, (_, i) => ({ name: `note-${i}.txt`, data: Buffer.from(`note ${i}\n`.repeat(i * 50 + 1)) }));

  const mount = async (cache: string) => {
    const r = await box.mount(url, share, ["--allow-other", "--cachedir", box.dir(cache)]);
    expect(r.stderr + r.stdout).not.toMatch(/error|cannot/i);
    expect(r.code).toBe(0);
    expect(isMounted(share)).toBe(true);
  };
  const nfsCp = (from: string, to: string) => {
    const r = nfs.inside(["nfs-cp", from, to]);
    if (r.code !== 0) throw new Error(`nfs-cp ${from} ${to} failed (${r.code}): ${r.out}\n${nfs.log()}`);
  };
  const nfsLs = () => {
    const r = nfs.inside(["nfs-ls", nfsUrl(share)]);
    if (r.code !== 0) throw new Error(`nfs-ls failed (${r.code}): ${r.out}\n${nfs.log()}`);
    return r.out;
  };
  let reads = 0;
  const readBack = (name: string): Buffer => {
    const local = join(client, `back-${++reads}-${name}`); // nfs-cp will not overwrite a local file
    nfsCp(nfsUrl(share, `/${name}`), local);
    return readFileSync(local);
  };

  beforeAll(async () => {
    box.addAuth(url, { "fs-passphrase": PASS });
    const made = await box.coffer(["mkfs", "--authfile", box.authfile, url]);
    expect(made.code).toBe(0);
    await nfs.start();
    await mount("cache1");
    // what provision does for a share root: owned by the share owner, group-writable, set-group-ID
    chownSync(share, OWNER.uid, OWNER.gid);
    chmodSync(share, Number.parseInt(cfg.rootMode, 8));
    await nfs.startGanesha(renderGaneshaExport(cfg));
  }, 120_000);

  afterAll(async () => {
    try {
      await nfs.stop(); // ganesha and rpcbind, by PID, before the mount goes
    } finally {
      try {
        await box.cleanup(); // unmounts, kills leftover daemons
      } finally {
        nfs.unbindExportRoot();
        rmSync(exportRoot, { recursive: true, force: true });
      }
    }
  }, 120_000);

  test("nfs-cp writes a 5 MB file and small files; they are in Coffer, owned by the share owner; nfs-ls lists them and nfs-cp reads them back", () => {
    writeFileSync(join(client, "big.bin"), big);
    nfsCp(join(client, "big.bin"), nfsUrl(share, "/big.bin"));
    for (const f of small) {
      writeFileSync(join(client, f.name), f.data);
      nfsCp(join(client, f.name), nfsUrl(share, `/${f.name}`));
    }
    // the bytes went through ganesha into the Coffer filesystem
    expect(readFileSync(join(share, "big.bin")).equals(big)).toBe(true);
    for (const f of small) expect(readFileSync(join(share, f.name)).equals(f.data)).toBe(true);
    const st = statSync(join(share, "big.bin"));
    expect([st.uid, st.gid]).toEqual([OWNER.uid, OWNER.gid]); // All_Squash to the owner
    const listing = nfsLs();
    for (const name of ["big.bin", ...small.map((f) => f.name)]) expect(listing).toContain(name);
    expect(listing).toMatch(new RegExp(`\\s${big.length}\\s+big\\.bin`));
    expect(readBack("big.bin").equals(big)).toBe(true);
    expect(readBack("note-7.txt").equals(small[7]!.data)).toBe(true);
  }, 180_000);

  test("after the Coffer daemon restarted under the share (ganesha stopped first and started again, as the units order it), old files read and new ones write", async () => {
    // while ganesha holds the export open, the unmount is refused with one line saying what to do, and the
    // share keeps working: this is why the units stop the NFS server before Coffer
    const busy = await box.umount(share);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toContain("cannot unmount");
    expect(busy.stderr.trim().split("\n")).toHaveLength(1);
    expect(isMounted(share)).toBe(true);
    expect(readBack("note-3.txt").equals(small[3]!.data)).toBe(true);
    await nfs.stopGanesha();
    const down = await box.umount(share);
    expect(down.code).toBe(0);
    expect(isMounted(share)).toBe(false);
    await mount("cache2"); // an empty cache: everything comes back from the store
    await nfs.startGanesha(renderGaneshaExport(cfg));
    expect(readBack("big.bin").equals(big)).toBe(true);
    expect(readBack("note-19.txt").equals(small[19]!.data)).toBe(true);
    const later = randomBytes(300_000);
    writeFileSync(join(client, "after-restart.bin"), later);
    nfsCp(join(client, "after-restart.bin"), nfsUrl(share, "/after-restart.bin"));
    expect(readFileSync(join(share, "after-restart.bin")).equals(later)).toBe(true);
    expect(nfsLs()).toContain("after-restart.bin");
  }, 180_000);
});
