// The blob sink (DESIGN.md): chunks go straight into stable memory under
// session key ‖ index, as they arrived, with no heap buffering. A finished blob keeps its chunks
// under its session key, so finishing copies nothing. Freeing is budgeted: a large blob is
// removed in slices, the rest recorded in the garbage map and finished by a timer.
//
// Chunks are kept in three maps by size. ic-stable-structures 0.6 (inside Azle) writes every
// value of a B-tree node again when one entry of the node changes, so a 10 KB chunk stored beside
// 1.9 MB ones read and wrote about a megabyte of stable memory, and small uploads grew several
// times dearer once a canister held large files. Within a class, neighbours are of a like size.
import type { ChunkBitmap } from '../bitmap.js';
import { bytesEqual } from '../../shared/bytes.js';
import { chunkKey } from '../keys.js';
import type { KeyValueStore } from '../kv.js';
import { decodeGarbage, encodeGarbage } from '../model/garbage_record.js';

export interface StoredBytesTally {
  addStored(delta: number): void;
}

/** Answers true while the current message may keep removing chunks. */
export type FreeBudget = () => boolean;

/** The chunk maps by size class (memory.ts): up to 64 KiB, up to 512 KiB, and larger. */
export interface ChunkMaps {
  small: KeyValueStore;
  medium: KeyValueStore;
  /** Also every chunk stored before the classes existed, whatever its size. */
  large: KeyValueStore;
}

const SMALL_CHUNK_BYTES = 64 * 1024;
const MEDIUM_CHUNK_BYTES = 512 * 1024;

export class BlobStore {
  /** Smallest class first: the order a lookup tries them in. */
  private readonly classes: readonly KeyValueStore[];

  constructor(
    private readonly chunks: ChunkMaps,
    private readonly garbage: KeyValueStore,
    private readonly tally: StoredBytesTally,
    /** Hears of each chunk removed, so what is kept beside a chunk (its digest) goes with it. */
    private readonly removedChunk: (sessionKey: Uint8Array, index: number) => void = () => {}
  ) {
    this.classes = [chunks.small, chunks.medium, chunks.large];
  }

  /** Stores a chunk at an index the session has not received yet. */
  store(sessionKey: Uint8Array, index: number, bytes: Uint8Array): void {
    const { small, medium, large } = this.chunks;
    const map = bytes.length <= SMALL_CHUNK_BYTES ? small : bytes.length <= MEDIUM_CHUNK_BYTES ? medium : large;
    const previous = map.insert(chunkKey(sessionKey, index), bytes);
    this.tally.addStored(bytes.length - (previous?.length ?? 0));
  }

  /** Compares a resent chunk with the stored one; changes nothing. */
  compare(sessionKey: Uint8Array, index: number, bytes: Uint8Array): 'same' | 'conflict' | 'missing' {
    const existing = this.get(sessionKey, index);
    if (existing === undefined) return 'missing';
    return bytesEqual(existing, bytes) ? 'same' : 'conflict';
  }

  /**
   * A chunk is in one class's map, the one its size chose when it was stored (or the large map,
   * if stored before the classes): a miss in a smaller class costs one descent of a small tree.
   */
  get(sessionKey: Uint8Array, index: number): Uint8Array | undefined {
    const key = chunkKey(sessionKey, index);
    for (const map of this.classes) {
      const found = map.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Removes a session's chunks while `budget` allows: those marked in `stored` if given (an
   * aborted upload may have received few of its chunks; looking up every index would cost a
   * B-tree search each), else 0..chunkCount-1. What is left is recorded as garbage, with the
   * bitmap. Answers true when everything was removed now.
   */
  free(sessionKey: Uint8Array, chunkCount: number, budget: FreeBudget, stored?: ChunkBitmap): boolean {
    const next = this.removeRange(sessionKey, 0, chunkCount, budget, stored);
    if (next >= chunkCount) return true;
    this.garbage.insert(sessionKey, encodeGarbage({ sessionKey, nextIndex: next, chunkCount, stored }));
    return false;
  }

  hasGarbage(): boolean {
    return this.garbage.len() > 0;
  }

  /** Continues freeing recorded garbage; answers true when none is left. */
  collect(budget: FreeBudget): boolean {
    while (this.garbage.len() > 0) {
      const [key, value] = this.garbage.items(0, 1)[0];
      const record = decodeGarbage(value);
      const next = this.removeRange(record.sessionKey, record.nextIndex, record.chunkCount, budget, record.stored);
      if (next >= record.chunkCount) this.garbage.remove(key);
      else {
        this.garbage.insert(key, encodeGarbage({ ...record, nextIndex: next }));
        return false;
      }
    }
    return true;
  }

  /** Answers the index to resume from (≥ `to` when done). */
  private removeRange(sessionKey: Uint8Array, from: number, to: number, budget: FreeBudget, stored?: ChunkBitmap): number {
    const nextOf = (index: number) => (stored === undefined ? index : Math.min(to, stored.firstSetFrom(index)));
    let index = nextOf(from);
    while (index < to && budget()) {
      const removed = this.remove(chunkKey(sessionKey, index));
      if (removed !== undefined) {
        this.tally.addStored(-removed.length);
        this.removedChunk(sessionKey, index);
      }
      index = nextOf(index + 1);
    }
    return index;
  }

  private remove(key: Uint8Array): Uint8Array | undefined {
    for (const map of this.classes) {
      const removed = map.remove(key);
      if (removed !== undefined) return removed;
    }
    return undefined;
  }
}
