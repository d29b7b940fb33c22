// The canister's side of the native SHA-256 (the Wasm method the build adds, sha256_wasm.mjs):
// raw self-calls that advance a midstate by some bytes, at tens of instructions per byte instead
// of the ≈ 8,900 JavaScript costs in QuickJS.
//
// A midstate here is the method's own 104-byte layout (format.mjs). It converts to and from the
// export format of the JavaScript Sha256 (hash/sha256.ts), so states persisted by either stay
// readable by both, and a small tail may be finished in JavaScript without a call.
//
// Each call is an inter-canister call to the canister itself, so it must be made from an update
// (or a timer) and awaited; the bytes are the call's argument (at most 2 MiB minus the 112-byte
// header per call, the IC's inter-canister payload limit), though they never leave the canister:
// the build's shim in front of Azle's call imports keeps them in the canister's memory and sends
// a reference (call_stash.mjs). Calls are independent: the
// caller orders them (each byte hashed once, in order) by awaiting one before starting the next
// on the same stream.
import { call, canisterSelf } from 'azle';

import { FLAG_CHUNK_DIGEST, FLAG_FINAL, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD } from './format.mjs';
import { initialMidstate, type AbsorbOptions, type AbsorbResult } from './midstate.js';

export { MIDSTATE_BYTES, NATIVE_SHA256_METHOD };
export { fromSha256State, initialMidstate, midstateLength, toSha256State } from './midstate.js';
export type { AbsorbOptions, AbsorbResult } from './midstate.js';

/** The most bytes one call may carry: the IC's 2 MiB inter-canister payload less the header. */
export const MAX_NATIVE_CALL_BYTES = 2 * 1024 * 1024 - HEADER_BYTES;

/**
 * Every call's argument is built in this one buffer rather than a fresh array (allocated and
 * zero-filled, ≈ 1 instruction per byte more): Azle copies the argument out when the call is made
 * (`call_raw` in Azle's canister template, before `call` returns), so the next call may reuse it.
 */
const argumentBuffer = new Uint8Array(HEADER_BYTES + MAX_NATIVE_CALL_BYTES);

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
  const args = argumentBuffer.subarray(0, HEADER_BYTES + bytes.length);
  args.set(midstate, 0);
  args.fill(0, MIDSTATE_BYTES, HEADER_BYTES);
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

