// The blob sink (DESIGN.md): chunks go straight into stable memory under
// session key ‖ index, as they arrived, with no heap buffering. A finished blob keeps its chunks
// under its session key, so finishing copies nothing. Freeing is budgeted: a large blob is
// removed in slices, the rest recorded in the garbage map and finished by a timer.
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

export class BlobStore {
  constructor(
    private readonly chunks: KeyValueStore,
    private readonly garbage: KeyValueStore,
    private readonly tally: StoredBytesTally,
    /** Hears of each chunk removed, so what is kept beside a chunk (its digest) goes with it. */
    private readonly removedChunk: (sessionKey: Uint8Array, index: number) => void = () => {}
  ) {}

  /** Stores a chunk at an index the session has not received yet. */
  store(sessionKey: Uint8Array, index: number, bytes: Uint8Array): void {
    const previous = this.chunks.insert(chunkKey(sessionKey, index), bytes);
    this.tally.addStored(bytes.length - (previous?.length ?? 0));
  }

  /** Compares a resent chunk with the stored one; changes nothing. */
  compare(sessionKey: Uint8Array, index: number, bytes: Uint8Array): 'same' | 'conflict' | 'missing' {
    const existing = this.chunks.get(chunkKey(sessionKey, index));
    if (existing === undefined) return 'missing';
    return bytesEqual(existing, bytes) ? 'same' : 'conflict';
  }

  get(sessionKey: Uint8Array, index: number): Uint8Array | undefined {
    return this.chunks.get(chunkKey(sessionKey, index));
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
      const removed = this.chunks.remove(chunkKey(sessionKey, index));
      if (removed !== undefined) {
        this.tally.addStored(-removed.length);
        this.removedChunk(sessionKey, index);
      }
      index = nextOf(index + 1);
    }
    return index;
  }
}
