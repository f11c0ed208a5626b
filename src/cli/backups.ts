// `coffer backups list|restore`: the metadata generations kept in the store, and making an older one current.
import { absolutePath } from "./paths.ts";
import { z } from "zod";
import { generationsOf, summarizeImage } from "../fs/admin/generations.ts";
import { type RestorePlan, restoreGeneration } from "../fs/admin/restore.ts";
import { formatBytes } from "../format-bytes.ts";
import { askLine } from "./prompt.ts";
import { openUnlocked } from "./unlock.ts";
import { parseOptions } from "./options.ts";

const ListOptions = z.object({ authfile: absolutePath.optional() });
const RestoreOptions = z.object({ authfile: absolutePath.optional(), yes: z.boolean().default(false) });

const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
const when = (ms: number) => (ms > 0 ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "-");

export async function backupsListCommand(url: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(ListOptions, rawOptions);
  const store = await openUnlocked(url, opts.authfile);
  const rows: string[][] = [["GENERATION", "STATE AS OF (UTC)", "STORED", "ENTRIES", "FILES", "FILE DATA", ""]];
  try {
    const generations = generationsOf(store.backend, store.keys);
    const all = await generations.list();
    for (const g of all) {
      // Reading each generation costs a download, but says what a restore would bring back.
      const s = summarizeImage(await generations.read(g.generation));
      const current = g === all.at(-1) ? "current" : "";
      rows.push([String(g.generation), when(s.lastChangeMs), formatBytes(g.storedBytes), String(s.entries), String(s.regularFiles), formatBytes(s.fileBytes), current]);
    }
  } finally {
    await store.backend.close();
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const out = rows.map((r) => r.map((c, i) => (i === 1 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd());
  process.stdout.write(`${out.join("\n")}\nRestore one with: coffer backups restore ${url} GENERATION\n`);
}

/** The warning shown before a restore: what comes back and, above all, what is lost. */
export function describePlan(url: string, plan: RestorePlan): string {
  const list = (paths: string[]) => paths.slice(0, 10).map((p) => `    ${p}`).concat(paths.length > 10 ? [`    … and ${paths.length - 10} more`] : []);
  const lines = [
    `Restoring generation ${plan.target.generation} of ${url} (state as of ${when(plan.target.lastChangeMs)}: ${files(plan.target.regularFiles)}, ${formatBytes(plan.target.fileBytes)})`,
    `replaces the current metadata (generation ${plan.current.generation}, as of ${when(plan.current.lastChangeMs)}: ${files(plan.current.regularFiles)}, ${formatBytes(plan.current.fileBytes)}).`,
    `LOST: every change made after ${when(plan.target.lastChangeMs)} (${plan.newer} newer generation${plan.newer === 1 ? "" : "s"}): files written since go back to their old contents,`,
    `and ${files(plan.disappear.length)} created since disappear${plan.disappear.length ? ":" : "."}`,
    ...list(plan.disappear),
    `Back: ${files(plan.comeBack.length)} deleted since${plan.comeBack.length ? ":" : "."}`,
    ...list(plan.comeBack),
  ];
  if (plan.missingData.length) {
    // deleted data is kept while a generation naming it is kept, so this means objects removed by other
    // means (fsck repairs, someone else, a store that lost them)
    lines.push(`WARNING: ${files(plan.missingData.length)} of that generation name data missing from the store (removed outside Coffer's rotation, e.g. by fsck or by hand) and will fail to read (EIO):`, ...list(plan.missingData));
  }
  lines.push("The newer generations, and the data they name, stay in the store until rotated out (the newest 10 snapshots are kept): restoring the current one again undoes this.");
  return lines.join("\n");
}

export async function backupsRestoreCommand(url: string, generation: string, rawOptions: unknown): Promise<void> {
  const opts = parseOptions(RestoreOptions, rawOptions);
  const store = await openUnlocked(url, opts.authfile);
  let result;
  try {
    result = await restoreGeneration(store.backend, store.keys, url, generationsOf(store.backend, store.keys), generation, (plan) => {
      process.stderr.write(`${describePlan(url, plan)}\n`);
      if (opts.yes) return true;
      return askLine("Restore it? Type yes to continue: ", "add --yes to restore without asking").trim() === "yes";
    });
  } finally {
    await store.backend.close();
  }
  if (result.published === null) {
    process.stdout.write("Not restored; nothing changed.\n");
    return;
  }
  process.stdout.write(`Restored generation ${result.plan.target.generation} as the current metadata (generation ${result.published}). Mount it with: coffer mount ${url} MOUNTPOINT\n`);
}
