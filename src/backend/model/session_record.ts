// Persisted: the sessions map, keyed by upload id — the generic session (session/record.ts) with
// the upload it is about as its meta, and the record's versioned encoding.
import { ChunkBitmap } from '../bitmap.js';
import { DecodeError, Reader, Writer } from '../encoding.js';
import type { Session, SessionCodec, SessionState } from '../session/record.js';
import { V2, version } from './format.js';

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

export type SessionRecord = Session<UploadMeta>;

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

export const sessionCodec: SessionCodec<UploadMeta> = { encode: encodeSession, decode: decodeSession };
