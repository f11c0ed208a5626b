// The vfs layer's public API for the composition root: create a filesystem in a store, open it as a CofferFs.
export { CofferFs, type CofferStats, type FlushProgress } from "./coffer-fs.ts";
export { createFilesystemOnStore, openCofferFs, DEFAULT_BLOCK_SIZE, type OpenCofferFsOptions } from "./open.ts";
export { MetadataChainError, MetadataRollbackError } from "../metadata/index.ts";
