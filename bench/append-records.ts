// Appends N 4-byte records to one file with O_APPEND, one write(2) each (issue 11: 3 million took > 7 min).
// Usage: bun bench/append-records.ts DIR [N=300000]   (prints one JSON line; checks the file afterwards)
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync, constants } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const n = Number(process.argv[3] ?? 300_000);
if (!dir || !Number.isInteger(n) || n <= 0) {
  console.error("usage: bun bench/append-records.ts DIR [N]  (N a positive whole number of records)");
  process.exit(2);
}
const path = join(dir, `append-records.${process.pid}`);
const rec = new Uint8Array(4);
const view = new DataView(rec.buffer);
const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_TRUNC, 0o644);
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  view.setUint32(0, i, true);
  writeSync(fd, rec);
}
const writeS = (performance.now() - t0) / 1000;
closeSync(fd);
const closeS = (performance.now() - t0) / 1000 - writeS;
// every record present, in order
const size = statSync(path).size;
const data = readFileSync(path);
let bad = size === 4 * n ? -1 : 0;
for (let i = 0; bad < 0 && i < n; i++) if (data.readUInt32LE(4 * i) !== i) bad = i;
rmSync(path);
console.log(JSON.stringify({ test: "append_4b_records", records: n, s: +writeS.toFixed(2), close_s: +closeS.toFixed(3), per_s: Math.round(n / writeS), ok: bad < 0 }));
if (bad >= 0) process.exit(1);
