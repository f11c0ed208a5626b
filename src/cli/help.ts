// Man-page-like help: a full description and examples for each subcommand, an overview, and the version line.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";

/** "coffer 0.1.0 (bun 1.4.5, linux x64)": what a bug report needs. */
export function versionLine(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8")) as { version: string };
  return `coffer ${pkg.version} (bun ${Bun.version}, ${process.platform} ${process.arch})`;
}

interface ManPage {
  /** What the command does, in a few sentences: shown by `coffer help CMD` above the options. */
  description: string;
  /** Examples and notes shown after the options. */
  after: string;
}

/** Keyed by subcommand path ("backups restore"); commands without an entry keep their one-line description. */
const PAGES: Record<string, ManPage> = {
  mkfs: {
    description: `Creates a filesystem at a storage URL: a random master key wrapped by the passphrase (fs-passphrase
in the authinfo file, or asked twice on the terminal), the parameters, and an empty root directory.
Refuses when a filesystem exists there unless --force (which deletes it first, and refuses while mounted).`,
    after: `
Examples:
  coffer mkfs local:///var/lib/coffer/store
  coffer mkfs --authfile /etc/coffer/authinfo --block-size 1M s3c://minio:9000/backups`,
  },
  mount: {
    description: `Mounts the filesystem at MOUNTPOINT. Every check (store reachable, passphrase, mount lock, empty
mount point) happens in the foreground; then a daemon serves the mount and the command returns once it is
usable. Only one mount of a filesystem at a time: a lock object in the store says where it is mounted.`,
    after: `
Examples:
  coffer mount local:///var/lib/coffer/store /mnt/coffer
  coffer mount --fg --allow-other --cachesize 20G s3://bucket/fs1 /srv/share   # under systemd`,
  },
  umount: {
    description: `Unmounts MOUNTPOINT and returns only once every dirty block and the metadata are stored, showing
progress on a terminal. A dead daemon's mount is cleared; its unsaved data is uploaded at the next mount.`,
    after: `
Example:
  coffer umount /mnt/coffer`,
  },
  flush: {
    description: `Stores every dirty block and the metadata of the mounted filesystem now, and returns when done.`,
    after: `
Example:
  coffer flush /mnt/coffer && echo "everything written so far is in the store"`,
  },
  stat: {
    description: `Shows what a mounted filesystem holds: entries, file sizes before and after deduplication and
compression, the cache and the bytes not stored yet.`,
    after: `
Examples:
  coffer stat /mnt/coffer
  coffer stat --json /mnt/coffer | jq .cache.dirtyBytes`,
  },
  fsck: {
    description: `Checks and repairs a filesystem that is not mounted (it takes the mount lock): the metadata database,
the directory tree, link and reference counts, the cache files and the store's data objects. On a terminal it
asks before each repair; --batch repairs without asking. Repairs are published as a new metadata generation.`,
    after: `
Examples:
  coffer fsck local:///var/lib/coffer/store
  coffer fsck --batch --authfile /etc/coffer/authinfo s3c://minio:9000/backups   # ExecStartPre`,
  },
  ctl: {
    description: `Controls a mounted filesystem through its daemon, with the meanings of S3QL's s3qlctrl: flush the
cache, drop it, store the metadata now, change the cache size, or change the log level. Only the user who
mounted it may do so (the control socket is owner-only).`,
    after: `
Examples:
  coffer ctl flushcache /mnt/coffer
  coffer ctl cachesize 20G /mnt/coffer`,
  },
  "ctl flushcache": {
    description: `Stores every dirty block and the metadata now and returns when they are in the store, with a
progress bar on a terminal. coffer flush MOUNTPOINT is the short form.`,
    after: `
Example:
  coffer ctl flushcache /mnt/coffer`,
  },
  "ctl dropcache": {
    description: `Flushes, then removes every cached block from the local cache; later reads download them again.
Useful to measure cold reads or to give the disk back without unmounting.`,
    after: `
Example:
  coffer ctl dropcache /mnt/coffer`,
  },
  "ctl upload-meta": {
    description: `Stores a metadata snapshot in the store now instead of at the next periodic upload, and prints
the version stored.`,
    after: `
Example:
  coffer ctl upload-meta /mnt/coffer`,
  },
  "ctl cachesize": {
    description: `Changes how much data the local cache keeps (e.g. 500M, 20G) until the next mount; clean
blocks beyond it are evicted, dirty ones are kept until stored. coffer stat shows the new limit.`,
    after: `
Example:
  coffer ctl cachesize 20G /mnt/coffer`,
  },
  "ctl log": {
    description: `Sets the daemon's log level: info (default) or debug, which adds an activity line (cache, dirty
data, uploads, store errors, metadata) to the daemon's log every few seconds.`,
    after: `
Example:
  coffer ctl log debug /mnt/coffer`,
  },
  dash: {
    description: `A live view of each mount: cache, upload queue, store health, metadata and space. When a mount
ends (coffer umount, a systemd stop) it shows the final flush and then says when it is safe to power off.
Keys: f flush, d drop the cache, m store metadata now, tab next mount, ? help, q quit. Without a terminal it
prints one plain line every few seconds and exits 0 when every mount ended with everything stored.`,
    after: `
Examples:
  coffer dash                       # every coffer mount on this machine
  coffer dash /mnt/coffer | logger -t coffer-dash   # plain lines for the journal`,
  },
  provision: {
    description: `Sets up the appliance for one filesystem: its authinfo section (/etc/coffer/authinfo, mode 600), a
systemd unit that mounts it at boot, and optionally a Samba share and an NFS export with drop-ins that start
the servers after the mount and stop them before it. Asks on the terminal for what its flags do not give;
creates the filesystem when the store holds none (after asking, or with --yes). Every file is checked
(systemd-analyze verify, testparm) before anything is written; --dry-run prints each file as a diff instead.`,
    after: `
Examples:
  coffer provision                                    # asks for everything
  coffer provision --storage-url s3://bucket/fs1 --mountpoint /srv/files --samba files --nfs 192.168.1.0/24 --yes
  coffer provision --dry-run --root /tmp/image --storage-url local:///var/lib/coffer/store --mountpoint /mnt/c`,
  },
  passphrase: {
    description: `Changes the passphrase: the master key is re-wrapped under the new passphrase (asked twice on the
terminal without echo, or read from the first line of --new-passphrase-file) and the old passphrase stops
opening the filesystem. No data object changes. Allowed while mounted: a running mount keeps working;
update fs-passphrase in the authinfo file before the next mount. The current passphrase comes from the
authinfo file or is asked for.`,
    after: `
Examples:
  coffer passphrase s3://bucket/fs1
  coffer passphrase --new-passphrase-file /root/new-pass s3://bucket/fs1

Note: someone who kept a copy of the old key object and knows the old passphrase still holds the master
key. If the passphrase leaked, also run coffer rotate-key --reencrypt.`,
  },
  "rotate-key": {
    description: `Adds a new master key to the key object; every object written from now on is sealed with it (its id
is in each object's header), and objects sealed with older keys stay readable. With --reencrypt every
older object is then re-sealed under the new key (same content, size and generation), and once no object
needs an older key the older keys are removed from the key object, so a leaked old key opens nothing.
Refused while mounted (the mount lock is held throughout). The first rotation moves the filesystem to
format version 2: Coffer versions before it cannot read it. Content ids (dedup) keep their key.`,
    after: `
Examples:
  coffer rotate-key s3://bucket/fs1                 # new key for new objects, instantly
  coffer rotate-key --reencrypt s3://bucket/fs1     # and rewrite every old object
  coffer rotate-key --resume s3://bucket/fs1        # finish an interrupted --reencrypt`,
  },
  backups: {
    description: `The metadata of a filesystem is uploaded as numbered generations; the newest 10 snapshots are kept,
with the data they name (deleted files included). These commands list them and make an older one current
again (undoing later changes).`,
    after: `
Examples:
  coffer backups list s3://bucket/fs1
  coffer backups restore s3://bucket/fs1 41`,
  },
  "backups list": {
    description: `Lists the metadata generations in the store, oldest first: number, the time of the newest change
each holds (UTC), the size it takes in the store, its entries, files and file bytes. Each generation is
downloaded to be read, so this takes a moment on large filesystems.`,
    after: `
Example:
  coffer backups list local:///var/lib/coffer/store`,
  },
  "backups restore": {
    description: `Makes generation GENERATION the current metadata. First it shows what is lost (every change after
that generation, with the files that disappear) and what comes back, then asks for "yes" unless --yes.
Deleted data stays in the store as long as a generation naming it is kept, so every listed generation
comes back with its data; only an object removed by other means (fsck, someone else) is reported as
missing (such files come back unreadable). Refused while the filesystem is mounted. The restored state is
published as a new generation, so the generations it replaces stay in the store (until rotated out) and
the restore can itself be undone. Cost: deleted data takes store space until its generation rotates out.`,
    after: `
Example:
  coffer backups list s3://bucket/fs1 && coffer backups restore s3://bucket/fs1 41`,
  },
  clear: {
    description: `Deletes a filesystem from its store: every data and metadata object, then the mount lock, then the
key object, with progress on a terminal; then this machine's cache of it. Asks you to type the storage URL
to confirm unless --yes. Refused while the filesystem is mounted (here or elsewhere). An interrupted clear
can be run again. The passphrase is checked first, so a mistyped URL cannot delete someone else's filesystem.`,
    after: `
Example:
  coffer clear local:///var/lib/coffer/old-store`,
  },
};

