// Checks that only check: each answers the error to return, or undefined. Nothing
// here changes state, so a failed check leaves the canister exactly as it was.
import type { BeginArgs } from '../../candid/ic_upload.js';
import { utf8 } from './encoding.js';
import { errors, type UploadError } from './errors.js';
import { chunkCountOf, chunkLength } from './session/service.js';
import {
  ASSET_ID_MAX_BYTES,
  CONTENT_TYPE_MAX_BYTES,
  FILE_NAME_MAX_BYTES,
  IDEMPOTENCY_KEY_MAX_BYTES,
  MAX_CHUNK_COUNT,
  SHA256_BYTES,
  VARIANT_MAX_BYTES,
  type Limits
} from './model/limits.js';
import type { SessionRecord } from './model/session_record.js';

/** BeginArgs with its optional bytes and flags unwrapped from Candid's `[] | [x]`. */
export type BeginInput = Omit<BeginArgs, 'sha256' | 'idempotency_key' | 'public'> & {
  sha256: Uint8Array | undefined;
  idempotency_key?: Uint8Array;
  public?: boolean;
};

function textBytes(field: string, value: string, min: number, max: number): UploadError | undefined {
  const length = utf8(value).length;
  return length < min || length > max ? errors.textLength(field, min, max, length) : undefined;
}

function bytesLength(field: string, value: Uint8Array, min: number, max: number): UploadError | undefined {
  return value.length < min || value.length > max ? errors.bytesLength(field, min, max, value.length) : undefined;
}

export function assertDigest(field: string, digest: Uint8Array | undefined): UploadError | undefined {
  return digest !== undefined && digest.length !== SHA256_BYTES ? errors.digestLength(field, digest.length) : undefined;
}

export function assertBeginArgs(args: BeginInput, limits: Limits): UploadError | undefined {
  return (
    textBytes('asset_id', args.asset_id, 1, ASSET_ID_MAX_BYTES) ??
    textBytes('variant', args.variant, 1, VARIANT_MAX_BYTES) ??
    textBytes('file_name', args.file_name, 0, FILE_NAME_MAX_BYTES) ??
    textBytes('content_type', args.content_type, 0, CONTENT_TYPE_MAX_BYTES) ??
    assertDigest('sha256', args.sha256) ??
    (args.idempotency_key !== undefined
      ? bytesLength('idempotency_key', args.idempotency_key, 1, IDEMPOTENCY_KEY_MAX_BYTES)
      : undefined) ??
    (args.chunk_size === 0 ? errors.zeroChunkSize() : undefined) ??
    (args.chunk_size > limits.maxChunkBytes ? errors.chunkSizeLimit(args.chunk_size, limits.maxChunkBytes) : undefined) ??
    (args.size > limits.maxUploadBytes ? errors.uploadSizeLimit(args.size, limits.maxUploadBytes) : undefined) ??
    assertChunkCount(chunkCountOf(args.size, args.chunk_size))
  );
}

function assertChunkCount(count: bigint): UploadError | undefined {
  return count > BigInt(MAX_CHUNK_COUNT) ? errors.chunkCountLimit(count, MAX_CHUNK_COUNT) : undefined;
}

/** Index in range and length exact for that index. */
export function assertChunk(session: SessionRecord, index: number, length: number): UploadError | undefined {
  if (index >= session.chunkCount) return errors.chunkOutOfRange(index, session.chunkCount);
  const expected = chunkLength(session, index);
  return length !== expected ? errors.chunkSizeMismatch(index, expected, length) : undefined;
}
