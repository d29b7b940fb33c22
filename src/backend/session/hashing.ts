// The rolling SHA-256 of open sessions and its instruction budget (DESIGN.md, "The rolling hash").
//
// A message may use 40 billion instructions. Hashing proceeds only while
//   performanceCounter(0) + bytes × (estimated instructions per byte) ≤ BUDGET (30 billion),
// so a message never reaches the limit whatever the chunk order: the estimate starts
// conservative and then follows the cost measured on the previous slice (plus a margin).
// The unit of work is a slice of a chunk, not a whole chunk, so progress never stalls even if
// one chunk alone would cost more than the budget; the frontier is (chunk, byte offset).
import { Sha256 } from '../hash/sha256.js';
import type { SessionRecord } from '../model/types.js';
import { chunkLength } from './service.js';

export const INSTRUCTION_BUDGET = 30_000_000_000;
/** Before any measurement: above the ≈ 8,650 instructions per byte the canister's SHA-256 costs. */
export const DEFAULT_INSTRUCTIONS_PER_BYTE = 12_000;
/** Applied to the measured cost: QuickJS's occasional GC pass lands in some slices. */
export const ESTIMATE_MARGIN = 1.15;
/** Slices smaller than this are not worth a message's remaining budget (except a chunk's tail). */
export const MIN_SLICE_BYTES = 64 * 1024;
/**
 * One update() call hashes at most this much, so the estimate is corrected after each slice:
 * even if the first estimate were 6× too low, one slice (≈ 0.5 MiB × 76,000 instructions per
 * byte) stays under the 40 billion limit.
 */
export const MAX_SLICE_BYTES = 512 * 1024;
/**
 * Until a slice has been measured (after install or upgrade) slices are this small, so that even
 * a hasher 50× slower than the default estimate (600,000 per byte) stays under the limit.
 */
export const CALIBRATION_SLICE_BYTES = 64 * 1024;
/** Measurements on fewer bytes are dominated by fixed costs. */
const MIN_MEASURED_BYTES = 16 * 1024;

export class HashBudget {
  private instructionsPerByte = DEFAULT_INSTRUCTIONS_PER_BYTE;
  private calibrated = false;

  constructor(
    private readonly counter: () => bigint,
    private readonly budget = INSTRUCTION_BUDGET
  ) {}

  get estimatePerByte(): number {
    return this.instructionsPerByte;
  }

  /** The largest slice one update() call may take now. */
  maxSlice(): number {
    return this.calibrated ? MAX_SLICE_BYTES : CALIBRATION_SLICE_BYTES;
  }

  /** Bytes that may still be hashed in the current message. */
  allowance(): number {
    const left = this.budget - Number(this.counter());
    return left <= 0 ? 0 : Math.floor(left / this.instructionsPerByte);
  }

  /** Feeds a measured slice back into the estimate. */
  record(bytes: number, instructions: bigint): void {
    if (bytes < MIN_MEASURED_BYTES) return;
    this.calibrated = true;
    const measured = (Number(instructions) / bytes) * ESTIMATE_MARGIN;
    // Never trust an estimate below 1/20 of the default: a counter that does not move (outside
    // a canister) must not turn the budget into "hash everything".
    this.instructionsPerByte = Math.max(measured, DEFAULT_INSTRUCTIONS_PER_BYTE / 20);
  }
}

/** How many bytes of a chunk to hash now: all that's left, or a 64-byte-aligned part of it. */
export function sliceLength(remaining: number, allowance: number, maxSlice = MAX_SLICE_BYTES): number {
  const limit = Math.min(allowance, maxSlice);
  if (limit >= remaining) return remaining;
  const aligned = limit - (limit % 64);
  return aligned >= MIN_SLICE_BYTES ? aligned : 0;
}

export interface ChunkSource {
  /** The chunk's bytes: from the message if it carries them, else read back from stable memory. */
  chunk(session: SessionRecord, index: number): Uint8Array;
}

export class RollingHashes {
  private readonly hashers = new Map<bigint, Sha256>();

  constructor(
    private readonly budget: HashBudget,
    private readonly counter: () => bigint
  ) {}

  start(uploadId: bigint): void {
    this.hashers.set(uploadId, new Sha256());
  }

  /** Installs a restored midstate (post_upgrade). */
  restore(uploadId: bigint, hasher: Sha256): void {
    this.hashers.set(uploadId, hasher);
  }

  has(uploadId: bigint): boolean {
    return this.hashers.has(uploadId);
  }

  drop(uploadId: bigint): void {
    this.hashers.delete(uploadId);
  }

  entries(): IterableIterator<[bigint, Sha256]> {
    return this.hashers.entries();
  }

  private hasher(session: SessionRecord): Sha256 {
    let hasher = this.hashers.get(session.uploadId);
    if (hasher === undefined) {
      // Lost state (cannot happen short of a failed restore): start over from chunk 0, which is
      // correct because every chunk up to the frontier is still stored.
      hasher = new Sha256();
      session.hashed = 0;
      session.hashedOffset = 0;
      this.hashers.set(session.uploadId, hasher);
    }
    return hasher;
  }

  /**
   * Advances the session's frontier over received chunks within the budget. Mutates
   * session.hashed/hashedOffset (the caller saves the record). Answers bytes hashed.
   */
  advance(session: SessionRecord, source: ChunkSource): number {
    const hasher = this.hasher(session);
    let hashedNow = 0;
    while (session.hashed < session.chunkCount && session.received.has(session.hashed)) {
      const index = session.hashed;
      const length = chunkLength(session, index);
      const take = sliceLength(length - session.hashedOffset, this.budget.allowance(), this.budget.maxSlice());
      if (take === 0) break;
      const bytes = source.chunk(session, index);
      const start = session.hashedOffset;
      const before = this.counter();
      hasher.update(start === 0 && take === bytes.length ? bytes : bytes.subarray(start, start + take));
      this.budget.record(take, this.counter() - before);
      hashedNow += take;
      if (start + take === length) {
        session.hashed++;
        session.hashedOffset = 0;
      } else {
        session.hashedOffset = start + take;
      }
    }
    return hashedNow;
  }

  /** The digest of everything hashed so far, leaving the rolling state usable. */
  digest(session: SessionRecord): Uint8Array {
    return Sha256.importState(this.hasher(session).exportState()).digest();
  }
}

/** Bytes covered by the frontier. */
export function hashedBytes(session: SessionRecord): bigint {
  if (session.hashed >= session.chunkCount) return session.size;
  return BigInt(session.chunkSize) * BigInt(session.hashed) + BigInt(session.hashedOffset);
}
