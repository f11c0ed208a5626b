// The interactive dashboard: the state hook, the keys and the terminal size, handed to <Dashboard> as plain props.
import React, { useState } from "react";
import { useApp, useInput, useWindowSize } from "ink";
import { Dashboard } from "./dashboard.tsx";
import { useDashboard } from "./use-dashboard.ts";

export function App(p: { mountpoints: string[]; intervalMs: number }) {
  const { views, run } = useDashboard(p.mountpoints, p.intervalMs);
  // Until the user presses tab, show the first mount whose daemon answers (found mounts may be dead ones).
  const [chosen, setChosen] = useState<number | null>(null);
  const selected = chosen ?? Math.max(0, views.findIndex((v) => v.status !== "connecting" && v.status !== "unreachable"));
  const [showHelp, setShowHelp] = useState(false);
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  useInput((input, key) => {
    if (input === "q" || (key.ctrl && input === "c")) exit();
    else if (input === "?") setShowHelp((h) => !h);
    else if (key.tab) setChosen((selected + 1) % Math.max(1, views.length));
    else if (input === "f") run(selected, "flush");
    else if (input === "d") run(selected, "dropcache");
    else if (input === "m") run(selected, "upload-meta");
  });
  return <Dashboard views={views} selected={selected} width={columns} height={rows} intervalMs={p.intervalMs} showHelp={showHelp} now={Date.now()} />;
}
