// `coffer flush`: the short form of `coffer ctl flushcache` — stores every dirty block and the metadata now, and waits.
export { ctlFlushCache as flushCommand } from "./ctl.ts";
