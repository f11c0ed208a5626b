// Registers `coffer ctl …` and `coffer dash` with commander (kept apart from main.ts so adding a command touches one file).
import type { Command } from "commander";
import { ctlCacheSize, ctlDropCache, ctlFlushCache, ctlLog, ctlUploadMeta } from "./ctl.ts";
import { LOG_LEVELS } from "../control/protocol.ts";

export function addCtlCommands(program: Command): void {
  const ctl = program.command("ctl").description("control a mounted filesystem (like S3QL's s3qlctrl)");
  ctl.command("flushcache").description("store every dirty block and the metadata now; returns when done")
    .argument("<mountpoint>").action((mp: string) => ctlFlushCache(mp));
  ctl.command("dropcache").description("flush, then remove every cached block (they are downloaded again when read)")
    .argument("<mountpoint>").action((mp: string) => ctlDropCache(mp));
  ctl.command("upload-meta").description("store a metadata snapshot now")
    .argument("<mountpoint>").action((mp: string) => ctlUploadMeta(mp));
  ctl.command("cachesize").description("change how much data the cache keeps, e.g. 10G")
    .argument("<size>").argument("<mountpoint>").action((size: string, mp: string) => ctlCacheSize(size, mp));
  ctl.command("log").description(`set the daemon's log level (${LOG_LEVELS.join(", ")}; debug adds an activity line every few seconds)`)
    .argument("<level>").argument("<mountpoint>").action((level: string, mp: string) => ctlLog(level, mp));

  program.command("dash").description("live dashboard of cache, uploads, store health and metadata; follows unmounts to the end")
    .argument("[mountpoints...]", "mount points (default: every coffer mount)")
    .option("--interval <ms>", "how often the view updates, in ms (default 500)")
    .action(async (mountpoints: string[], opts: { interval?: string }) => {
      const { dashCommand } = await import("../tui/dash-command.tsx"); // Ink and React load only for the dashboard
      await dashCommand(mountpoints, opts);
    });
}