/** coffer cp, rm, lock, snapshot, expire: whole-tree operations on a mounted filesystem. */
const TREE_PAGES: Record<string, ManPage> = {
  cp: {
    description: `Copies directory SRC, with everything under it, to the new path DST in the same mounted
filesystem, copy-on-write: the copy gets its own inodes (attributes, xattrs, ACLs, symlinks and hard links
inside the tree kept) whose blocks name the same stored objects, so no data is read or stored and the time
taken grows with the number of entries, not their size. Blocks of SRC not stored yet are stored first. The
copy is independent afterwards: writing to either leaves the other unchanged. Like S3QL's s3qlcp.`,
    after: `
Examples:
  coffer cp /mnt/coffer/home /mnt/coffer/home-before-upgrade
  coffer cp /mnt/coffer/projects/site /mnt/coffer/projects/site-2026`,
  },
  rm: {
    description: `Removes directory DIR with everything under it in one step inside the daemon, without the kernel
walking the tree (much faster than rm -rf through the mount for large trees), and drops the kernel's cached
names for it. Files still open keep their data until closed, as after unlink. Locked trees (coffer lock)
can only be removed this way. The data of removed files leaves the store once no other file shares it,
after the next metadata upload (coffer flush makes that happen now). Like S3QL's s3qlrm.`,
    after: `
Example:
  coffer rm /mnt/coffer/.snapshots/home/2025-01-01_030000`,
  },
  lock: {
    description: `Makes directory DIR and everything under it immutable: writing, truncating, creating, renaming,
unlinking, chmod, chown, changing times or xattrs, and linking into it fail with "Operation not permitted"
(EPERM) for every user, root included; reading works. There is no unlock: only coffer rm removes a locked
tree. The lock is stored in the metadata, so it survives remounts. coffer stat shows how many trees are
locked; --status tells for each PATH whether it lies in one. Like S3QL's s3qllock.`,
    after: `
Examples:
  coffer lock /mnt/coffer/.snapshots/home/2026-12-02_030000
  coffer lock --status /mnt/coffer/.snapshots/home/2026-12-02_030000/notes.txt`,
  },
  snapshot: {
    description: `Takes a snapshot of directory DIR: a coffer cp into INTO/NAME/YYYY-MM-DD_HHMMSS (the UTC time),
where NAME is DIR's name and INTO defaults to MOUNTPOINT/.snapshots (created when missing). With --lock the
snapshot is made immutable. Prints the snapshot's path last. coffer provision --snapshots installs a
systemd timer that runs this daily, followed by coffer expire.`,
    after: `
Examples:
  coffer snapshot --lock /mnt/coffer/home
  coffer snapshot --into /mnt/coffer/backups /mnt/coffer/projects`,
  },
  expire: {
    description: `Removes, with coffer rm, the snapshots in DIR (folders named YYYY-MM-DD_HHMMSS by coffer snapshot;
other names are left alone) that the retention policy does not keep. For each PERIOD=COUNT in --keep, walking
back from the newest, the newest snapshot of each of the COUNT most recent periods (UTC calendar hours, days,
ISO weeks, months or years; "last" counts snapshots) that have one is kept; a snapshot kept by any period
stays. Lists every snapshot as keep or remove; --dry-run removes nothing. Like S3QL's expire_backups.`,
    after: `
Examples:
  coffer expire /mnt/coffer/.snapshots/home --keep daily=7,weekly=4,monthly=12
  coffer expire /mnt/coffer/.snapshots/home --keep last=3,yearly=5 --dry-run`,
  },
};
Object.assign(PAGES, TREE_PAGES);

