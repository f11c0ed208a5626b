// Progress of long commands: a cli-progress bar with bytes, rate and time left on a terminal, plain lines otherwise.
import { expect, setDefaultTimeout, test } from "bun:test";
import { Writable } from "node:stream";
import { byteProgress, PLAIN_LINE_EVERY_MS } from "../../../src/cli/progress.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = "";
  const stream = new Writable({ write(chunk, _enc, done) { text += chunk.toString(); done(); } }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => text };
}

test("on a terminal: a bar with bytes, total, rate and time left", async () => {
  const { stream, text } = fakeStream(true);
  const bar = byteProgress(stream);
  bar.update("storing dirty blocks", 0, 100 << 20);
  await Bun.sleep(300);
  bar.update("storing dirty blocks", 25 << 20, 100 << 20);
  await Bun.sleep(300); // cli-progress redraws on its own timer
  const shown = text();
  bar.end();
  expect(shown).toContain("storing dirty blocks [");
  expect(shown).toMatch(/25% \| 25\.0 MiB of 100\.0 MiB \| [\d.]+ MiB\/s \| [\d.]+ (s|min \d+ s) left/);
});

test("not on a terminal: nothing for a short operation, then one plain line every few seconds", async () => {
  const { stream, text } = fakeStream(false);
  const bar = byteProgress(stream);
  bar.update("storing dirty blocks", 1 << 20, 10 << 20);
  expect(text()).toBe("");
  await Bun.sleep(PLAIN_LINE_EVERY_MS + 100);
  bar.update("storing dirty blocks", 5 << 20, 10 << 20);
  bar.update("storing dirty blocks", 6 << 20, 10 << 20); // within the same few seconds: no second line
  bar.end();
  const lines = text().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^storing dirty blocks: 5\.00 MiB of 10\.0 MiB stored, [\d.]+ (KiB|MiB)\/s, \d+ s left$/);
  expect(text()).not.toContain("\x1b"); // no escape codes for journald and scripts
}, 20_000);

test("not on a terminal, with no bytes to store: the phase alone, not 0 B of 0 B", async () => {
  const { stream, text } = fakeStream(false);
  const bar = byteProgress(stream);
  await Bun.sleep(PLAIN_LINE_EVERY_MS + 100);
  bar.update("storing metadata", 0, 0);
  bar.end();
  expect(text()).toBe("storing metadata…\n");
}, 20_000);
