// rememberingBlsVerify: a signature found valid is checked once; anything else — a changed tree
// under a reused signature, another key, an invalid signature — is verified in full every time.
import { blsVerify, Certificate, Cbor } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import { decodedKeyBlsVerify, rememberingBlsVerify, wasmBlsVerify, type BlsVerify } from '../../../src/client/verified_signatures.js';
import { blsPublicKey, blsSign, certify } from '../../../src/replica/http/certificate.js';
import { leafNode, subtree, toHashTree, witness } from '../../../src/replica/http/hash_tree.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { uleb128 } from '../../../src/replica/http/request_id.js';

const enc = (s: string) => new TextEncoder().encode(s);
const canisterId = Principal.fromHex('00000000001000010101');

function state(reply: string) {
  return subtree([
    ['time', leafNode(uleb128(BigInt(Date.now()) * 1_000_000n))],
    ['canister', subtree([[canisterId.toUint8Array(), subtree([['module_hash', leafNode(reply)]])]])]
  ]);
}

function counting(verify: BlsVerify = blsVerify) {
  const calls = { n: 0 };
  const counted: BlsVerify = (pk, sig, msg) => {
    calls.n++;
    return verify(pk, sig, msg);
  };
  return { calls, verify: rememberingBlsVerify(counted) };
}

describe('rememberingBlsVerify', () => {
  it('verifies the witnesses of one signed tree with one pairing check', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const tree = state('abc');
    const a = certify(witness(tree, [[enc('time')]]), keys.rootSecretKey);
    const b = certify(witness(tree, [[enc('time')], [enc('canister'), canisterId.toUint8Array(), enc('module_hash')]]), keys.rootSecretKey);
    const { calls, verify } = counting();
    for (const certificate of [a, b, a]) await Certificate.create({ certificate, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify });
    expect(calls.n).toBe(1);
  });

  it('still refuses a changed tree under a signature it has verified, every time', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const good = certify(toHashTree(state('abc')), keys.rootSecretKey);
    const { signature } = Cbor.decode<{ signature: Uint8Array }>(good);
    const forged = Cbor.encode({ tree: toHashTree(state('abd')), signature });
    const { calls, verify } = counting();
    await Certificate.create({ certificate: good, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify });
    for (let i = 0; i < 2; i++) {
      await expect(Certificate.create({ certificate: forged, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify })).rejects.toThrow(/signature/i);
    }
    expect(calls.n).toBe(3);
  });

  it('does not carry a verification over to another root key', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const other = loadOrCreateKeys(new MemoryKeyStore());
    const certificate = certify(toHashTree(state('abc')), keys.rootSecretKey);
    const { verify } = counting();
    await Certificate.create({ certificate, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify });
    await expect(Certificate.create({ certificate, rootKey: other.rootKeyDer, principal: { canisterId }, blsVerify: verify })).rejects.toThrow(/signature/i);
  });

  it('never remembers a false or a failure, and shares a check in flight', async () => {
    const pk = Uint8Array.of(1);
    const sig = Uint8Array.of(2);
    const msg = Uint8Array.of(3);
    const no = counting(() => false);
    expect([await no.verify(pk, sig, msg), await no.verify(pk, sig, msg)]).toEqual([false, false]);
    expect(no.calls.n).toBe(2);
    let fail = true;
    const flaky = counting(() => {
      if (fail) throw new Error('boom');
      return true;
    });
    await expect(flaky.verify(pk, sig, msg)).rejects.toThrow('boom');
    fail = false;
    expect(await flaky.verify(pk, sig, msg)).toBe(true);
    const yes = counting(() => new Promise<boolean>((done) => setTimeout(() => done(true), 5)));
    expect(await Promise.all([yes.verify(pk, sig, msg), yes.verify(pk, sig, msg)])).toEqual([true, true]);
    expect(yes.calls.n).toBe(1);
  });
});

