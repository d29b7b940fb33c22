// Each chunk's own SHA-256, one home for them: certified HTTP serves a blob of several chunks as
// 206 pieces at chunk boundaries, each certified by its piece's digest (DESIGN.md, "HTTP
// serving"). Key = session key (32 bytes) ‖ chunk index (u32 BE) → 32 bytes, the chunks' own key:
// the rolling hash writes each digest at upload time, before the blob (and its id) exists, and a
// finished blob keeps its chunks — and so its digests — under its session key. A blob of one chunk
// needs none: its chunk's digest is the blob's. The digests go wherever the chunks go: BlobStore
// removes a chunk's digest with the chunk (aborted or expired uploads, freed blobs, garbage).
//
// `fill` covers blobs whose digests were not written at upload (finished before the native hash):
// it computes them from the stored chunks, budgeted, from timer messages.
import { chunkKey } from '../keys.js';
import { sha256 } from '../hash/sha256.js';
import type { KeyValueStore } from '../kv.js';
import type { BlobRecord } from '../model/blob_record.js';
import type { BlobStore } from './blob_store.js';

export const CHUNK_DIGEST_BYTES = 32;

/** Answers true while the current message may hash `bytes` more bytes. */
export type HashAllowance = (bytes: number) => boolean;

export class ChunkDigests {
  constructor(
    private readonly store: KeyValueStore,
    private readonly blobStore: BlobStore
  ) {}

  /** Records chunk `index`'s digest for a blob (from whoever hashed it). */
  put(blob: BlobRecord, index: number, digest: Uint8Array): void {
    this.putForSession(blob.sessionKey, index, digest);
  }

  /** Records chunk `index`'s digest while its upload is open (the rolling hash). */
  putForSession(sessionKey: Uint8Array, index: number, digest: Uint8Array): void {
    this.store.insert(chunkKey(sessionKey, index), digest);
  }

  /** The digest of chunk `index` of an open upload, if known. */
  getForSession(sessionKey: Uint8Array, index: number): Uint8Array | undefined {
    return this.store.get(chunkKey(sessionKey, index));
  }

  /** The digest of chunk `index`, if known. */
  get(blob: BlobRecord, index: number): Uint8Array | undefined {
    if (blob.chunkCount <= 1) return index === 0 ? blob.sha256 : undefined;
    return this.store.get(chunkKey(blob.sessionKey, index));
  }

  /** Whether every chunk's digest is known (both writers go in index order, so the last one says it). */
  complete(blob: BlobRecord): boolean {
    return blob.chunkCount <= 1 || this.store.containsKey(chunkKey(blob.sessionKey, blob.chunkCount - 1));
  }

  /**
   * Hashes the chunks whose digests are missing, in order, while `allowance` lets it; the first
   * chunk of a call is always hashed (one chunk of at most 2 MB costs well under an update's
   * limit), so every call makes progress. Answers true when the blob is complete.
   */
  fill(blob: BlobRecord, allowance: HashAllowance): boolean {
    let hashed = 0;
    for (let index = 0; index < blob.chunkCount; index++) {
      const key = chunkKey(blob.sessionKey, index);
      if (this.store.containsKey(key)) continue;
      const bytes = this.blobStore.get(blob.sessionKey, index);
      // A blob without its chunks is a bug; it is never served rather than trap here.
      if (bytes === undefined) return false;
      if (hashed > 0 && !allowance(bytes.length)) return false;
      this.store.insert(key, sha256(bytes));
      hashed++;
    }
    return true;
  }

  /** Forgets a blob's digests (BlobStore does this chunk by chunk as it frees them). */
  remove(blob: BlobRecord): void {
    if (blob.chunkCount <= 1) return;
    for (let index = 0; index < blob.chunkCount; index++) this.removeForSession(blob.sessionKey, index);
  }

  /** Forgets one chunk's digest (with the chunk). */
  removeForSession(sessionKey: Uint8Array, index: number): void {
    this.store.remove(chunkKey(sessionKey, index));
  }
}
