// Registers coffer cp, rm, lock, snapshot and expire (whole-tree operations on a mounted filesystem) with commander.
import type { Command } from "commander";
import { cpCommand, expireCommand, lockCommand, rmCommand, snapshotCommand } from "./tree.ts";

export function addTreeCommands(program: Command): void {
  program.command("cp").description("copy a directory tree inside a mount, sharing its data (copy-on-write; nothing new stored)")
    .argument("<src>", "an existing directory in a coffer mount").argument("<dst>", "a new path in the same mount")
    .action((src: string, dst: string) => cpCommand(src, dst));
  program.command("rm").description("remove directory trees fast, without the kernel walking them (locked trees too)")
    .argument("<dirs...>", "directories in a coffer mount").action((dirs: string[]) => rmCommand(dirs));
  program.command("lock").description("make directory trees immutable (only coffer rm removes them)")
    .argument("<dirs...>", "directories in a coffer mount")
    .option("--status", "only tell whether each path lies in a locked tree")
    .action((dirs: string[], opts) => lockCommand(dirs, opts));
  program.command("snapshot").description("copy a directory into a dated snapshot folder (INTO/NAME/YYYY-MM-DD_HHMMSS, UTC)")
    .argument("<dir>", "a directory in a coffer mount")
    .option("--into <dir>", "where snapshots go, in the same mount (default MOUNTPOINT/.snapshots)")
    .option("--lock", "lock the snapshot (immutable) once taken")
    .action((dir: string, opts) => snapshotCommand(dir, opts));
  program.command("expire").description("remove the snapshots in a folder that a retention policy does not keep")
    .argument("<dir>", "a folder of snapshots made by coffer snapshot")
    .option("--keep <policy>", "PERIOD=COUNT,… with periods last, hourly, daily, weekly, monthly, yearly (required; no default)")
    .option("--dry-run", "only list what would be kept and removed")
    .action((dir: string, opts) => expireCommand(dir, opts));
}
