// The generated unit's shell commands, run for real: ExecStartPre clears a dead mount (and leaves a live one
// alone); ExecStartPost hands a root-owned share root to the owner once and leaves a given-away root as it is.
import { afterAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { chownSync, statSync } from "node:fs";
import { parseProvisionConfig, renderUnit } from "../../src/provision/index.ts";
import { CofferSandbox, isCofferProcess, isMounted } from "../support/coffer-cli.ts";

// They run real tools and CLI processes on a loaded machine: generous, far above their usual 0.1–5 s.
setDefaultTimeout(60_000);

/** A unit line's command as systemd runs it ($$ -> $, %% -> %), through sh. */
function runUnitLine(unit: string, key: "ExecStartPre" | "ExecStartPost"): number {
  const line = unit.split("\n").find((l) => l.startsWith(`${key}=`))!.slice(key.length + 1);
  return Bun.spawnSync(["sh", "-c", line.replaceAll("$$", "$").replaceAll("%%", "%")]).exitCode ?? -1;
}

describe("the unit's ExecStartPre and ExecStartPost", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");
  const unit = renderUnit(
    parseProvisionConfig({ storageUrl: url, mountpoint: mnt, fsid: "3f1c2b4a-0000-8000-8000-00000000abcd", owner: { user: "nobody", group: "nogroup", uid: 65534, gid: 65534 } }),
  );

  afterAll(async () => {
    await box.cleanup();
  });

  test("ExecStartPost gives a root-owned root to the owner, once; ExecStartPre leaves a live mount alone", async () => {
    box.addAuth(url, { "fs-passphrase": "unit commands" });
    expect((await box.coffer(["mkfs", "--authfile", box.authfile, url])).code).toBe(0);
    expect((await box.mount(url, mnt, ["--allow-other", "--cachedir", box.dir("cache")])).code).toBe(0);
    expect(statSync(mnt).uid).toBe(0);
    expect(runUnitLine(unit, "ExecStartPost")).toBe(0);
    expect(statSync(mnt).uid).toBe(65534);
    expect((statSync(mnt).mode & 0o7777).toString(8)).toBe("2775");
    // Someone gives the root to another owner: the next start keeps their choice.
    chownSync(mnt, 1, 1);
    expect(runUnitLine(unit, "ExecStartPost")).toBe(0);
    expect(statSync(mnt).uid).toBe(1);
    expect(runUnitLine(unit, "ExecStartPre")).toBe(0);
    expect(isMounted(mnt)).toBe(true);
  }, 120_000);

  test("ExecStartPre clears the dead mount a killed daemon leaves, so the mount point is usable again", async () => {
    const pid = box.daemonPid(mnt)!;
    expect(isCofferProcess(pid)).toBe(true);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && isCofferProcess(pid); i++) await Bun.sleep(50);
    // statfs always reaches the daemon (a stat may be answered from the kernel's attribute cache).
    // The first call after the daemon died may see ECONNABORTED, later ones ENOTCONN: both are a dead mount.
    expect(Bun.spawnSync(["stat", "-f", mnt], { stderr: "pipe" }).stderr.toString()).toMatch(/Transport endpoint is not connected|Software caused connection abort/);
    expect(runUnitLine(unit, "ExecStartPre")).toBe(0);
    expect(isMounted(mnt)).toBe(false);
    expect(statSync(mnt).isDirectory()).toBe(true);
    box.forget(mnt);
  }, 60_000);
});
