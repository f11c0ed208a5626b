// The dashboard's one state hook: subscribes to each mount's daemon and publishes views at most once per tick.
import { useCallback, useEffect, useRef, useState } from "react";
import { controlRequest, subscribe } from "../control/client.ts";
import { initialView, withEnd, withMessage, withSnapshot, type MountView } from "./model.ts";

/** The commands the keys send (a key = an entry here and in app.tsx). */
export type DashCommand = "flush" | "dropcache" | "upload-meta";

const DONE_MESSAGE: Record<DashCommand, string> = {
  flush: "flushed: every dirty block and the metadata are stored",
  dropcache: "flushed and dropped the cache",
  "upload-meta": "metadata snapshot stored",
};

export function useDashboard(mountpoints: string[], intervalMs: number): { views: MountView[]; run(index: number, command: DashCommand): void } {
  // Views change on every snapshot; React sees them once per tick, so redraws stay at 1000/intervalMs per second.
  const latest = useRef<MountView[]>(mountpoints.map(initialView));
  const changed = useRef(false);
  const [views, setViews] = useState<MountView[]>(latest.current);

  const update = useCallback((index: number, change: (view: MountView) => MountView) => {
    latest.current = latest.current.map((v, i) => (i === index ? change(v) : v));
    changed.current = true;
  }, []);

  useEffect(() => {
    const subscriptions = mountpoints.map((mp, i) => {
      const sub = subscribe(mp, intervalMs, (snapshot) => update(i, (v) => withSnapshot(v, snapshot)));
      void sub.ended.then((error) => update(i, (v) => withEnd(v, error?.message ?? null)));
      return sub;
    });
    const tick = setInterval(() => {
      if (!changed.current) return;
      changed.current = false;
      setViews(latest.current);
    }, intervalMs);
    return () => {
      clearInterval(tick);
      for (const sub of subscriptions) sub.close();
    };
  }, [mountpoints, intervalMs, update]);

  const run = useCallback((index: number, command: DashCommand) => {
    const mp = mountpoints[index];
    if (!mp) return;
    update(index, (v) => withMessage(v, `${command}: running…`));
    const request = command === "dropcache"
      ? controlRequest(mp, { op: "flush" }).then(() => controlRequest(mp, { op: "dropcache" }))
      : controlRequest(mp, { op: command });
    request.then(
      () => update(index, (v) => withMessage(v, `${mp}: ${DONE_MESSAGE[command]}`)),
      (error: Error) => update(index, (v) => withMessage(v, `${mp}: ${command} failed: ${error.message}`)),
    );
  }, [mountpoints, update]);

  return { views, run };
}
