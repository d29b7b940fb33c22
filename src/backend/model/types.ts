// The asset and blob records under the name some modules import them by; each record, with its
// codec, has its own file in this folder.
export type { AssetRecord } from './asset_record.js';
export type { BlobRecord } from './blob_record.js';
