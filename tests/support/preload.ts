// Loaded before every test file (bunfig.toml [test] preload): the default timeout for tests and hooks.
//
// bunfig's own `[test] timeout` is not read by `bun test` (a test of 6 s failed at the 5 s default with it
// set), which is how the memfs xattr test, 2-4 s on a quiet machine, failed under load. 120 s keeps every
// test here well beyond 3x of what it takes on a loaded machine; slower ones set their own.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
