// The retention policy of coffer expire on synthetic calendars: exactly the expected snapshots are kept.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { parseKeepPolicy, parseSnapshotName, snapshotName, snapshotsToKeep } from "../../../src/fs/admin/retention.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const day = (iso: string, hour = 3) => new Date(`${iso}T${String(hour).padStart(2, "0")}:00:00Z`);
const kept = (times: Date[], policy: string) =>
  [...snapshotsToKeep(times, parseKeepPolicy(policy))].map((i) => times[i]!.toISOString().slice(0, 13)).sort();

/** One snapshot a day at 03:00 UTC for `n` days ending on `last`. */
function daily(last: string, n: number): Date[] {
  const end = day(last).getTime();
  return Array.from({ length: n }, (_, k) => new Date(end - k * 86_400_000)).reverse();
}

describe("snapshotsToKeep", () => {
  test("a year of daily snapshots, daily=7,weekly=4,monthly=12", () => {
    // 2026-12-02 is a Wednesday; ISO weeks start on Monday
    const expected = [
      "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31",
      "2026-09-30", "2026-10-31", // monthly: the last snapshot of each month (Nov and Dec come from daily)
      "2026-11-15", "2026-11-22", // weekly: the Sundays ending the two weeks before the daily ones
      "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", // daily
    ].map((d) => `${d}T03`);
    expect(kept(daily("2026-12-02", 400), "daily=7,weekly=4,monthly=12")).toEqual(expected);
  });

  test("several snapshots a day: the newest of each day counts; gaps skip to older buckets", () => {
    const times = [
      day("2026-03-01", 1), day("2026-03-01", 23),
      day("2026-03-04", 2), day("2026-03-04", 12), day("2026-03-04", 18),
      day("2026-03-09", 6), // a gap of days without snapshots
      day("2026-03-10", 0), day("2026-03-10", 9),
    ];
    expect(kept(times, "daily=3")).toEqual(["2026-03-04T18", "2026-03-09T06", "2026-03-10T09"]);
    expect(kept(times, "last=2")).toEqual(["2026-03-10T00", "2026-03-10T09"]);
    expect(kept(times, "hourly=2,daily=1")).toEqual(["2026-03-10T00", "2026-03-10T09"]);
    expect(kept(times, "daily=10")).toEqual(["2026-03-01T23", "2026-03-04T18", "2026-03-09T06", "2026-03-10T09"]);
  });

  test("ISO weeks across a year end: 2026-12-31 (Thu) and 2027-01-03 (Sun) share week 53", () => {
    const times = [day("2026-12-27"), day("2026-12-31"), day("2027-01-03"), day("2027-01-04")];
    expect(kept(times, "weekly=2")).toEqual(["2027-01-03T03", "2027-01-04T03"]);
    expect(kept(times, "yearly=2")).toEqual(["2026-12-31T03", "2027-01-04T03"]);
  });

  test("no snapshots keeps nothing; a policy that keeps nothing is refused", () => {
    expect(snapshotsToKeep([], { daily: 7 }).size).toBe(0);
    expect(() => parseKeepPolicy("daily=0")).toThrow(/keeps nothing/);
    expect(() => parseKeepPolicy("fortnightly=2")).toThrow(/PERIOD=COUNT/);
    expect(() => parseKeepPolicy("daily=x")).toThrow(/PERIOD=COUNT/);
    expect(() => parseKeepPolicy("daily=1=2")).toThrow(/PERIOD=COUNT/);
    expect(parseKeepPolicy(" daily=7, weekly=4 ")).toEqual({ daily: 7, weekly: 4 });
  });
});

describe("snapshot folder names", () => {
  test("round-trip in UTC, and other names are not snapshots", () => {
    const t = new Date("2026-12-02T05:10:07Z");
    expect(snapshotName(t)).toBe("2026-12-02_051007");
    expect(parseSnapshotName("2026-12-02_051007")?.getTime()).toBe(t.getTime());
    for (const other of ["latest", "2026-13-02_051007", "2026-02-30_000000", "2026-12-02_051007.tmp"]) expect(parseSnapshotName(other)).toBeNull();
  });
});
