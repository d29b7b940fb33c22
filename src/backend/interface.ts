// Domain records → the Candid contract's shapes (candid/ic_upload.ts). The principal type is
// passed in, so this module serves the canister (Azle's Principal for Azle's encoder, the bytes
// for its own Candid writers, uploads/*_wire.ts) and Node tests alike.
import type { Result } from './errors.js';
import type { AssetView } from './assets/catalogue.js';
import type { Limits as ContractLimits, Stats as ContractStats } from '../../candid/ic_upload.js';
import type { StatsView } from './stats.js';
import {
  ASSET_ID_MAX_BYTES,
  MAX_CHUNK_COUNT,
  MAX_VARIANTS_PER_ASSET,
  type Limits
} from './model/limits.js';
import type { BlobRecord } from './model/blob_record.js';
import type { SessionRecord } from './model/session_record.js';

export function toBlobInfo<P>(b: BlobRecord, principal: (bytes: Uint8Array) => P) {
  return {
    blob_id: b.blobId,
    owner: principal(b.owner),
    asset_id: b.assetId,
    variant: b.variant,
    file_name: b.fileName,
    content_type: b.contentType,
    size: b.size,
    sha256: b.sha256,
    chunk_size: b.chunkSize,
    chunk_count: b.chunkCount,
    created_at_ns: b.createdAtNs
  };
}

export function toUploadState(s: SessionRecord['state']) {
  if (s.kind === 'finished') return { Finished: s.blobId };
  if (s.kind === 'aborted') return { Aborted: null };
  return { Open: null };
}

export function toUploadStatus<P>(s: SessionRecord, principal: (bytes: Uint8Array) => P) {
  return {
    upload_id: s.uploadId,
    owner: principal(s.owner),
    asset_id: s.meta.assetId,
    variant: s.meta.variant,
    size: s.size,
    chunk_size: s.chunkSize,
    chunk_count: s.chunkCount,
    // A Uint32Array takes Candid's typed-array path: ~1,000 instructions an index in QuickJS
    // instead of ~300,000 for a plain array, so even 65,536 indexes fit a query's budget.
    received: Uint32Array.from(s.received.indexes()),
    hashed: s.hashed,
    state: toUploadState(s.state),
    expires_at_ns: s.expiresAtNs
  };
}

export function toAsset<P>(view: AssetView, principal: (bytes: Uint8Array) => P) {
  return {
    asset_id: view.asset.assetId,
    owner: principal(view.asset.owner),
    variants: view.blobs.map((b) => [b.variant, toBlobInfo(b, principal)] as [string, ReturnType<typeof toBlobInfo<P>>]),
    public: view.asset.public
  };
}

export function toLimits(l: Limits): ContractLimits {
  return {
    max_chunk_bytes: l.maxChunkBytes,
    max_upload_bytes: l.maxUploadBytes,
    max_chunks_per_upload: MAX_CHUNK_COUNT,
    upload_idle_timeout_s: l.uploadIdleTimeoutS,
    max_open_uploads_per_caller: l.maxOpenUploadsPerCaller,
    max_open_uploads: l.maxOpenUploads,
    max_variants_per_asset: MAX_VARIANTS_PER_ASSET,
    max_asset_id_bytes: ASSET_ID_MAX_BYTES,
    max_bytes_per_caller: l.maxBytesPerCaller === undefined ? [] : [l.maxBytesPerCaller],
    max_assets_per_caller: l.maxAssetsPerCaller === undefined ? [] : [l.maxAssetsPerCaller]
  };
}

export function mapOk<T, U>(result: Result<T>, f: (value: T) => U): Result<U> {
  return 'Ok' in result ? { Ok: f(result.Ok) } : result;
}

export function toStats(s: StatsView): ContractStats {
  return {
    open_uploads: BigInt(s.openUploads),
    blobs: BigInt(s.blobs),
    assets: BigInt(s.assets),
    stored_bytes: s.storedBytes,
    stable_memory_bytes: s.stableMemoryBytes,
    upgrade_instructions: s.upgradeInstructions === undefined ? [] : [s.upgradeInstructions]
  };
}
