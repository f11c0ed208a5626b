// Mount flags and fusermount3 options: nodev/nosuid unless --dev/--suid, and the atime policy.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mountFlags, mountOptions } from "../../../src/fs/fuse/device.ts";
import { MS_NOATIME, MS_NODEV, MS_NOSUID, MS_RELATIME, MS_STRICTATIME } from "../../../src/fs/fuse/libc.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

describe("mount flags", () => {
  test("default: nodev, nosuid, relatime", () => {
    expect(mountFlags({ mountpoint: "/m" })).toBe(MS_NODEV | MS_NOSUID | MS_RELATIME);
    expect(mountOptions({ mountpoint: "/m" }).split(",")).toEqual(["fsname=coffer", "nodev", "nosuid"]);
  });
  test("--dev and --suid lift nodev and nosuid; atime policies map to their flags", () => {
    expect(mountFlags({ mountpoint: "/m", dev: true })).toBe(MS_NOSUID | MS_RELATIME);
    expect(mountFlags({ mountpoint: "/m", dev: true, suid: true, atime: "noatime" })).toBe(MS_NOATIME);
    expect(mountFlags({ mountpoint: "/m", atime: "strictatime" })).toBe(MS_NODEV | MS_NOSUID | MS_STRICTATIME);
    expect(mountOptions({ mountpoint: "/m", dev: true, suid: true, atime: "noatime" }).split(",")).toEqual(["fsname=coffer", "dev", "suid", "noatime"]);
  });
  test("mount(2) options carry no flag words (flags go in the flags argument)", () => {
    expect(mountOptions({ mountpoint: "/m", dev: true, allowOther: true }, 7)).toBe(`fd=7,rootmode=40000,user_id=${process.getuid!()},group_id=${process.getgid!()},allow_other`);
  });
});
