// The canister's side of the native SHA-256 (the Wasm method the build adds, sha256_wasm.mjs):
// raw self-calls that advance a midstate by some bytes, at tens of instructions per byte instead
// of the ≈ 8,900 JavaScript costs in QuickJS.
//
// A midstate here is the method's own 104-byte layout (format.mjs). It converts to and from the
// export format of the JavaScript Sha256 (hash/sha256.ts), so states persisted by either stay
// readable by both, and a small tail may be finished in JavaScript without a call.
//
// Each call is an inter-canister call to the canister itself, so it must be made from an update
// (or a timer) and awaited; the bytes travel as the call's argument (at most 2 MiB minus the
// 112-byte header per call, the IC's inter-canister payload limit). Calls are independent: the
// caller orders them (each byte hashed once, in order) by awaiting one before starting the next
// on the same stream.
import { call, canisterSelf } from 'azle';

import { SHA256_STATE_FIXED_BYTES, SHA256_STATE_VERSION } from '../hash/sha256.js';
import { FLAG_CHUNK_DIGEST, FLAG_FINAL, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD } from './format.mjs';

export { MIDSTATE_BYTES, NATIVE_SHA256_METHOD };

/** The most bytes one call may carry: the IC's 2 MiB inter-canister payload less the header. */
export const MAX_NATIVE_CALL_BYTES = 2 * 1024 * 1024 - HEADER_BYTES;

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

/**
 * Absorbs `bytes` into `midstate` by one self-call to the native method. `bytes` must be at most
 * MAX_NATIVE_CALL_BYTES; longer inputs are the caller's to split (each piece awaited in turn).
 */
export async function absorb(midstate: Uint8Array, bytes: Uint8Array, options: AbsorbOptions = {}): Promise<AbsorbResult> {
  if (midstate.length !== MIDSTATE_BYTES) return { kind: 'failed', message: `midstate is ${midstate.length} bytes, ${MIDSTATE_BYTES} expected` };
  if (bytes.length > MAX_NATIVE_CALL_BYTES) {
    return { kind: 'failed', message: `${bytes.length} bytes exceed one call's ${MAX_NATIVE_CALL_BYTES}` };
  }
  const flags = (options.final ? FLAG_FINAL : 0) | (options.chunkDigest ? FLAG_CHUNK_DIGEST : 0);
  const args = new Uint8Array(HEADER_BYTES + bytes.length);
  args.set(midstate, 0);
  args[MIDSTATE_BYTES] = flags;
  args.set(bytes, HEADER_BYTES);
  let reply: Uint8Array;
  try {
    reply = await call<Uint8Array, Uint8Array>(canisterSelf(), NATIVE_SHA256_METHOD, { raw: true, args });
  } catch (e) {
    // Azle rejects with a plain object ({ type, message }), not an Error.
    const message = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    return { kind: 'failed', message };
  }
  const expected = MIDSTATE_BYTES + (options.final ? 32 : 0) + (options.chunkDigest ? 32 : 0);
  if (!(reply instanceof Uint8Array) || reply.length !== expected) {
    return { kind: 'failed', message: `native SHA-256 answered ${reply?.length} bytes, ${expected} expected` };
  }
  let at = MIDSTATE_BYTES;
  const take = () => reply.slice(at, (at += 32));
  return {
    kind: 'ok',
    midstate: reply.slice(0, MIDSTATE_BYTES),
    digest: options.final ? take() : undefined,
    chunkDigest: options.chunkDigest ? take() : undefined
  };
}

/** SHA-256 of `bytes` alone, natively (one self-call). */
export async function nativeSha256(bytes: Uint8Array): Promise<{ kind: 'ok'; digest: Uint8Array } | { kind: 'failed'; message: string }> {
  const r = await absorb(initialMidstate(), bytes, { final: true });
  return r.kind === 'ok' ? { kind: 'ok', digest: r.digest! } : r;
}

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
