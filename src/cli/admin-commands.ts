// Registers the administration subcommands (passphrase, rotate-key, backups, clear) on the coffer program.
import type { Command } from "commander";
import { backupsListCommand, backupsRestoreCommand } from "./backups.ts";
import { clearCommand } from "./clear.ts";
import { passphraseCommand } from "./passphrase.ts";
import { rotateKeyCommand } from "./rotate-key.ts";

const AUTHFILE = ["--authfile <file>", "authinfo file with credentials and the passphrase (default ~/.coffer/authinfo)"] as const;

export function addAdminCommands(program: Command): void {
  program
    .command("passphrase")
    .description("change the passphrase that unlocks a filesystem")
    .argument("<url>", "storage URL of the filesystem")
    .option(...AUTHFILE)
    .option("--new-passphrase-file <file>", "read the new passphrase from the first line of this file (default: ask twice on the terminal)")
    .action((url: string, opts) => passphraseCommand(url, opts));

  program
    .command("rotate-key")
    .description("seal all future objects with a new master key; --reencrypt rewrites the old ones")
    .argument("<url>", "storage URL of the filesystem")
    .option(...AUTHFILE)
    .option("--reencrypt", "re-seal every older object under the new key, then retire the old keys (default: off)")
    .option("--resume", "make no new key: re-seal what older keys still seal, then retire them")
    .action((url: string, opts) => rotateKeyCommand(url, opts));

  const backups = program.command("backups").description("list or restore the metadata generations kept in the store");
  backups
    .command("list")
    .description("list the metadata generations with their times and sizes")
    .argument("<url>", "storage URL of the filesystem")
    .option(...AUTHFILE)
    .action((url: string, opts) => backupsListCommand(url, opts));
  backups
    .command("restore")
    .description("make an older metadata generation current (later changes are lost)")
    .argument("<url>", "storage URL of the filesystem")
    .argument("<generation>", "a generation number from coffer backups list")
    .option(...AUTHFILE)
    .option("--yes", "do not ask for confirmation")
    .action((url: string, generation: string, opts) => backupsRestoreCommand(url, generation, opts));

  program
    .command("clear")
    .description("delete a filesystem and all its data from the store")
    .argument("<url>", "storage URL of the filesystem")
    .option(...AUTHFILE)
    .option("--cachedir <dir>", "cache root given to coffer mount, whose copy of this filesystem is removed too (default ~/.coffer/cache)")
    .option("--yes", "do not ask to type the URL to confirm")
    .action((url: string, opts) => clearCommand(url, opts));
}
