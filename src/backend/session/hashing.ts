// The rolling SHA-256 of open sessions (DESIGN.md, "The rolling hash"): a midstate per open
// session on the heap, advanced a whole chunk at a time by the native method (native/), and a
// per-session flag saying a hashing call is in flight, so that each session has at most one and
// every byte is hashed once, in order.
//
// No message traps on the instruction limit: each message (the put_chunk that stores a chunk, or
// the callback of one hashing call) touches at most one chunk of ≤ 2 MB, which costs tens of
// millions of instructions of a message's 40 billion; the SHA-256 itself runs in the native
// method's own message. The JavaScript Sha256 digests the last < 64 pending bytes only when the
// native method did not (the last chunk's call asks it to).
import { Sha256 } from '../hash/sha256.js';
import { fromSha256State, initialMidstate, toSha256State, type AbsorbOptions, type AbsorbResult } from '../native/midstate.js';
import type { Session } from './record.js';

/** The native method behind an interface: the canister uses self-calls, unit tests JavaScript. */
export type Absorb = (midstate: Uint8Array, bytes: Uint8Array, options?: AbsorbOptions) => Promise<AbsorbResult>;

/**
 * A flag set this long ago is presumed lost: the message holding it trapped after its call
 * returned, and the trap rolled back the clearing. A second holder is still safe (a result is
 * applied only to the midstate it started from), it only costs a duplicate call.
 */
export const HASHING_PRESUMED_LOST_NS = 30n * 1_000_000_000n;

export class RollingHashes {
  private readonly midstates = new Map<bigint, Uint8Array>();
  /**
   * The whole stream's digest, when the native method answered it with the midstate it stands
   * for (the last chunk's call asks for it): finishing in JavaScript costs ≈ 0.5–0.9 M
   * instructions, a block or two of the JavaScript SHA-256. Heap only, like the flags.
   */
  private readonly finals = new Map<bigint, { midstate: Uint8Array; digest: Uint8Array }>();
  /** upload id → when its in-flight hashing call was started. Heap only: an upgrade clears it. */
  private readonly inFlight = new Map<bigint, bigint>();

  start(uploadId: bigint): void {
    this.midstates.set(uploadId, initialMidstate());
  }

  /** Installs a midstate exported with `exportState` (post_upgrade); false if it is not one. */
  restore(uploadId: bigint, state: Uint8Array): boolean {
    const midstate = fromSha256State(state);
    if (midstate === undefined) return false;
    this.midstates.set(uploadId, midstate);
    return true;
  }

  has(uploadId: bigint): boolean {
    return this.midstates.has(uploadId);
  }

  drop(uploadId: bigint): void {
    this.midstates.delete(uploadId);
    this.inFlight.delete(uploadId);
    this.finals.delete(uploadId);
  }

  /** The midstate; a lost one (cannot happen short of a failed restore) restarts at chunk 0. */
  midstate(session: Session<unknown>): Uint8Array {
    let midstate = this.midstates.get(session.uploadId);
    if (midstate === undefined) {
      midstate = initialMidstate();
      session.hashed = 0;
      session.hashedOffset = 0;
      this.midstates.set(session.uploadId, midstate);
    }
    return midstate;
  }

  /** Replaces `from` by `to`; false (nothing changed) if the midstate is no longer `from`. */
  advance(uploadId: bigint, from: Uint8Array, to: Uint8Array, digest?: Uint8Array): boolean {
    if (this.midstates.get(uploadId) !== from) return false;
    this.midstates.set(uploadId, to);
    if (digest !== undefined) this.finals.set(uploadId, { midstate: to, digest });
    return true;
  }

  /** Each open session's midstate in the JavaScript Sha256's export format (pre_upgrade). */
  *exportStates(): IterableIterator<[bigint, Uint8Array]> {
    for (const [uploadId, midstate] of this.midstates) yield [uploadId, toSha256State(midstate)];
  }

  busy(uploadId: bigint, nowNs: bigint): boolean {
    const since = this.inFlight.get(uploadId);
    return since !== undefined && nowNs - since < HASHING_PRESUMED_LOST_NS;
  }

  /** Takes the session's flag; false if another message holds it. */
  acquire(uploadId: bigint, nowNs: bigint): boolean {
    if (this.busy(uploadId, nowNs)) return false;
    this.inFlight.set(uploadId, nowNs);
    return true;
  }

  release(uploadId: bigint): void {
    this.inFlight.delete(uploadId);
  }

  /**
   * The digest of everything hashed so far: the native method's, if it answered one for the
   * current midstate; else the < 64 pending bytes finished in JavaScript.
   */
  digest(session: Session<unknown>): Uint8Array {
    const midstate = this.midstate(session);
    const final = this.finals.get(session.uploadId);
    if (final !== undefined && final.midstate === midstate) return final.digest.slice();
    return Sha256.importState(toSha256State(midstate)).digest();
  }
}

/** Bytes covered by the frontier. */
export function hashedBytes(session: Session<unknown>): bigint {
  if (session.hashed >= session.chunkCount) return session.size;
  return BigInt(session.chunkSize) * BigInt(session.hashed) + BigInt(session.hashedOffset);
}
