// Platform-neutral entry: the engine and its interfaces. `./node/index.js` and
// `./browser/index.js` re-export all of this plus the platform's sources, journal and deriver.
export * from './types.js';
export * from './errors.js';
export { classify, classifyTextOnlyError, type ErrorClassification } from './agent_errors.js';
export * from './retry.js';
export * from './bytes.js';
export { asBytes, bytesEqual, fromHex, toHex } from '../shared/bytes.js';
export * from './journal.js';
export * from './derivatives.js';
export * from './download.js';
export * from './visibility.js';
export { ProgressTracker } from './progress.js';
export { Limiter } from './pool.js';
export { listAllAssets, LIST_PAGE_SIZE } from './listing.js';
export { assetUrl, type AssetUrlOptions } from './asset_url.js';
export { Uploader, type AssetOutcome, type UploaderOptions, type UploadItem, type UploadRunOptions } from './uploader.js';
export { decodedKeyBlsVerify, rememberingBlsVerify, wasmBlsVerify, DECODED_KEYS, REMEMBERED_SIGNATURES, type BlsVerify } from './verified_signatures.js';
