// The interactive dashboard: the state hook, the keys and the terminal size, handed to <Dashboard> as plain props.
import React, { useState } from "react";
import { useApp, useInput, useWindowSize } from "ink";
import { Dashboard } from "./dashboard.tsx";
import { useDashboard } from "./use-dashboard.ts";

export function App(p: { mountpoints: string[]; intervalMs: number }) {
  const { views, run } = useDashboard(p.mountpoints, p.intervalMs);
  const [selected, setSelected] = useState(0);
  const [showHelp, setShowHelp] = useState(false);
  const { exit } = useApp();
  const { columns } = useWindowSize();
  useInput((input, key) => {
    if (input === "q" || (key.ctrl && input === "c")) exit();
    else if (input === "?") setShowHelp((h) => !h);
    else if (key.tab) setSelected((s) => (s + 1) % Math.max(1, views.length));
    else if (input === "f") run(selected, "flush");
    else if (input === "d") run(selected, "dropcache");
    else if (input === "m") run(selected, "upload-meta");
  });
  return <Dashboard views={views} selected={selected} width={columns} showHelp={showHelp} now={Date.now()} />;
}
