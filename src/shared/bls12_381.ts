// BLS12-381 as the IC certifies state (spec "Certification"): signature in G1, public key in G2,
// hash to G1 with the DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`, verification
// e(S, G2) = e(H(m), P). On herumi's mcl compiled to Wasm (mcl-wasm) rather than @noble/curves:
// measured on this project's 2-core machines, a check takes ≈ 6 ms against noble's ≈ 41 ms and a
// signature ≈ 1 ms against ≈ 8 ms, and every call the local network answers is signed by the
// replica and checked by the client. noble stays the reference: tests/unit/shared/bls12_381.test.ts
// checks both agree on random keys and messages, valid and not.
//
// Hashing to the curve runs in mcl too (RFC 9380's hash_to_curve: expand_message_xmd with
// SHA-256, then simplified SWU), with the IC's DST set through mcl's C API `mclBnG1_setDst`,
// which mcl-wasm exports but does not wrap (its default DST is the `_POP_` one). Measured on
// this project's machines it takes ≈ 0.6 ms where noble's `hash_to_field` feeding mcl's map
// twice took ≈ 1 ms, of a signature's ≈ 1.5 ms; both sides of every local call pay it.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Fr, G1, G2, PrecomputedG2 } from 'mcl-wasm';

/** mcl-wasm, imported on first use: its module embeds the Wasm (≈ 600 kB of JavaScript to parse). */
let mcl: typeof import('mcl-wasm');

export const IC_BLS_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
/** The order r of G1 and G2: secret keys are scalars below it. */
const R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const G2_GENERATOR =
  '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8';

/** A decoded public key, ready for checks: mcl's precomputed Miller-loop lines for it. */
export class BlsPublicKey {
  /** @internal */
  constructor(readonly lines: PrecomputedG2) {}
  /** Frees the key's precomputed lines (they live in the Wasm heap, not the JS one). */
  destroy(): void {
    this.lines.destroy();
  }
}

export interface Bls12381 {
  /** The signature (48 bytes, compressed G1) of `message` by the 32-byte big-endian secret key. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** The compressed G2 public key (96 bytes) of a secret key. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /**
   * Decodes a compressed G2 public key, refusing (throws) anything that is not a point of the
   * subgroup or is the identity: decode once, check many signatures with it.
   */
  decodePublicKey(publicKey: Uint8Array): BlsPublicKey;
  /** Whether `signature` is the signature of `message` under `publicKey`; malformed signatures are `false`. */
  verify(publicKey: BlsPublicKey, signature: Uint8Array, message: Uint8Array): boolean;
}

let loading: Promise<Bls12381> | undefined;
let loaded: Bls12381 | undefined;

/** Loads and compiles mcl's Wasm once per process (≈ 50 ms) and answers the implementation. */
export function loadBls12381(): Promise<Bls12381> {
  loading ??= import('mcl-wasm').then(async (module) => {
    mcl = module.default ?? module;
    await mcl.init(mcl.BLS12_381);
    // Global settings of mcl: ZCash/IETF point encoding (noble's and the IC's), the IETF
    // hash-to-curve map, and subgroup checks whenever a point is decoded.
    mcl.setETHserialization(true);
    mcl.setMapToMode(mcl.IRTF);
    mcl.verifyOrderG1(true);
    mcl.verifyOrderG2(true);
    setHashToG1Dst(new TextEncoder().encode(IC_BLS_DST));
    loaded = implementation();
    return loaded;
  });
  return loading;
}

/** The implementation once `loadBls12381` has resolved in this process, else undefined. */
export function loadedBls12381(): Bls12381 | undefined {
  return loaded;
}

function implementation(): Bls12381 {
  const generator = g2(hexToBytes(G2_GENERATOR));
  const negatedGenerator = new mcl.PrecomputedG2(mcl.neg(generator));
  const secretKeys = new Map<string, Fr>();

  function scalar(secretKey: Uint8Array): Fr {
    const hex = bytesToHex(secretKey);
    let fr = secretKeys.get(hex);
    if (!fr) {
      const n = secretKey.length === 32 ? BigInt(`0x${hex}`) : 0n;
      if (n === 0n || n >= R) throw new RangeError('a BLS12-381 secret key is 32 bytes holding a scalar in [1, r)');
      fr = new mcl.Fr();
      fr.setBigEndianMod(secretKey);
      if (secretKeys.size >= 8) secretKeys.clear();
      secretKeys.set(hex, fr);
    }
    return fr;
  }

  return {
    sign: (secretKey, message) => mcl.mul(hashToG1(message), scalar(secretKey)).serialize(),
    publicKey: (secretKey) => mcl.mul(generator, scalar(secretKey)).serialize(),
    decodePublicKey(publicKey) {
      const point = g2(publicKey);
      if (point.isZero() || !point.isValidOrder()) throw new RangeError('the BLS12-381 public key is not a point of the G2 subgroup');
      return new BlsPublicKey(new mcl.PrecomputedG2(point));
    },
    verify(publicKey, signature, message) {
      let s: G1;
      try {
        s = new mcl.G1();
        s.deserialize(signature);
      } catch {
        return false;
      }
      // The order check is deserialize's own (verifyOrderG1 above): a second one cost ≈ 5% of a check.
      if (s.isZero()) return false;
      // e(S, -G2) · e(H(m), P) = 1: two Miller loops on precomputed lines, one final exponentiation.
      return mcl.finalExp(mcl.precomputedMillerLoop2(s, negatedGenerator, hashToG1(message), publicKey.lines)).isOne();
    }
  };
}

function g2(bytes: Uint8Array): G2 {
  const point = new mcl.G2();
  point.deserialize(bytes);
  return point;
}

function hashToG1(message: Uint8Array): G1 {
  return mcl.hashAndMapToG1(message);
}

/** The DST of mcl's hash to G1, a global setting of the module (read by `hashAndMapToG1`). */
function setHashToG1Dst(dst: Uint8Array): void {
  // mcl-wasm's `mod` (its Emscripten module, exported by the Node and browser builds) is untyped.
  const raw = (mcl as unknown as { mod: { _malloc(n: number): number; _free(p: number): void; HEAP8: Int8Array; _mclBnG1_setDst(p: number, n: number): number } }).mod;
  const at = raw._malloc(dst.length);
  raw.HEAP8.set(dst, at);
  const failed = raw._mclBnG1_setDst(at, dst.length);
  raw._free(at);
  if (failed !== 0) throw new Error(`mcl refused the BLS DST (mclBnG1_setDst answered ${failed})`);
}
