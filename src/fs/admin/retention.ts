// Snapshot retention (coffer expire): which dated snapshots a --keep policy keeps — a pure function of times.
import { z } from "zod";

export const PERIODS = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;
export type Period = (typeof PERIODS)[number];
export type KeepPolicy = Partial<Record<Period, number>>;

const KeepItem = z.tuple([z.enum(PERIODS), z.coerce.number().int().min(0).max(100_000)]);

/** Parses "daily=7,weekly=4,monthly=12"; throws an Error naming the bad part and the accepted form. */
export function parseKeepPolicy(text: string): KeepPolicy {
  const policy: KeepPolicy = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const parsed = KeepItem.safeParse(part.split("="));
    if (!parsed.success || part.split("=").length !== 2) {
      throw new Error(`--keep: "${part}" is not PERIOD=COUNT; periods are ${PERIODS.join(", ")}, e.g. --keep daily=7,weekly=4,monthly=12`);
    }
    policy[parsed.data[0]] = parsed.data[1];
  }
  if (Object.values(policy).every((n) => !n)) throw new Error("--keep keeps nothing; give at least one PERIOD=COUNT above 0, e.g. --keep daily=7");
  return policy;
}

/** The UTC calendar bucket a time falls in for a period ("last": every snapshot is its own bucket). */
function bucket(period: Period, t: Date, index: number): string {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + 1;
  const d = t.getUTCDate();
  switch (period) {
    case "last": return String(index);
    case "hourly": return `${y}-${m}-${d}T${t.getUTCHours()}`;
    case "daily": return `${y}-${m}-${d}`;
    case "monthly": return `${y}-${m}`;
    case "yearly": return String(y);
    case "weekly": {
      // ISO 8601 week: the week belongs to the year of its Thursday
      const thursday = new Date(Date.UTC(y, m - 1, d + 3 - ((t.getUTCDay() + 6) % 7)));
      const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
      return `${thursday.getUTCFullYear()}-W${Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1}`;
    }
  }
}

/**
 * Indexes (into `times`) of the snapshots to keep. For each period with count N, walking from the newest
 * snapshot back, the newest snapshot of each of the N most recent calendar buckets that hold one is kept
 * (as restic's forget and S3QL's expire_backups do by period); the union over the periods is kept.
 */
export function snapshotsToKeep(times: Date[], policy: KeepPolicy): Set<number> {
  const order = times.map((t, i) => i).sort((a, b) => times[b]!.getTime() - times[a]!.getTime());
  const keep = new Set<number>();
  for (const period of PERIODS) {
    const want = policy[period] ?? 0;
    const seen = new Set<string>();
    for (const i of order) {
      if (seen.size >= want) break;
      const key = bucket(period, times[i]!, i);
      if (seen.has(key)) continue;
      seen.add(key);
      keep.add(i);
    }
  }
  return keep;
}

/** The folder name coffer snapshot gives a snapshot taken at `t`: 2026-12-02_051000 (UTC), sortable. */
export function snapshotName(t: Date): string {
  const iso = t.toISOString(); // 2026-12-02T05:10:00.000Z
  return `${iso.slice(0, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** The time a snapshot folder name stands for, or null for a name coffer snapshot does not make. */
export function parseSnapshotName(name: string): Date | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)_(\d\d)(\d\d)(\d\d)$/.exec(name);
  if (!m) return null;
  const t = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return snapshotName(t) === name ? t : null;
}
