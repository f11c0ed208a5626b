// Golden-file tests of every template: each renderer's output for fixed configs, byte for byte.
// After an intended template change: UPDATE_GOLDEN=1 bun test tests/golden, then review the diff of tests/golden/.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  parseProvisionConfig, renderAuthinfoSection, renderExports, renderGaneshaExport, renderSambaShare, renderServerDropIn,
  renderUnit, renderUnitDropIn,
} from "../../src/provision/index.ts";
import { FULL, MINIMAL } from "./fixtures.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const DIR = join(import.meta.dir, "files");
const update = process.env.UPDATE_GOLDEN === "1";

function golden(name: string, actual: string): void {
  const path = join(DIR, name);
  if (update || !existsSync(path)) {
    if (!update) throw new Error(`missing golden file ${path}; create it with UPDATE_GOLDEN=1`);
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("golden files", () => {
  const full = parseProvisionConfig(FULL);
  const minimal = parseProvisionConfig(MINIMAL);
  const cases: [string, () => string][] = [
    ["full.service", () => renderUnit(full)],
    ["minimal.service", () => renderUnit(minimal)],
    ["full.authinfo", () => renderAuthinfoSection(full)],
    ["minimal.authinfo", () => renderAuthinfoSection(minimal)],
    ["full.smb-share.conf", () => renderSambaShare(full)],
    ["full.exports", () => renderExports(full)],
    ["full.ganesha-export.conf", () => renderGaneshaExport(full)],
    ["full.smbd-dropin.conf", () => renderServerDropIn(full, "samba")],
    ["full.ganesha-dropin.conf", () => renderServerDropIn(full, "ganesha")],
    ["full.nfs-server-dropin.conf", () => renderServerDropIn(full, "kernel")],
    ["full.unit-dropin.conf", () => renderUnitDropIn(full)],
  ];
  for (const [name, render] of cases) test(name, () => golden(name, render()));

  test("renderers are pure: the same config renders the same bytes twice", () => {
    for (const [, render] of cases) expect(render()).toBe(render());
  });
});
