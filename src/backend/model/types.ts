// Types of the upload canister, split as STYLE.md 4 suggests: persisted (stable memory, encoded by
// ./codec.ts), runtime (heap only) and the limits. Interface (Candid) types are the contract's,
// in candid/ic_upload.ts.
import type { ChunkBitmap } from '../bitmap.js';

/** What a session is about: everything the generic session layer carries without reading. */
export interface UploadMeta {
  assetId: string;
  variant: string;
  fileName: string;
  contentType: string;
  /** The digest given at begin, if any. */
  expectedSha256: Uint8Array | undefined;
  /** On finish the asset becomes public (true) or private (false); undefined leaves it. */
  public: boolean | undefined;
  /** The caller's idempotency key for this begin, if any. */
  idempotencyKey: Uint8Array | undefined;
}

export type SessionState = { kind: 'open' } | { kind: 'finished'; blobId: bigint } | { kind: 'aborted' };

/** Persisted: sessions map, keyed by upload id. */
export interface SessionRecord {
  uploadId: bigint;
  owner: Uint8Array;
  sessionKey: Uint8Array;
  size: bigint;
  chunkSize: number;
  chunkCount: number;
  received: ChunkBitmap;
  receivedCount: number;
  /** Frontier: chunks 0..hashed-1 are fully hashed, plus hashedOffset bytes of chunk `hashed`. */
  hashed: number;
  hashedOffset: number;
  createdAtNs: bigint;
  updatedAtNs: bigint;
  expiresAtNs: bigint;
  state: SessionState;
  meta: UploadMeta;
}

/** Persisted: blobs map, keyed by blob id. The blob's chunks stay under its session key. */
export interface BlobRecord {
  blobId: bigint;
  owner: Uint8Array;
  assetId: string;
  variant: string;
  fileName: string;
  contentType: string;
  size: bigint;
  sha256: Uint8Array;
  chunkSize: number;
  chunkCount: number;
  sessionKey: Uint8Array;
  createdAtNs: bigint;
}

/** Persisted: assets map, keyed by asset id (UTF-8). Variants sorted by name. */
export interface AssetRecord {
  assetId: string;
  owner: Uint8Array;
  variants: Array<[variant: string, blobId: bigint]>;
  /** Served over HTTP only when public (DESIGN.md, "Visibility"). */
  public: boolean;
}

/** Persisted: chunks still to be freed (a large blob is freed in budgeted slices). */
export interface GarbageRecord {
  sessionKey: Uint8Array;
  nextIndex: number;
  chunkCount: number;
  /**
   * The chunks stored, when not all of them (an aborted or expired upload): freeing visits only
   * these instead of looking up every index. Absent: chunks 0..chunkCount-1 (a finished blob).
   */
  stored?: ChunkBitmap;
}

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

/** Persisted: counters kept in the config map. */
export interface Counters {
  nextUploadId: bigint;
  nextBlobId: bigint;
  /** Chunk bytes currently in stable memory (open uploads, blobs, and garbage not yet freed). */
  storedBytes: bigint;
  /**
   * Bytes of every key and value in this canister's stable maps (answered as stats'
   * stable_memory_bytes: a logical total, not the stable memory's size — see Backend.stats).
   */
  mapBytes: bigint;
}
