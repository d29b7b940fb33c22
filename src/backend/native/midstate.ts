// The native method's 104-byte midstate (format.mjs) without the self-call: pure functions that
// the hashing layer and unit tests use outside a canister (native_sha256.ts needs Azle's `call`).
import { SHA256_STATE_FIXED_BYTES, SHA256_STATE_VERSION } from '../hash/sha256.js';
import { MIDSTATE_BYTES } from './format.mjs';

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const LENGTH = 32;
const PENDING = 40;

/** The midstate of an empty stream. */
export function initialMidstate(): Uint8Array {
  const m = new Uint8Array(MIDSTATE_BYTES);
  const v = new DataView(m.buffer);
  for (let i = 0; i < 8; i++) v.setUint32(4 * i, IV[i]);
  return m;
}

/** Bytes absorbed into a midstate so far. */
export function midstateLength(midstate: Uint8Array): bigint {
  return new DataView(midstate.buffer, midstate.byteOffset, MIDSTATE_BYTES).getBigUint64(LENGTH, true);
}

export interface AbsorbOptions {
  /** Also answer the digest of the whole stream (the midstate itself stays open). */
  final?: boolean;
  /** Also answer the SHA-256 of these bytes alone (costs a second pass over them). */
  chunkDigest?: boolean;
}

export type AbsorbResult =
  | { kind: 'ok'; midstate: Uint8Array; digest?: Uint8Array; chunkDigest?: Uint8Array }
  /** The call failed (reject or trap in the method, or the call could not be made); nothing changed. */
  | { kind: 'failed'; message: string };

/** The same state in the JavaScript Sha256's export format (hash/sha256.ts, Sha256.importState). */
export function toSha256State(midstate: Uint8Array): Uint8Array {
  const total = midstateLength(midstate);
  const fill = Number(total & 63n);
  const out = new Uint8Array(SHA256_STATE_FIXED_BYTES + fill);
  out[0] = SHA256_STATE_VERSION;
  out.set(midstate.subarray(0, 32), 1);
  new DataView(out.buffer).setBigUint64(33, total, false);
  out.set(midstate.subarray(PENDING, PENDING + fill), SHA256_STATE_FIXED_BYTES);
  return out;
}

/** A state exported by the JavaScript Sha256 as a native midstate; undefined if it is not one. */
export function fromSha256State(state: Uint8Array): Uint8Array | undefined {
  if (state.length < SHA256_STATE_FIXED_BYTES || state[0] !== SHA256_STATE_VERSION) return undefined;
  const total = new DataView(state.buffer, state.byteOffset, state.byteLength).getBigUint64(33, false);
  const fill = Number(total & 63n);
  if (state.length !== SHA256_STATE_FIXED_BYTES + fill) return undefined;
  const m = new Uint8Array(MIDSTATE_BYTES);
  m.set(state.subarray(1, 33), 0);
  new DataView(m.buffer).setBigUint64(LENGTH, total, true);
  m.set(state.subarray(SHA256_STATE_FIXED_BYTES), PENDING);
  return m;
}
