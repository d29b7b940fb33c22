// Persisted: chunks still to be freed, and the record's versioned encoding.
import { ChunkBitmap } from '../bitmap.js';
import { DecodeError, Reader, Writer } from '../encoding.js';
import { V1 } from './format.js';

/** Persisted: chunks still to be freed (a large blob is freed in budgeted slices). */
export interface GarbageRecord {
  sessionKey: Uint8Array;
  nextIndex: number;
  chunkCount: number;
  /**
   * The chunks stored, when not all of them (an aborted or expired upload): freeing visits only
   * these instead of looking up every index. Absent: chunks 0..chunkCount-1 (a finished blob).
   */
  stored?: ChunkBitmap;
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