describe('decodedKeyBlsVerify', () => {
  it('answers as agent-js blsVerify does: valid, another message, another key, a flipped bit', () => {
    const a = loadOrCreateKeys(new MemoryKeyStore());
    const b = loadOrCreateKeys(new MemoryKeyStore());
    const [pkA, pkB] = [blsPublicKey(a.rootSecretKey), blsPublicKey(b.rootSecretKey)];
    const verify = decodedKeyBlsVerify(1);
    for (let i = 0; i < 3; i++) {
      const msg = enc(`root hash ${i}`);
      const sig = blsSign(a.rootSecretKey, msg);
      const flipped = sig.slice();
      flipped[20]! ^= 1;
      const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [
        [pkA, sig, msg],
        [pkA, sig, enc(`root hash ${i + 1}`)],
        [pkB, sig, msg],
        [pkA, blsSign(b.rootSecretKey, msg), msg]
      ];
      // Alternating keys through a one-key cache: each is decoded again and still told apart.
      expect(cases.map(([pk, s, m]) => verify(pk, s, m))).toEqual([true, false, false, false]);
      expect(cases.map(([pk, s, m]) => blsVerify(pk, s, m))).toEqual([true, false, false, false]);
      let flippedAnswer: boolean | string;
      try {
        flippedAnswer = verify(pkA, flipped, msg) as boolean;
      } catch {
        flippedAnswer = 'refused';
      }
      expect(flippedAnswer).not.toBe(true);
    }
  });

  it('refuses a key that is not a point of the curve', () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const msg = enc('m');
    const pk = blsPublicKey(keys.rootSecretKey).slice();
    pk[50]! ^= 0xff;
    expect(() => decodedKeyBlsVerify()(pk, blsSign(keys.rootSecretKey, msg), msg)).toThrow();
  });

  it('verifies a certificate end to end through agent-js, and refuses it under another root key', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const other = loadOrCreateKeys(new MemoryKeyStore());
    const certificate = certify(toHashTree(state('abc')), keys.rootSecretKey);
    const verify = rememberingBlsVerify(decodedKeyBlsVerify());
    await Certificate.create({ certificate, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify });
    await expect(Certificate.create({ certificate, rootKey: other.rootKeyDer, principal: { canisterId }, blsVerify: verify })).rejects.toThrow(/signature/i);
  });
});

describe('wasmBlsVerify', () => {
  it('answers as agent-js blsVerify does, through a one-key cache alternating keys', async () => {
    const a = loadOrCreateKeys(new MemoryKeyStore());
    const b = loadOrCreateKeys(new MemoryKeyStore());
    const [pkA, pkB] = [blsPublicKey(a.rootSecretKey), blsPublicKey(b.rootSecretKey)];
    const verify = wasmBlsVerify(1);
    const msg = enc('root hash');
    const sig = blsSign(a.rootSecretKey, msg);
    const flipped = sig.slice();
    flipped[20]! ^= 1;
    const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [
      [pkA, sig, msg],
      [pkA, sig, enc('root hash 2')],
      [pkB, sig, msg],
      [pkA, blsSign(b.rootSecretKey, msg), msg],
      [pkA, flipped, msg],
      [pkA, sig, msg]
    ];
    const ours: boolean[] = [];
    for (const [pk, s, m] of cases) ours.push(await verify(pk, s, m));
    expect(ours).toEqual([true, false, false, false, false, true]);
    const pk = pkA.slice();
    pk[50]! ^= 0xff;
    await expect(verify(pk, sig, msg)).rejects.toThrow();
  });

  it('verifies a certificate end to end through agent-js, and refuses it under another root key', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const other = loadOrCreateKeys(new MemoryKeyStore());
    const certificate = certify(toHashTree(state('abc')), keys.rootSecretKey);
    const { calls, verify } = counting(wasmBlsVerify());
    for (let i = 0; i < 2; i++) await Certificate.create({ certificate, rootKey: keys.rootKeyDer, principal: { canisterId }, blsVerify: verify });
    await expect(Certificate.create({ certificate, rootKey: other.rootKeyDer, principal: { canisterId }, blsVerify: verify })).rejects.toThrow(/signature/i);
    expect(calls.n).toBe(2);
  });
});
