// The metadata schema (SQLite), one comment per table and column; bump SCHEMA_VERSION on any change.
//
// Conventions: ids are INTEGER PRIMARY KEY AUTOINCREMENT so they are never reused (NFS file handles and
// readdir cookies stay valid forever); timestamps are nanoseconds since the Unix epoch in a 64-bit
// INTEGER (read them with safe integers: they exceed 2^53); sizes and offsets are bytes. Foreign keys are
// documented, not enforced (the vfs layer keeps them consistent inside one synchronous transaction).

export const SCHEMA_VERSION = 1;

/** Inode number of the root directory (FUSE_ROOT_ID); it is the first row inserted into `inodes`. */
export const ROOT_INODE = 1;

export const SCHEMA_SQL = `
-- Filesystem-wide parameters, written at mkfs and never changed afterwards (except schema_version).
CREATE TABLE IF NOT EXISTS params (
  key   TEXT PRIMARY KEY,   -- parameter name: 'schema_version', 'block_size', 'created_ns'
  value TEXT NOT NULL       -- its value, as text (numbers in decimal)
) WITHOUT ROWID;

-- One row per file, directory, symlink, fifo, socket or device node.
CREATE TABLE IF NOT EXISTS inodes (
  id        INTEGER PRIMARY KEY AUTOINCREMENT, -- inode number = FUSE node id; never reused; 1 is the root
  mode      INTEGER NOT NULL, -- st_mode: file type bits (S_IFMT) and permission bits
  uid       INTEGER NOT NULL, -- owner user id
  gid       INTEGER NOT NULL, -- owner group id
  nlink     INTEGER NOT NULL, -- hard link count; directories: 2 + number of subdirectories. 0 = unlinked
                              -- but still open or looked up by the kernel (an orphan, purged when released
                              -- or at the next open of the filesystem)
  size      INTEGER NOT NULL, -- st_size in bytes: file length; symlink target length; 0 for directories
  rdev      INTEGER NOT NULL, -- device number for character/block devices, else 0
  atime_ns  INTEGER NOT NULL, -- last access time (ns); only changed explicitly (utimens): the fs is noatime
  mtime_ns  INTEGER NOT NULL, -- last data modification time (ns)
  ctime_ns  INTEGER NOT NULL, -- last status change time (ns)
  crtime_ns INTEGER NOT NULL  -- creation time (ns), informational
);

-- Directory entries: the name -> inode bindings. "." and ".." are not stored (synthesized by readdir).
CREATE TABLE IF NOT EXISTS entries (
  id     INTEGER PRIMARY KEY AUTOINCREMENT, -- stable entry id; readdir cookies are derived from it
  parent INTEGER NOT NULL, -- inodes.id of the directory holding the entry
  name   TEXT NOT NULL,    -- the file name (1..255 bytes, no '/' or NUL)
  inode  INTEGER NOT NULL, -- inodes.id the name refers to
  UNIQUE (parent, name)    -- lookup index; also forbids duplicate names
);
-- readdir walks a directory in entry-id order from a cookie: (parent, id) serves it without OFFSET scans.
CREATE INDEX IF NOT EXISTS entries_parent_id ON entries (parent, id);
-- Finds the entry (and so the parent) of a directory inode, for rename loop checks.
CREATE INDEX IF NOT EXISTS entries_inode ON entries (inode);

-- Symlink targets.
CREATE TABLE IF NOT EXISTS symlinks (
  inode  INTEGER PRIMARY KEY, -- inodes.id of the symlink
  target BLOB NOT NULL        -- the target path as raw bytes (UTF-8 of what the kernel sent)
);

-- Extended attributes (user.*, security.*, system.posix_acl_*, trusted.*), values up to 64 KiB.
CREATE TABLE IF NOT EXISTS xattrs (
  inode INTEGER NOT NULL, -- inodes.id
  name  TEXT NOT NULL,    -- full attribute name including its namespace prefix
  value BLOB NOT NULL,    -- the value, 0..65536 bytes
  PRIMARY KEY (inode, name)
) WITHOUT ROWID;

-- Stored objects holding one block's content each (deduplicated by content id).
CREATE TABLE IF NOT EXISTS objects (
  id           INTEGER PRIMARY KEY AUTOINCREMENT, -- object number, never reused; part of the object's key
  hash         TEXT NOT NULL,    -- keyed content id (hex) of the plaintext; finds duplicates
  refcount     INTEGER NOT NULL, -- number of blocks rows pointing here; 0 = unused, awaiting deletion
  size         INTEGER NOT NULL, -- plaintext length in bytes (a block's length, trailing zeros trimmed)
  stored_size  INTEGER NOT NULL, -- encoded (compressed + encrypted) length in bytes as stored
  stored       INTEGER NOT NULL, -- 1 = upload succeeded; 0 = upload started but not (known to be) finished
  zeroed_after INTEGER NOT NULL  -- newest metadata generation taken when refcount last became 0 (or the
                                 -- row was created): the object may be deleted from the store once a
                                 -- generation with a higher number (snapshot or log) has been shipped
);
CREATE INDEX IF NOT EXISTS objects_hash ON objects (hash);
-- The removal queue scans only unused objects.
CREATE INDEX IF NOT EXISTS objects_unused ON objects (zeroed_after) WHERE refcount = 0;

-- The block map: which object holds block blkno of a file. A missing row is a hole (reads as zeros).
-- A row only ever names an object whose upload succeeded, so every metadata snapshot is restorable.
CREATE TABLE IF NOT EXISTS blocks (
  inode  INTEGER NOT NULL, -- inodes.id of a regular file
  blkno  INTEGER NOT NULL, -- block index: bytes [blkno*block_size, (blkno+1)*block_size)
  object INTEGER NOT NULL, -- objects.id holding the block content (zero-padded to block_size when read)
  PRIMARY KEY (inode, blkno)
) WITHOUT ROWID;
-- Objects -> blocks, for fsck-style checks.
CREATE INDEX IF NOT EXISTS blocks_object ON blocks (object);

-- Local only (shipped images may carry rows; a restore deletes them): blocks whose cache file is newer than the block map.
-- Written when a block first goes dirty, deleted when its upload is committed; after a crash these rows
-- say which cache files must still be uploaded.
CREATE TABLE IF NOT EXISTS dirty_blocks (
  inode INTEGER NOT NULL, -- inodes.id
  blkno INTEGER NOT NULL, -- block index
  PRIMARY KEY (inode, blkno)
) WITHOUT ROWID;

-- Immutable trees (coffer lock): every entry under one of these directories refuses changes; only coffer rm
-- removes it. Added without a schema version bump: CREATE IF NOT EXISTS adds it to older databases as they open.
CREATE TABLE IF NOT EXISTS locked_trees (
  inode     INTEGER PRIMARY KEY, -- inodes.id of the locked directory (the root of the immutable tree)
  locked_ns INTEGER NOT NULL     -- when it was locked (ns since the epoch), informational
);

-- Objects taken out of 'objects' whose store deletion is in progress (a journal, so none leaks on a crash).
CREATE TABLE IF NOT EXISTS garbage (
  object INTEGER PRIMARY KEY, -- the former objects.id
  key    TEXT NOT NULL        -- its store key
);
`;
