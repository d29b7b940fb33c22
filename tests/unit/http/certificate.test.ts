import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Certificate, Cbor, LookupPathStatus } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { blsPublicKey, certify } from '../../../src/replica/http/certificate.js';
import { blsPublicKeyToDer } from '../../../src/replica/http/der.js';
import { leafNode, subtree, toHashTree, witness } from '../../../src/replica/http/hash_tree.js';
import { FileKeyStore, KeyStoreError, loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { uleb128 } from '../../../src/replica/http/request_id.js';

const enc = (s: string) => new TextEncoder().encode(s);
const canisterId = Principal.fromHex('00000000001000010101');

function state(reply: string) {
  return subtree([
    ['time', leafNode(uleb128(BigInt(Date.now()) * 1_000_000n))],
    ['canister', subtree([[canisterId.toUint8Array(), subtree([['module_hash', leafNode(reply)]])]])],
  ]);
}

describe('certificates', () => {
  it('verify in agent-js against the DER root key, pruned or not', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    for (const tree of [toHashTree(state('abc')), witness(state('abc'), [[enc('time')]])]) {
      const cert = await Certificate.create({ certificate: certify(tree, keys.rootSecretKey), rootKey: keys.rootKeyDer, principal: { canisterId } });
      expect(cert.lookup_path(['time']).status).toBe(LookupPathStatus.Found);
    }
  });

  it('share one signature between witnesses of one tree (answers of a batch), each verifying alone', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const tree = state('abc');
    const a = certify(witness(tree, [[enc('time')]]), keys.rootSecretKey);
    const b = certify(witness(tree, [[enc('time')], [enc('canister'), canisterId.toUint8Array(), enc('module_hash')]]), keys.rootSecretKey);
    const sig = (c: Uint8Array) => Buffer.from(Cbor.decode<{ signature: Uint8Array }>(c).signature).toString('hex');
    expect(sig(a)).toBe(sig(b));
    expect(sig(certify(toHashTree(state('abd')), keys.rootSecretKey))).not.toBe(sig(a));
    for (const c of [a, b]) await Certificate.create({ certificate: c, rootKey: keys.rootKeyDer, principal: { canisterId } });
  });

  it('fail verification when the tree is altered after signing', async () => {
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    const cert = Cbor.decode<{ tree: unknown; signature: Uint8Array }>(certify(toHashTree(state('abc')), keys.rootSecretKey));
    const forged = Cbor.encode({ tree: toHashTree(state('abd')), signature: cert.signature });
    await expect(Certificate.create({ certificate: forged, rootKey: keys.rootKeyDer, principal: { canisterId } })).rejects.toThrow(/signature/i);
  });

  it('fail verification under another root key', async () => {
    const a = loadOrCreateKeys(new MemoryKeyStore());
    const b = loadOrCreateKeys(new MemoryKeyStore());
    await expect(
      Certificate.create({ certificate: certify(toHashTree(state('x')), a.rootSecretKey), rootKey: b.rootKeyDer, principal: { canisterId } }),
    ).rejects.toThrow();
  });
});

describe('replica keys', () => {
  it('are generated once and reloaded from a FileKeyStore, secrets readable only by the owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-upload-keys-'));
    try {
      const first = loadOrCreateKeys(new FileKeyStore(dir));
      const again = loadOrCreateKeys(new FileKeyStore(dir));
      expect(Buffer.from(again.rootKeyDer).equals(Buffer.from(first.rootKeyDer))).toBe(true);
      expect(Buffer.from(again.nodePublicKeyDer).equals(Buffer.from(first.nodePublicKeyDer))).toBe(true);
      expect(Principal.fromUint8Array(first.subnetId).toText()).toBe(Principal.selfAuthenticating(first.rootKeyDer).toText());
      expect(first.rootKeyDer.length).toBe(133);
      expect(first.nodePublicKeyDer.length).toBe(44);
      expect(statSync(join(dir, 'root_bls12_381.key')).mode & 0o777).toBe(0o600);
      const other = loadOrCreateKeys(new MemoryKeyStore());
      expect(Buffer.from(other.rootKeyDer).equals(Buffer.from(first.rootKeyDer))).toBe(false);
      new FileKeyStore(dir).save('root_bls12_381', new Uint8Array(7));
      expect(() => loadOrCreateKeys(new FileKeyStore(dir))).toThrow(KeyStoreError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reuse the stored root public key only for the secret it was derived from, and derive a damaged one again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-upload-keys-'));
    try {
      const first = loadOrCreateKeys(new FileKeyStore(dir));
      const derived = (secret: Uint8Array) => blsPublicKeyToDer(blsPublicKey(secret));
      expect(Buffer.from(first.rootKeyDer).equals(Buffer.from(derived(first.rootSecretKey)))).toBe(true);
      const publicFile = join(dir, 'root_bls12_381_public.key');
      expect(statSync(publicFile).size).toBe(32 + 96 + 4);
      // Another secret put in place: the stored public key names the old one, so it is not used.
      const secret = bls12_381.shortSignatures.keygen().secretKey;
      new FileKeyStore(dir).save('root_bls12_381', secret);
      const replaced = loadOrCreateKeys(new FileKeyStore(dir));
      expect(Buffer.from(replaced.rootKeyDer).equals(Buffer.from(derived(secret)))).toBe(true);
      // A flipped byte in the stored public key fails its checksum: derived again, not refused.
      const bytes = readFileSync(publicFile);
      bytes[40]! ^= 1;
      writeFileSync(publicFile, bytes);
      const again = loadOrCreateKeys(new FileKeyStore(dir));
      expect(Buffer.from(again.rootKeyDer).equals(Buffer.from(derived(secret)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