const OVERVIEW = `
Storage URLs:
  local:///ABS/DIR                     a directory
  s3://BUCKET[/PREFIX]                 AWS S3 (also S3QL's s3://REGION/BUCKET/PREFIX)
  s3c://HOST[:PORT]/BUCKET[/PREFIX]    any S3-compatible service, path-style

Credentials and the passphrase never go on the command line: they come from an authinfo file
(--authfile, default ~/.coffer/authinfo, mode 600, S3QL's format) or are asked on the terminal.

Exit status: 0 on success; 1 when an operation failed; 2 for bad input or a refused operation (one line
on stderr names the problem and the fix). COFFER_DEBUG=1 adds stack traces.

Examples:
  coffer mkfs local:///var/lib/coffer/store
  coffer mount local:///var/lib/coffer/store /mnt/coffer
  coffer stat /mnt/coffer
  coffer umount /mnt/coffer

Run coffer help COMMAND for a command's description, options and examples.
Documentation: README.md and docs/ (design, format, concurrency, durability) in the source tree.`;

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Adds the man pages to every (sub)command that has one, and the overview and --version to the program. */
export function addManPages(program: Command): void {
  program.version(versionLine(), "-V, --version", "print the version of coffer and of Bun");
  program.addHelpText("after", OVERVIEW);
  const visit = (cmd: Command) => {
    const page = PAGES[pathOf(cmd)];
    if (page) {
      cmd.summary(cmd.description()); // the one-liner stays in the parent's command list
      cmd.description(page.description.replace(/\n/g, " ")); // one paragraph: commander wraps it to the terminal
      cmd.addHelpText("after", page.after);
    }
    cmd.commands.forEach(visit);
  };
  program.commands.forEach(visit);
}
