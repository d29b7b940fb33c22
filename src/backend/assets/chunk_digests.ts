// Each chunk's own SHA-256, one home for them: certified HTTP serves a blob of several chunks as
// 206 pieces at chunk boundaries, each certified by its piece's digest (DESIGN.md, "HTTP
// serving"). Key = blob id (u64 BE) ‖ chunk index (u32 BE) → 32 bytes, so a blob's digests sort
// together by index. A blob of one chunk needs none: its chunk's digest is the blob's.
//
// Today the digests are computed from the stored chunks when a blob is about to be served
// (`fill`, budgeted, from timer messages); a hashing path that already sees each chunk whole can
// `put` them at upload instead, and `fill` then finds nothing left to do.
import { u64Key } from '../encoding.js';
import { sha256 } from '../hash/sha256.js';
import type { KeyValueStore } from '../kv.js';
import type { BlobRecord } from '../model/types.js';
import type { BlobStore } from './blob_store.js';

export const CHUNK_DIGEST_BYTES = 32;

function digestKey(blobId: bigint, index: number): Uint8Array {
  const key = new Uint8Array(12);
  key.set(u64Key(blobId), 0);
  new DataView(key.buffer).setUint32(8, index, false);
  return key;
}

/** Answers true while the current message may hash `bytes` more bytes. */
export type HashAllowance = (bytes: number) => boolean;

export class ChunkDigests {
  constructor(
    private readonly store: KeyValueStore,
    private readonly blobStore: BlobStore
  ) {}

  /** Records chunk `index`'s digest (from whoever hashed it). */
  put(blobId: bigint, index: number, digest: Uint8Array): void {
    this.store.insert(digestKey(blobId, index), digest);
  }

  /** The digest of chunk `index`, if known. */
  get(blob: BlobRecord, index: number): Uint8Array | undefined {
    if (blob.chunkCount <= 1) return index === 0 ? blob.sha256 : undefined;
    return this.store.get(digestKey(blob.blobId, index));
  }

  /** Whether every chunk's digest is known (`fill` writes them in order, so the last one says it). */
  complete(blob: BlobRecord): boolean {
    return blob.chunkCount <= 1 || this.store.containsKey(digestKey(blob.blobId, blob.chunkCount - 1));
  }

  /**
   * Hashes the chunks whose digests are missing, in order, while `allowance` lets it (asked
   * before each chunk). Answers true when the blob is complete.
   */
  fill(blob: BlobRecord, allowance: HashAllowance): boolean {
    for (let index = 0; index < blob.chunkCount; index++) {
      const key = digestKey(blob.blobId, index);
      if (this.store.containsKey(key)) continue;
      const bytes = this.blobStore.get(blob.sessionKey, index);
      // A blob without its chunks is a bug; it is never served rather than trap here.
      if (bytes === undefined) return false;
      if (!allowance(bytes.length)) return false;
      this.store.insert(key, sha256(bytes));
    }
    return true;
  }

  /** Forgets a freed blob's digests. */
  remove(blob: BlobRecord): void {
    if (blob.chunkCount <= 1) return;
    for (let index = 0; index < blob.chunkCount; index++) this.store.remove(digestKey(blob.blobId, index));
  }
}
