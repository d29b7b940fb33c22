// Persisted: the counters kept in the config map, and their versioned encoding.
import { Reader, Writer } from '../encoding.js';
import { V1, version } from './format.js';

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
