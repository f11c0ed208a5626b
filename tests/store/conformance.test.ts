// Runs the backend conformance suite against memory, local and s3 (s3rver on 127.0.0.1, started here).
import { afterAll, setDefaultTimeout } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalBackend } from "../../src/fs/store/local.ts";
import { MemoryBackend } from "../../src/fs/store/memory.ts";
import { openBackend } from "../../src/fs/store/open.ts";
import { useS3rver } from "../support/s3rver.ts";
import { backendConformance } from "../suites/backend-conformance.ts";

setDefaultTimeout(120_000); // per file: bun test ignores bunfig's timeout (docs/testing.md)

const tmp = mkdtempSync(join(tmpdir(), "coffer-local-"));
const s3 = useS3rver("conformance");

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

backendConformance("memory", async (id) => new MemoryBackend(id));
backendConformance("local", async (id) => new LocalBackend(join(tmp, id)));
backendConformance("s3 (s3rver)", async (id) => {
  // Through openBackend (retry + limit), as the filesystem uses it: s3rver answers 500 now and then when
  // deletes race inside it (see ARCHITECTURE.md), and that is exactly what the retry decorator is for.
  return openBackend(s3().url("conformance", `${id}/`), s3().creds, { retry: { baseDelayMs: 20 } });
}, { noKeyBelowKey: true });
