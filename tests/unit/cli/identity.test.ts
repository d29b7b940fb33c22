import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { describe, expect, it } from 'vitest';
import { identityFromPem, loadOrCreateIdentity, NativeEd25519KeyIdentity } from '../../../src/cli/identity.js';
import { UsageError } from '../../../src/cli/errors.js';

// Fixed keys in the formats dfx writes, with principals computed independently by agent-js from the raw secret.
const ED_SEED = Buffer.alloc(32, 7);
const ED_PEM = `-----BEGIN PRIVATE KEY-----\n${Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), ED_SEED]).toString('base64')}\n-----END PRIVATE KEY-----\n`;

describe('dfx PEM identities', () => {
  it('reads an Ed25519 PKCS#8 key', () => {
    const id = identityFromPem(ED_PEM);
    expect(id).toBeInstanceOf(Ed25519KeyIdentity);
    expect(id.getPrincipal().toText()).toBe(Ed25519KeyIdentity.fromSecretKey(new Uint8Array(ED_SEED)).getPrincipal().toText());
  });

  it('signs Ed25519 natively with the bytes, key and principal agent-js would give', async () => {
    const id = identityFromPem(ED_PEM);
    expect(id).toBeInstanceOf(NativeEd25519KeyIdentity);
    for (let i = 0; i < 4; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const [native, reference] = [NativeEd25519KeyIdentity.fromSecretKey(seed), Ed25519KeyIdentity.fromSecretKey(seed)];
      expect(Buffer.from(native.getPublicKey().toDer()).toString('hex')).toBe(Buffer.from(reference.getPublicKey().toDer()).toString('hex'));
      expect(native.getPrincipal().toText()).toBe(reference.getPrincipal().toText());
      const message = new Uint8Array(randomBytes(43 + i));
      const signature = await native.sign(message);
      expect(Buffer.from(signature).toString('hex')).toBe(Buffer.from(await reference.sign(message)).toString('hex'));
      expect(Ed25519KeyIdentity.verify(signature, message, reference.getPublicKey().toRaw())).toBe(true);
    }
    expect(() => NativeEd25519KeyIdentity.fromSecretKey(new Uint8Array(31))).toThrow(UsageError);
  });

  it('reads a secp256k1 EC PRIVATE KEY, with the EC PARAMETERS block dfx puts first', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const sec1 = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const pem = `-----BEGIN EC PARAMETERS-----\nBgUrgQQACg==\n-----END EC PARAMETERS-----\n${sec1}`;
    const id = identityFromPem(pem);
    expect(id).toBeInstanceOf(Secp256k1KeyIdentity);
    expect(id.getPrincipal().toText()).toBe(Secp256k1KeyIdentity.fromSecretKey(new Uint8Array(d)).getPrincipal().toText());
  });

  it('refuses what it cannot use with a usage error', () => {
    expect(() => identityFromPem('hello')).toThrow(UsageError);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => identityFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toThrow(/unsupported key type EC\/P-384/);
  });

  it('creates a default identity once, private to the user, and reuses it', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ic-upload-id-')), 'state', 'identity.pem');
    const first = await loadOrCreateIdentity(path);
    const second = await loadOrCreateIdentity(path);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.identity.getPrincipal().toText()).toBe(first.identity.getPrincipal().toText());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});
