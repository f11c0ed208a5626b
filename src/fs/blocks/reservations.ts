// fallocate reservations in the block cache: a cache file allocated to the whole block, space promised not data.
//
// A reserved block counts a whole block toward the cache size, and stays (is not evicted) while the block
// has no object: its space is promised, and a write into it later needs no more (docs/durability.md).
import { rmSync } from "node:fs";
import { FALLOC_KEEP_SIZE, fallocateFd } from "../fallocate.ts";

/** Bytes a cached block counts toward the cache size: its content, or the whole block when reserved. */
export const footprintOf = (size: number, reserved: boolean | undefined, blockSize: number): number =>
  reserved ? Math.max(size, blockSize) : size;

/** A cache file found at open that is allocated to the whole block but holds less was reserved (a clean unmount kept it). */
export const looksReserved = (st: { size: number; blocks: number }, blockSize: number): boolean =>
  st.size < blockSize && st.blocks * 512 >= blockSize;

/** Throws code ENOSPC when one more reserved block would take more than the cache size. */
export function checkReservationLimit(key: string, reservedBlocks: number, blockSize: number, maxBytes: number): void {
  if ((reservedBlocks + 1) * blockSize > maxBytes) {
    throw Object.assign(new Error(`cache: reserving block ${key} would exceed the cache size`), { code: "ENOSPC" });
  }
}

/** Allocates the whole block to an open cache file (KEEP_SIZE: it still reads as empty); removes the file if that fails. */
export function allocateReservation(fd: number, path: string, blockSize: number, close: () => void): void {
  try {
    fallocateFd(fd, FALLOC_KEEP_SIZE, 0, blockSize);
  } catch (error) {
    close();
    rmSync(path, { force: true });
    throw error;
  }
}
