// Identities from dfx PEM files: Ed25519 as PKCS#8 ("BEGIN PRIVATE KEY", what `dfx identity new`
// writes) and secp256k1 as SEC1 ("BEGIN EC PRIVATE KEY", `dfx identity import` / openssl), the
// latter often preceded by an "EC PARAMETERS" block. Node's crypto parses both; we take the
// private scalar from its JWK export and hand it to agent-js.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SignIdentity } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { CliError, UsageError } from './errors.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Parses the private key in a PEM text into an agent-js identity. */
export function identityFromPem(pem: string, origin = 'PEM'): SignIdentity {
  const blocks = [...pem.matchAll(PEM_BLOCK)].filter((m) => m[1] === 'PRIVATE KEY' || m[1] === 'EC PRIVATE KEY');
  if (blocks.length === 0) throw new UsageError(`${origin} holds no private key (expected "BEGIN PRIVATE KEY" or "BEGIN EC PRIVATE KEY")`);
  if (/ENCRYPTED/.test(pem)) throw new UsageError(`${origin} is encrypted; export it unencrypted with \`dfx identity export\``);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: blocks[0]![0], format: 'pem' });
  } catch (error) {
    throw new UsageError(`${origin} is not a readable private key (${(error as Error).message})`);
  }
  const jwk = key.export({ format: 'jwk' });
  const secret = Buffer.from(jwk.d ?? '', 'base64url');
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Ed25519KeyIdentity.fromSecretKey(new Uint8Array(secret));
  if (jwk.kty === 'EC' && jwk.crv === 'secp256k1') return Secp256k1KeyIdentity.fromSecretKey(new Uint8Array(secret.length === 32 ? secret : pad32(secret)));
  throw new UsageError(`${origin}: unsupported key type ${jwk.kty}/${jwk.crv ?? '?'} (use Ed25519 or secp256k1)`);
}

function pad32(bytes: Buffer): Uint8Array {
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

export async function identityFromPemFile(path: string): Promise<SignIdentity> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read identity ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2, { cause: error });
  }
  return identityFromPem(text, path);
}

/** A new Ed25519 key as PKCS#8 PEM, the format `dfx identity new` writes. */
export function newEd25519Pem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * The identity at `path`, created on first use: uploads need a non-anonymous caller, and the same
 * caller again to read, list or delete what it uploaded.
 */
export async function loadOrCreateIdentity(path: string): Promise<{ identity: SignIdentity; created: boolean }> {
  try {
    return { identity: identityFromPem(await readFile(path, 'utf8'), path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const pem = newEd25519Pem();
  await writeFile(path, pem, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error; // another process created it first: use theirs
  });
  await chmod(path, 0o600).catch(() => undefined);
  return { identity: identityFromPem(await readFile(path, 'utf8'), path), created: true };
}
