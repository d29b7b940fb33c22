// The Wasm BLS12-381 (mcl) against the reference, @noble/curves' short signatures (what agent-js
// verifies with): the same signatures and public keys byte for byte, and the same verdicts on
// valid signatures, other messages, other keys and damaged signatures, over random keys and messages.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBls12381, loadedBls12381, type Bls12381 } from '../../../src/shared/bls12_381.js';

const noble = bls12_381.shortSignatures;
const nobleVerify = (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean => {
  try {
    return noble.verify(sig, noble.hash(msg), pk);
  } catch {
    return false; // noble throws on signatures that are not points of the subgroup
  }
};

let bls: Bls12381;
beforeAll(async () => {
  bls = await loadBls12381();
});

describe('Wasm BLS12-381 against @noble/curves', () => {
  it('is loaded once, and signs and derives keys exactly as noble does', async () => {
    expect(await loadBls12381()).toBe(bls);
    expect(loadedBls12381()).toBe(bls);
    // Lengths from empty to several SHA-256 blocks of expand_message_xmd (and past its 255-byte mark).
    for (let i = 0; i < 14; i++) {
      const { secretKey, publicKey } = noble.keygen();
      const message = new Uint8Array(randomBytes(i < 12 ? i * 23 : 1000 * (i - 11)));
      expect(Buffer.from(bls.publicKey(secretKey)).toString('hex')).toBe(Buffer.from(publicKey.toBytes(true)).toString('hex'));
      expect(Buffer.from(bls.sign(secretKey, message)).toString('hex')).toBe(Buffer.from(noble.sign(noble.hash(message), secretKey).toBytes(true)).toString('hex'));
    }
  });

  it('gives noble’s verdicts: valid, another message, another key, a flipped bit', () => {
    for (let i = 0; i < 4; i++) {
      const a = noble.keygen();
      const b = noble.keygen();
      const [pkA, pkB] = [a.publicKey.toBytes(true), b.publicKey.toBytes(true)];
      const message = new Uint8Array(randomBytes(45));
      const signature = bls.sign(a.secretKey, message);
      const flipped = signature.slice();
      flipped[1 + (i % 46)]! ^= 1 << i % 8;
      const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [
        [pkA, signature, message],
        [pkA, signature, new Uint8Array(randomBytes(45))],
        [pkB, signature, message],
        [pkA, bls.sign(b.secretKey, message), message],
        [pkA, flipped, message]
      ];
      const [keyA, keyB] = [bls.decodePublicKey(pkA), bls.decodePublicKey(pkB)];
      const ours = cases.map(([pk, sig, msg]) => bls.verify(pk === pkA ? keyA : keyB, sig, msg));
      expect(ours).toEqual(cases.map(([pk, sig, msg]) => nobleVerify(pk, sig, msg)));
      expect(ours.slice(0, 4)).toEqual([true, false, false, false]);
      expect(ours[4]).toBe(false);
      keyA.destroy();
      keyB.destroy();
    }
  });

  it('refuses signatures that are no points, the identity, and points outside the subgroup', () => {
    const { secretKey, publicKey } = noble.keygen();
    const key = bls.decodePublicKey(publicKey.toBytes(true));
    const message = new Uint8Array(randomBytes(32));
    const identity = new Uint8Array(48);
    identity[0] = 0xc0;
    // A point of E(Fp) outside the order-r subgroup: x = 4 is on y² = x³ + 4 (68 is a square),
    // compressed as x with the compression flag.
    const point = bls12_381.G1.Point.fromAffine({ x: 4n, y: bls12_381.fields.Fp.sqrt(68n) });
    expect(() => point.assertValidity()).toThrow(/subgroup/);
    const notInSubgroup = new Uint8Array(48);
    notInSubgroup[47] = 4;
    notInSubgroup[0] = 0x80;
    for (const bad of [identity, new Uint8Array(48).fill(0xff), new Uint8Array(47), new Uint8Array(0), notInSubgroup]) {
      expect(bls.verify(key, bad, message)).toBe(false);
      expect(nobleVerify(publicKey.toBytes(true), bad, message)).toBe(false);
    }
    expect(bls.verify(key, bls.sign(secretKey, message), message)).toBe(true);
  });

  it('refuses public keys that are no points of the G2 subgroup, and secret keys out of range', () => {
    const pk = noble.keygen().publicKey.toBytes(true);
    const damaged = pk.slice();
    damaged[50]! ^= 0xff;
    const identity = new Uint8Array(96);
    identity[0] = 0xc0;
    for (const bad of [damaged, identity, pk.subarray(0, 95)]) expect(() => bls.decodePublicKey(bad)).toThrow();
    expect(() => bls.sign(new Uint8Array(32), Uint8Array.of(1))).toThrow(RangeError);
    expect(() => bls.sign(new Uint8Array(32).fill(0xff), Uint8Array.of(1))).toThrow(RangeError);
    expect(() => bls.sign(new Uint8Array(31).fill(1), Uint8Array.of(1))).toThrow(RangeError);
  });
});
