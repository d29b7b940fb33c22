// Every error the canister answers, with its text, from one module. Callers branch
// on the variant; the text says what to fix.
import type { UploadError } from '../../candid/ic_upload.js';

export type { UploadError };
export type Result<T> = { Ok: T } | { Err: UploadError };

export function ok<T>(value: T): { Ok: T } {
  return { Ok: value };
}

/** Most answers list at most this many missing chunk indexes (`Incomplete`). */
export const MAX_MISSING_LISTED = 100;

export const errors = {
  anonymousCaller: (): UploadError => ({ Forbidden: 'the anonymous principal cannot begin an upload' }),
  notUploadOwner: (uploadId: bigint): UploadError => ({
    Forbidden: `upload ${uploadId} belongs to another principal`
  }),
  notBlobOwner: (blobId: bigint): UploadError => ({
    Forbidden: `blob ${blobId} belongs to another principal`
  }),
  notAssetOwner: (assetId: string): UploadError => ({
    Forbidden: `asset "${assetId}" belongs to another principal`
  }),
  uploadNotFound: (uploadId: bigint): UploadError => ({ NotFound: `no upload ${uploadId}` }),
  blobNotFound: (blobId: bigint): UploadError => ({ NotFound: `no blob ${blobId}` }),
  assetNotFound: (assetId: string): UploadError => ({ NotFound: `no asset "${assetId}"` }),
  textLength: (field: string, min: number, max: number, actual: number): UploadError => ({
    InvalidArgument: `${field} must be ${min}..=${max} bytes of UTF-8, got ${actual}`
  }),
  bytesLength: (field: string, min: number, max: number, actual: number): UploadError => ({
    InvalidArgument: `${field} must be ${min}..=${max} bytes, got ${actual}`
  }),
  digestLength: (field: string, actual: number): UploadError => ({
    InvalidArgument: `${field} must be 32 bytes (SHA-256), got ${actual}`
  }),
  zeroChunkSize: (): UploadError => ({ InvalidArgument: 'chunk_size must be at least 1' }),
  chunkSizeLimit: (chunkSize: number, max: number): UploadError => ({
    LimitExceeded: `chunk_size ${chunkSize} exceeds max_chunk_bytes ${max}`
  }),
  uploadSizeLimit: (size: bigint, max: bigint): UploadError => ({
    LimitExceeded: `size ${size} exceeds max_upload_bytes ${max}`
  }),
  chunkCountLimit: (count: bigint, max: number): UploadError => ({
    LimitExceeded: `the upload would have ${count} chunks, more than ${max}: use bigger chunks`
  }),
  openUploadsLimit: (max: number): UploadError => ({
    LimitExceeded: `the caller already has ${max} open uploads (max_open_uploads_per_caller): finish or abort one`
  }),
  canisterOpenUploadsLimit: (max: bigint): UploadError => ({
    LimitExceeded: `the canister already has ${max} open uploads (max_open_uploads): try again later`
  }),
  bytesPerCallerLimit: (held: bigint, size: bigint, max: bigint): UploadError => ({
    LimitExceeded: `the caller holds ${held} bytes; ${size} more would exceed max_bytes_per_caller ${max}`
  }),
  assetsPerCallerLimit: (max: bigint): UploadError => ({
    LimitExceeded: `the caller already has ${max} assets (max_assets_per_caller): delete one first`
  }),
  idempotencyMismatch: (uploadId: bigint): UploadError => ({
    InvalidArgument: `idempotency_key was used for upload ${uploadId} with other arguments`
  }),
  idempotencyClosed: (uploadId: bigint, state: string): UploadError => ({
    InvalidState: `idempotency_key was used for upload ${uploadId}, which is ${state}`
  }),
  variantsLimit: (assetId: string, max: number): UploadError => ({
    LimitExceeded: `asset "${assetId}" already has ${max} variants: replace or delete one`
  }),
  digestMissing: (): UploadError => ({
    InvalidArgument: 'sha256 must be given at begin or at finish'
  }),
  digestsDiffer: (): UploadError => ({
    InvalidArgument: 'the sha256 given at finish differs from the one given at begin'
  }),
  notOpen: (uploadId: bigint, state: string, action: string): UploadError => ({
    InvalidState: `upload ${uploadId} is ${state}: cannot ${action}`
  }),
  chunkOutOfRange: (index: number, chunkCount: number): UploadError => ({
    ChunkOutOfRange: { index, chunk_count: chunkCount }
  }),
  chunkSizeMismatch: (index: number, expected: number, actual: number): UploadError => ({
    ChunkSizeMismatch: { index, expected, actual }
  }),
  chunkConflict: (index: number): UploadError => ({ ChunkConflict: { index } }),
  incomplete: (missing: number[]): UploadError => ({ Incomplete: { missing } }),
  hashMismatch: (expected: Uint8Array, actual: Uint8Array): UploadError => ({
    HashMismatch: { expected, actual }
  }),
  hashPending: (hashed: number, chunkCount: number): UploadError => ({
    HashPending: { hashed, chunk_count: chunkCount }
  })
};
