// The `coffer` command line: parses arguments with commander and hands each subcommand to its own module.
import { Command } from "commander";
import { reportAndExit } from "./errors.ts";
import { flushCommand } from "./flush.ts";
import { addCtlCommands } from "./ctl-commands.ts";
import { fsckCommand } from "./fsck.ts";
import { mkfsCommand } from "./mkfs.ts";
import { mountCommand } from "./mount.ts";
import { provisionCommand } from "./provision.ts";
import { statCommand } from "./stat.ts";
import { umountCommand } from "./umount.ts";
import { addAdminCommands } from "./admin-commands.ts";
import { addTreeCommands } from "./tree-commands.ts";
import { addManPages } from "./help.ts";

export function buildProgram(): Command {
  const program = new Command("coffer")
    .description("Encrypted, deduplicated storage on S3 or a local directory, mounted as a Linux filesystem")
    .showHelpAfterError("(coffer --help lists the commands)");

  program
    .command("mkfs")
    .description("create a filesystem in a storage location")
    .argument("<url>", "local:///abs/dir, s3://BUCKET[/PREFIX] or s3c://HOST:PORT/BUCKET[/PREFIX]")
    .option("--authfile <file>", "authinfo file with credentials and passphrase (default ~/.coffer/authinfo)")
    .option("--plain", "compress and deduplicate but do not encrypt")
    .option("--block-size <size>", "size of data blocks, e.g. 1M or 4M (default 4M)")
    .option("--force", "replace an existing filesystem (its data is lost)")
    .action((url: string, opts) => mkfsCommand(url, opts));

  program
    .command("mount")
    .description("mount a filesystem; returns once it is usable unless --fg")
    .argument("<url>", "storage URL given to mkfs")
    .argument("<mountpoint>", "an existing, empty directory")
    .option("--authfile <file>", "authinfo file (default ~/.coffer/authinfo)")
    .option("--allow-other", "let users other than the mounting one use the mount (Samba, NFS)")
    .option("--dev", "honour device nodes (root only; default nodev)")
    .option("--suid", "honour set-user-ID and set-group-ID bits (root only; default nosuid)")
    .option("--atime <policy>", "relatime (default), strictatime or noatime")
    .option("--fg", "stay in the foreground and log to stdout (for systemd)")
    .option("--cachedir <dir>", "where cached blocks and metadata live (default ~/.coffer/cache)")
    .option("--cachesize <size>", "how much clean data the cache keeps, e.g. 10G (default 1G)")
    .option("--compress <algo>", "zstd-1 … zstd-22, or none (default zstd-1)")
    .option("--debug", "log every FUSE request and reply")
    .option("--log <file>", "log file (default ~/.coffer/mount.log when not --fg)")
    .option("--force-unlock", "take over a mount lock left by another machine that is gone")
    .option("--metadata-interval <seconds>", "ship metadata changes to the store this often: a lost machine loses at most ~2 intervals (default 5)")
    .option("--nonempty", "mount over a directory that holds entries (they are hidden while mounted)")
    .action((url: string, mountpoint: string, opts) => mountCommand(url, mountpoint, opts));

  program
    .command("umount")
    .description("unmount; returns only when every byte is stored")
    .argument("<mountpoint>")
    .action((mountpoint: string) => umountCommand(mountpoint));

  program
    .command("flush")
    .description("store every dirty block and the metadata now; returns when done")
    .argument("<mountpoint>")
    .action((mountpoint: string) => flushCommand(mountpoint));

  program
    .command("stat")
    .description("entries, sizes before and after dedup and compression, cache and dirty bytes")
    .argument("<mountpoint>")
    .option("--json", "print one JSON object")
    .action((mountpoint: string, opts) => statCommand(mountpoint, opts));

  program
    .command("fsck")
    .description("check and repair a filesystem that is not mounted")
    .argument("<url>", "storage URL given to mkfs")
    .option("--batch", "repair without asking (for a service's ExecStartPre)")
    .option("--authfile <file>", "authinfo file (default ~/.coffer/authinfo)")
    .option("--cachedir <dir>", "the cache root the mounts use (default ~/.coffer/cache)")
    .option("--force-unlock", "take over a mount lock left by another machine that is gone")
    .action((url: string, opts) => fsckCommand(url, opts));

  addCtlCommands(program);

  program
    .command("provision")
    .description("set up the appliance: authinfo, a systemd unit, Samba/NFS shares (asks for what flags do not give)")
    .option("--storage-url <url>", "the filesystem's storage URL (asked for if missing)")
    .option("--mountpoint <dir>", "where it is mounted and shared from (asked for if missing)")
    .option("--authfile <file>", "authinfo file the unit reads (default /etc/coffer/authinfo)")
    .option("--cachedir <dir>", "cache directory (default /var/cache/coffer/NAME)")
    .option("--cachesize <size>", "how much clean data the cache keeps, e.g. 10G")
    .option("--samba <name>", "share the mount over Samba under this name")
    .option("--nfs <clients>", "export the mount over NFS to these comma-separated hosts or networks")
    .option("--nfs-server <kind>", "ganesha (default) or kernel: which NFS server's unit is ordered after the mount")
    .option("--owner <user[:group]>", "who share users act as and who owns the share root (default coffer:coffer)")
    .option("--coffer <path>", "the coffer program the unit runs (default /usr/local/bin/coffer)")
    .option("--snapshots <dirs>", "install a daily timer taking locked snapshots of these comma-separated directories below the mount point, then expiring old ones (default: no snapshots)")
    .option("--snapshot-keep <policy>", "retention for --snapshots (default daily=7,weekly=4,monthly=12)")
    .option("--yes", "answer yes: create the filesystem if the store holds none")
    .option("--dry-run", "print every file it would write (as a diff) and every command it would run")
    .option("--root <dir>", "write under this directory instead of / (tests, image builds)")
    .action((opts) => provisionCommand(opts));

  addAdminCommands(program);
  addTreeCommands(program);
  addManPages(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    reportAndExit(error);
  }
}

if (import.meta.main) await main(process.argv);
