// The metadata module's public surface: the one owner of the metadata's life, and the generation API for fsck and admin tools.
export { FsMetadata, type OpenMetadataOptions } from "./fs-metadata.ts";
export { DEFAULT_METADATA_INTERVAL_MS, MetadataShipper } from "./shipper.ts";
export { FsParamsError, FsParamsSchema, type FsParams, readParams } from "./params.ts";
export { type LocalState, readLocalState, writeLocalState } from "./local-state.ts";
export { metadataPath, prepareLocalCopy } from "./local-copy.ts";
export {
  type LoadedGeneration, MetadataChainError, MetadataRollbackError, type StoreGenerations,
  listGenerations, loadGeneration, loadNewestGeneration, publishImage, restorable, restoreGeneration,
} from "./generations.ts";
