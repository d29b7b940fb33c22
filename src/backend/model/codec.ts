// Versioned binary encodings of the persisted records (./types.ts). The first byte of each
// value is its format version; a decoder refuses versions it does not know.
import { ChunkBitmap } from '../bitmap.js';
import { DecodeError, Reader, Writer } from '../encoding.js';
import type {
  AssetRecord,
  BlobRecord,
  Counters,
  GarbageRecord,
  Limits,
  SessionRecord,
  SessionState
} from './types.js';
import { DEFAULT_LIMITS } from './types.js';

const V1 = 1;
/** Second versions add fields at the end; a V1 value decodes with their defaults. */
const V2 = 2;

function version(reader: Reader, what: string, newest = V1): number {
  const v = reader.u8();
  if (v < V1 || v > newest) throw new DecodeError(`${what} format version ${v} unknown`);
  return v;
}

function writeState(w: Writer, state: SessionState): void {
  if (state.kind === 'open') w.u8(0);
  else if (state.kind === 'finished') w.u8(1).u64(state.blobId);
  else w.u8(2);
}

function readState(r: Reader): SessionState {
  const tag = r.u8();
  if (tag === 0) return { kind: 'open' };
  if (tag === 1) return { kind: 'finished', blobId: r.u64() };
  if (tag === 2) return { kind: 'aborted' };
  throw new DecodeError(`session state tag ${tag}`);
}

export function encodeSession(s: SessionRecord): Uint8Array {
  const w = new Writer(256 + s.received.bits.length);
  w.u8(V2)
    .u64(s.uploadId)
    .bytes(s.owner)
    .fixed(s.sessionKey)
    .u64(s.size)
    .u32(s.chunkSize)
    .u32(s.chunkCount)
    .bytes(s.received.bits)
    .u32(s.receivedCount)
    .u32(s.hashed)
    .u32(s.hashedOffset)
    .u64(s.createdAtNs)
    .u64(s.updatedAtNs)
    .u64(s.expiresAtNs);
  writeState(w, s.state);
  w.text(s.meta.assetId)
    .text(s.meta.variant)
    .text(s.meta.fileName)
    .text(s.meta.contentType)
    .optional(s.meta.expectedSha256, (w2, d) => w2.fixed(d))
    .optional(s.meta.public, (w2, p) => w2.u8(p ? 1 : 0))
    .optional(s.meta.idempotencyKey, (w2, k) => w2.bytes(k));
  return w.finish();
}

export function decodeSession(bytes: Uint8Array): SessionRecord {
  const r = new Reader(bytes);
  const v = version(r, 'session', V2);
  const uploadId = r.u64();
  const owner = r.bytes();
  const sessionKey = r.fixed(32);
  const size = r.u64();
  const chunkSize = r.u32();
  const chunkCount = r.u32();
  const received = ChunkBitmap.fromBytes(r.bytes(), chunkCount);
  const record: SessionRecord = {
    uploadId,
    owner,
    sessionKey,
    size,
    chunkSize,
    chunkCount,
    received,
    receivedCount: r.u32(),
    hashed: r.u32(),
    hashedOffset: r.u32(),
    createdAtNs: r.u64(),
    updatedAtNs: r.u64(),
    expiresAtNs: r.u64(),
    state: readState(r),
    meta: {
      assetId: r.text(),
      variant: r.text(),
      fileName: r.text(),
      contentType: r.text(),
      expectedSha256: r.optional((r2) => r2.fixed(32)),
      public: undefined,
      idempotencyKey: undefined
    }
  };
  if (v >= V2) {
    record.meta.public = r.optional((r2) => r2.u8() === 1);
    record.meta.idempotencyKey = r.optional((r2) => r2.bytes());
  }
  r.end();
  return record;
}

