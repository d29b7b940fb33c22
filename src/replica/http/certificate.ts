// Certificates (spec "Certification"): a hash tree and a BLS signature over its root hash,
// signed by the replica's root key. No delegation: the replica is its own root subnet, so
// agent-js verifies against the key from /api/v2/status and derives the subnet id from it.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { loadedBls12381 } from '../../shared/bls12_381.js';
import { encodeCbor } from './cbor.js';
import { digest, type HashTree } from './hash_tree.js';

export const IC_STATE_ROOT_DOMAIN_SEPARATOR = utf8ToBytes('\x0Dic-state-root');

/**
 * BLS12-381 in the IC's scheme: public key in G2, signature in G1 (noble's "short signatures",
 * whose G1 DST is `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`, the IC's). A BLS signature is
 * deterministic, so both implementations give the same bytes: the Wasm one (≈ 1 ms where noble
 * takes ≈ 8 ms, src/shared/bls12_381.ts) once the HTTP interface has loaded it, noble before.
 */
export function blsSign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  const wasm = loadedBls12381();
  if (wasm) return wasm.sign(secretKey, message);
  const bls = bls12_381.shortSignatures;
  return bls.sign(bls.hash(message), secretKey).toBytes(true);
}

export function blsPublicKey(secretKey: Uint8Array): Uint8Array {
  const wasm = loadedBls12381();
  if (wasm) return wasm.publicKey(secretKey);
  return bls12_381.shortSignatures.getPublicKey(secretKey).toBytes(true);
}

/** The last few signatures by root hash: witnesses of one tree share its root, so one signature serves them all. */
const recentSignatures = new WeakMap<Uint8Array, Map<string, Uint8Array>>();
const RECENT_SIGNATURES = 8;

/** The CBOR certificate `{tree, signature}` for `tree`, signed with the root secret key. */
export function certify(tree: HashTree, rootSecretKey: Uint8Array): Uint8Array {
  const message = concatBytes(IC_STATE_ROOT_DOMAIN_SEPARATOR, digest(tree));
  const key = Buffer.from(message).toString('hex');
  let recent = recentSignatures.get(rootSecretKey);
  if (!recent) recentSignatures.set(rootSecretKey, (recent = new Map()));
  let signature = recent.get(key);
  if (!signature) {
    signature = blsSign(rootSecretKey, message);
    recent.set(key, signature);
    if (recent.size > RECENT_SIGNATURES) recent.delete(recent.keys().next().value!);
  }
  return encodeCbor({ tree, signature });
}
