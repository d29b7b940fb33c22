// Persisted: the limits kept in the config map (InitArgs applied to the defaults) and their
// versioned encoding; and the fixed limits of the contract.
import { Reader, Writer } from '../encoding.js';
import { V2, version } from './format.js';

export interface Limits {
  maxChunkBytes: number;
  maxUploadBytes: bigint;
  uploadIdleTimeoutS: bigint;
  maxOpenUploadsPerCaller: number;
  /** Open uploads in the whole canister: post_upgrade's work is bounded by this. */
  maxOpenUploads: bigint;
  /** Stored bytes (blobs and open uploads' declared sizes) one owner may hold; undefined: no limit. */
  maxBytesPerCaller: bigint | undefined;
  /** Assets one owner may hold; undefined: no limit. */
  maxAssetsPerCaller: bigint | undefined;
}

export const DEFAULT_LIMITS: Limits = {
  maxChunkBytes: 2_000_000,
  maxUploadBytes: 2n * 1024n * 1024n * 1024n,
  uploadIdleTimeoutS: 900n,
  maxOpenUploadsPerCaller: 16,
  maxOpenUploads: 10_000n,
  maxBytesPerCaller: undefined,
  maxAssetsPerCaller: undefined
};

/**
 * The received bitmap is rewritten with its session record on every put_chunk, so the number of
 * chunks is bounded: 65,536 chunks is an 8 KiB bitmap (a 2 GiB upload needs ≥ 32 KiB chunks).
 */
export const MAX_CHUNK_COUNT = 65_536;

/** get_asset answers every variant with its BlobInfo: the reply must stay small. */
export const MAX_VARIANTS_PER_ASSET = 32;

export const ASSET_ID_MAX_BYTES = 256;
export const VARIANT_MAX_BYTES = 32;
export const FILE_NAME_MAX_BYTES = 1024;
export const CONTENT_TYPE_MAX_BYTES = 256;
export const SHA256_BYTES = 32;
export const IDEMPOTENCY_KEY_MAX_BYTES = 32;

/** Finished and aborted session records are kept this long after they close, then pruned. */
export const CLOSED_SESSION_RETENTION_NS = 24n * 3600n * 1_000_000_000n;

export function encodeLimits(l: Limits): Uint8Array {
  return new Writer(64)
    .u8(V2)
    .u32(l.maxChunkBytes)
    .u64(l.maxUploadBytes)
    .u64(l.uploadIdleTimeoutS)
    .u32(l.maxOpenUploadsPerCaller)
    .u64(l.maxOpenUploads)
    .optional(l.maxBytesPerCaller, (w, n) => w.u64(n))
    .optional(l.maxAssetsPerCaller, (w, n) => w.u64(n))
    .finish();
}

export function decodeLimits(bytes: Uint8Array): Limits {
  const r = new Reader(bytes);
  const v = version(r, 'limits', V2);
  const limits: Limits = {
    maxChunkBytes: r.u32(),
    maxUploadBytes: r.u64(),
    uploadIdleTimeoutS: r.u64(),
    maxOpenUploadsPerCaller: r.u32(),
    maxOpenUploads: DEFAULT_LIMITS.maxOpenUploads,
    maxBytesPerCaller: undefined,
    maxAssetsPerCaller: undefined
  };
  if (v >= V2) {
    limits.maxOpenUploads = r.u64();
    limits.maxBytesPerCaller = r.optional((r2) => r2.u64());
    limits.maxAssetsPerCaller = r.optional((r2) => r2.u64());
  }
  r.end();
  return limits;
}
