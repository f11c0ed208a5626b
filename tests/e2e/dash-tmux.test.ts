// The real `coffer dash` in a tmux terminal against a real mount: writes show up, f flushes, umount ends in "safe".
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CofferSandbox } from "../support/coffer-cli.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const COFFER = resolve(import.meta.dir, "../../bin/coffer");
const SESSION = `coffer-dash-test-${process.pid}`;

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", ...args]);
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const screen = () => tmux("capture-pane", "-p", "-t", SESSION);

/** Polls the screen until `pattern` shows; returns that screen (or fails showing the last one). */
async function waitForScreen(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = screen();
    if (pattern.test(last)) return last;
    await Bun.sleep(200);
  }
  throw new Error(`the dashboard never showed ${pattern}; last screen:\n${last}`);
}

describe("coffer dash in tmux", () => {
  const box = new CofferSandbox();
  const store = box.dir("store");
  const url = `local://${store}`;
  const mnt = box.dir("mnt");

  beforeAll(async () => {
    box.addAuth(url, {});
    expect((await box.coffer(["mkfs", "--plain", "--authfile", box.authfile, url])).code).toBe(0);
    expect((await box.mount(url, mnt, ["--cachedir", box.dir("cache")])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    Bun.spawnSync(["tmux", "kill-session", "-t", SESSION]);
    await box.cleanup();
  }, 120_000);

  test("shows writes, flushes on f, follows the umount to safe to power off, within 80x24", async () => {
    try {
      await driveDashboard();
    } catch (error) {
      throw new Error(`${(error as Error).message}\ndaemon log:\n${box.log()}`);
    }
  }, 180_000);

  async function driveDashboard(): Promise<void> {
    tmux("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", `${process.execPath} ${COFFER} dash ${mnt}`);
    await waitForScreen(/Cache \(\d+ blocks\)/);
    writeFileSync(join(mnt, "twenty.bin"), randomBytes(20 << 20));
    let shown = await waitForScreen(/logical 20\.0 MiB in 1 entries/);
    expect(shown).toContain(mnt);
    tmux("send-keys", "-t", SESSION, "f");
    shown = await waitForScreen(/flushed: every dirty block/);
    expect(shown).toMatch(/dirty 0 B, 0 blocks/);
    const umount = box.umount(mnt);
    shown = await waitForScreen(/Safe to power off\./);
    expect((await umount).code).toBe(0);
    expect(shown).toContain("Everything is stored.");
    const lines = shown.replace(/\n+$/, "").split("\n");
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    tmux("send-keys", "-t", SESSION, "q");
    for (let i = 0; i < 50 && Bun.spawnSync(["tmux", "has-session", "-t", SESSION]).exitCode === 0; i++) await Bun.sleep(100);
    expect(Bun.spawnSync(["tmux", "has-session", "-t", SESSION]).exitCode).not.toBe(0); // q quit the dashboard
  }
});
