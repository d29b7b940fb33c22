// A BLS verification for agent-js (its `blsVerify` option of actors and certificates) that
// remembers the signatures it has found valid. A replica certifies the answers of calls that
// complete together with one signature over one state tree, each answer a witness of its own
// path: the same root key, signature and root hash come back many times, and the pairing check
// is by far the largest cost of a small call on the client (≈ 40 ms of JavaScript each). A
// verification is a pure function of those three byte strings, so a remembered `true` is the
// answer the check would give again; anything not remembered — another tree, a changed witness,
// another key — is verified in full, and a `false` is never remembered.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { loadBls12381, type BlsPublicKey } from '../shared/bls12_381.js';
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

/** How many decoded root keys `decodedKeyBlsVerify` keeps (a client talks to one network or a few). */
export const DECODED_KEYS = 4;

/**
 * The IC's BLS check — what agent-js's `blsVerify` does: noble's short signatures (signature in
 * G1, key in G2), e(S, G) = e(H(m), P) — keeping each root key decoded. Decoding a compressed G2
 * key (a square root in Fp2) is about a third of a check's time, and every certificate of a
 * network is signed by the same key; the decoded point is validated once (`fromBytes` checks
 * that it is on the curve and in the subgroup) and noble's pairing checks it again on every
 * call. The signature and the message are decoded and checked in full every time.
 */
export function decodedKeyBlsVerify(capacity = DECODED_KEYS): BlsVerify {
  const bls = bls12_381.shortSignatures;
  const keyOf = decodedKeys(capacity, (raw) => bls12_381.G2.Point.fromBytes(raw));
  return (publicKey, signature, message) => bls.verify(signature, bls.hash(message), keyOf(publicKey));
}

/**
 * The same check on the Wasm BLS12-381 (`src/shared/bls12_381.ts`: ≈ 6 ms a check where noble
 * takes ≈ 31 ms even with the key kept decoded), each root key decoded and validated once and
 * kept with its precomputed pairing lines; the signature and message are checked in full every
 * time. Its answers equal noble's (tests/unit/shared/bls12_381.test.ts).
 */
export function wasmBlsVerify(capacity = DECODED_KEYS): BlsVerify {
  let keyOf: ((raw: Uint8Array) => BlsPublicKey) | undefined;
  return async (publicKey, signature, message) => {
    const bls = await loadBls12381();
    keyOf ??= decodedKeys(capacity, (raw) => bls.decodePublicKey(raw), (key) => key.destroy());
    return bls.verify(keyOf(publicKey), signature, message);
  };
}

/** Root keys decoded once each, the `capacity` most recently added kept (`evict` frees the others). */
function decodedKeys<K>(capacity: number, decode: (raw: Uint8Array) => K, evict?: (key: K) => void): (raw: Uint8Array) => K {
  const keys = new Map<string, K>();
  return (raw) => {
    const hex = toHex(raw);
    let key = keys.get(hex);
    if (key === undefined) {
      key = decode(raw);
      keys.set(hex, key);
      if (keys.size > capacity) {
        const [oldest, evicted] = keys.entries().next().value!;
        keys.delete(oldest);
        evict?.(evicted);
      }
    }
    return key;
  };
}