export function encodeBlob(b: BlobRecord): Uint8Array {
  return new Writer(256)
    .u8(V1)
    .u64(b.blobId)
    .bytes(b.owner)
    .text(b.assetId)
    .text(b.variant)
    .text(b.fileName)
    .text(b.contentType)
    .u64(b.size)
    .fixed(b.sha256)
    .u32(b.chunkSize)
    .u32(b.chunkCount)
    .fixed(b.sessionKey)
    .u64(b.createdAtNs)
    .finish();
}

export function decodeBlob(bytes: Uint8Array): BlobRecord {
  const r = new Reader(bytes);
  version(r, 'blob');
  const record: BlobRecord = {
    blobId: r.u64(),
    owner: r.bytes(),
    assetId: r.text(),
    variant: r.text(),
    fileName: r.text(),
    contentType: r.text(),
    size: r.u64(),
    sha256: r.fixed(32),
    chunkSize: r.u32(),
    chunkCount: r.u32(),
    sessionKey: r.fixed(32),
    createdAtNs: r.u64()
  };
  r.end();
  return record;
}

export function encodeAsset(a: AssetRecord): Uint8Array {
  const w = new Writer(64 + 48 * a.variants.length).u8(V2).text(a.assetId).bytes(a.owner).u32(a.variants.length);
  for (const [variant, blobId] of a.variants) w.text(variant).u64(blobId);
  return w.u8(a.public ? 1 : 0).finish();
}

export function decodeAsset(bytes: Uint8Array): AssetRecord {
  const r = new Reader(bytes);
  const v = version(r, 'asset', V2);
  const assetId = r.text();
  const owner = r.bytes();
  const count = r.u32();
  const variants: Array<[string, bigint]> = [];
  for (let i = 0; i < count; i++) variants.push([r.text(), r.u64()]);
  const isPublic = v >= V2 ? r.u8() === 1 : false;
  r.end();
  return { assetId, owner, variants, public: isPublic };
}

/** Garbage V2 adds the stored-chunk bitmap; V1 records (all chunks stored) still decode. */
const GARBAGE_V2 = 2;

export function encodeGarbage(g: GarbageRecord): Uint8Array {
  const w = new Writer(48 + (g.stored?.bits.length ?? 0));
  if (g.stored === undefined) return w.u8(V1).fixed(g.sessionKey).u32(g.nextIndex).u32(g.chunkCount).finish();
  return w.u8(GARBAGE_V2).fixed(g.sessionKey).u32(g.nextIndex).u32(g.chunkCount).bytes(g.stored.bits).finish();
}

export function decodeGarbage(bytes: Uint8Array): GarbageRecord {
  const r = new Reader(bytes);
  const v = r.u8();
  if (v !== V1 && v !== GARBAGE_V2) throw new DecodeError(`garbage format version ${v} unknown`);
  const record: GarbageRecord = { sessionKey: r.fixed(32), nextIndex: r.u32(), chunkCount: r.u32() };
  if (v === GARBAGE_V2) record.stored = ChunkBitmap.fromBytes(r.bytes(), record.chunkCount);
  r.end();
  return record;
}

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

export function encodeCounters(c: Counters): Uint8Array {
  return new Writer(40).u8(V1).u64(c.nextUploadId).u64(c.nextBlobId).u64(c.storedBytes).u64(c.mapBytes).finish();
}

export function decodeCounters(bytes: Uint8Array): Counters {
  const r = new Reader(bytes);
  version(r, 'counters');
  const counters = { nextUploadId: r.u64(), nextBlobId: r.u64(), storedBytes: r.u64(), mapBytes: r.u64() };
  r.end();
  return counters;
}

/** A hash state saved in pre_upgrade: the frontier it belongs to, then the hasher's own export. */
export function encodeHashState(hashedBytes: bigint, state: Uint8Array): Uint8Array {
  return new Writer(16 + state.length).u8(V1).u64(hashedBytes).bytes(state).finish();
}

export function decodeHashState(bytes: Uint8Array): { hashedBytes: bigint; state: Uint8Array } {
  const r = new Reader(bytes);
  version(r, 'hash state');
  const value = { hashedBytes: r.u64(), state: r.bytes() };
  r.end();
  return value;
}
