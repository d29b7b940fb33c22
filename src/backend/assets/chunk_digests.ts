// Each chunk's own SHA-256, one home for them: certified HTTP serves a blob of several chunks as
// 206 pieces at chunk boundaries, each certified by its piece's digest (README, "Serving
// public assets"). Key = session key (32 bytes) ‖ chunk index (u32 BE) → 32 bytes, the chunks' own key:
// the rolling hash writes each digest at upload time, before the blob (and its id) exists, and a
// finished blob keeps its chunks — and so its digests — under its session key. A blob of one chunk
// needs none: its chunk's digest is the blob's. The digests go wherever the chunks go: BlobStore
// removes a chunk's digest with the chunk (aborted or expired uploads, freed blobs, garbage).
// Only uploads that finish public write them at upload (UploadSessions.wantsChunkDigest: each is
// a second SHA-256 pass); what one blob has is always a prefix of its chunks.
//
// `fill` covers blobs whose digests were not written at upload (finished private and made public
// later, or finished before the native hash): it computes them from the stored chunks with the
// native SHA-256, one call per chunk, from timer messages.
import { chunkKey } from '../keys.js';
import type { KeyValueStore } from '../kv.js';
import type { BlobRecord } from '../model/blob_record.js';
import type { BlobStore } from './blob_store.js';

export const CHUNK_DIGEST_BYTES = 32;

/** The SHA-256 of one chunk, or undefined when it could not be had now (a failed call). */
export type ChunkHasher = (bytes: Uint8Array) => Promise<Uint8Array | undefined>;

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

  /** Whether chunk `index` of an open upload has its digest. */
  hasForSession(sessionKey: Uint8Array, index: number): boolean {
    return this.store.containsKey(chunkKey(sessionKey, index));
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
   * Hashes the chunks whose digests are missing, in order, one call of `hashChunk` each (the
   * native method: a message of its own, so no message here grows with the blob). Stops, answering
   * false, when a call fails or the blob is gone (`alive`); answers true when the blob is complete.
   */
  async fill(blob: BlobRecord, hashChunk: ChunkHasher, alive: () => boolean): Promise<boolean> {
    for (let index = 0; index < blob.chunkCount; index++) {
      const key = chunkKey(blob.sessionKey, index);
      if (this.store.containsKey(key)) continue;
      const bytes = this.blobStore.get(blob.sessionKey, index);
      // A blob without its chunks is a bug; it is never served rather than trap here.
      if (bytes === undefined) return false;
      const digest = await hashChunk(bytes);
      // Freed while the call was out: its chunks (and their digests) are gone, keep none.
      if (digest === undefined || !alive()) return false;
      this.store.insert(key, digest);
    }
    return true;
  }

  /** Forgets one chunk's digest (with the chunk). */
  removeForSession(sessionKey: Uint8Array, index: number): void {
    this.store.remove(chunkKey(sessionKey, index));
  }
}
