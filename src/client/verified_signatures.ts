// A BLS verification for agent-js (its `blsVerify` option of actors and certificates) that
// remembers the signatures it has found valid. A replica certifies the answers of calls that
// complete together with one signature over one state tree, each answer a witness of its own
// path: the same root key, signature and root hash come back many times, and the pairing check
// is by far the largest cost of a small call on the client (≈ 40 ms of JavaScript each). A
// verification is a pure function of those three byte strings, so a remembered `true` is the
// answer the check would give again; anything not remembered — another tree, a changed witness,
// another key — is verified in full, and a `false` is never remembered.
import { toHex } from '../shared/bytes.js';

/** agent-js's `blsVerify` signature: root key (raw G2), signature (G1), message. */
export type BlsVerify = (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) => boolean | Promise<boolean>;

/** How many verified signatures are kept (the most recent ones). */
export const REMEMBERED_SIGNATURES = 64;

export function rememberingBlsVerify(verify: BlsVerify, capacity = REMEMBERED_SIGNATURES): BlsVerify {
  // Pending checks are shared too: answers of one batch arrive together.
  const known = new Map<string, Promise<boolean>>();
  return (publicKey, signature, message) => {
    const key = `${toHex(publicKey)}:${toHex(signature)}:${toHex(message)}`;
    const hit = known.get(key);
    if (hit) {
      known.delete(key); // most recent last
      known.set(key, hit);
      return hit;
    }
    const checked = Promise.resolve()
      .then(() => verify(publicKey, signature, message))
      .then((valid) => {
        if (!valid) known.delete(key);
        return valid;
      })
      .catch((error: unknown) => {
        known.delete(key);
        throw error;
      });
    known.set(key, checked);
    if (known.size > capacity) known.delete(known.keys().next().value!);
    return checked;
  };
}
