// Human-readable numbers for command output: the same sizes the dashboard shows (defined there, below cli/).
export { formatBytes } from "../tui/text.ts";
