// Identities from dfx PEM files: Ed25519 as PKCS#8 ("BEGIN PRIVATE KEY", what `dfx identity new`
// writes) and secp256k1 as SEC1 ("BEGIN EC PRIVATE KEY", `dfx identity import` / openssl), the
// latter often preceded by an "EC PARAMETERS" block. Node's crypto parses both; we take the
// private scalar from its JWK export and hand it to agent-js.
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IC_REQUEST_DOMAIN_SEPARATOR, type Signature, type SignIdentity } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity, Ed25519PublicKey } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { CliError, UsageError } from './errors.js';
import { requestIdOf } from './request_id.js';
import { concat } from '../shared/bytes.js';

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
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return NativeEd25519KeyIdentity.fromSecretKey(new Uint8Array(secret));
  if (jwk.kty === 'EC' && jwk.crv === 'secp256k1') return Secp256k1KeyIdentity.fromSecretKey(new Uint8Array(secret.length === 32 ? secret : pad32(secret)));
  throw new UsageError(`${origin}: unsupported key type ${jwk.kty}/${jwk.crv ?? '?'} (use Ed25519 or secp256k1)`);
}

/**
 * agent-js's Ed25519 identity, signing through node:crypto (OpenSSL) instead of @noble/curves:
 * every request an upload sends is signed, and noble derives the public key again for each
 * signature — measured ≈ 2.3 ms a signature against ≈ 0.27 ms natively, about a fifth of the
 * client's time per small file. Ed25519 signatures are deterministic (RFC 8032), so the bytes
 * are the ones agent-js would produce (tests/unit/cli/identity.test.ts compares them).
 */
export class NativeEd25519KeyIdentity extends Ed25519KeyIdentity {
  readonly #key: KeyObject;

  protected constructor(secretKey: Uint8Array, key: KeyObject) {
    const publicKey = Buffer.from(rawPublicKeyBase64url(key), 'base64url');
    super(Ed25519PublicKey.fromRaw(new Uint8Array(publicKey)), secretKey);
    this.#key = key;
  }

  /** The identity of a 32-byte Ed25519 secret key (the seed RFC 8032 calls the private key). */
  static override fromSecretKey(secretKey: Uint8Array): NativeEd25519KeyIdentity {
    if (secretKey.length !== 32) throw new UsageError(`an Ed25519 secret key has 32 bytes, not ${secretKey.length}`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    return new NativeEd25519KeyIdentity(secretKey.slice(), key);
  }

  /** As SignIdentity's, with the request id hashed natively (./request_id.ts). */
  override async transformRequest(request: Parameters<SignIdentity['transformRequest']>[0]): Promise<unknown> {
    const { body, ...fields } = request;
    const requestId = requestIdOf(body);
    return {
      ...fields,
      body: {
        content: body,
        sender_pubkey: this.getPublicKey().toDer(),
        sender_sig: await this.sign(concat(IC_REQUEST_DOMAIN_SEPARATOR, requestId))
      }
    };
  }

  override async sign(challenge: Uint8Array): Promise<Signature> {
    const signature = new Uint8Array(sign(null, challenge, this.#key));
    // The brand agent-js puts on its signatures (see Ed25519KeyIdentity.sign).
    Object.defineProperty(signature, '__signature__', { enumerable: false, value: undefined });
    return signature as Signature;
  }
}

/** PKCS#8 for an Ed25519 seed (RFC 8410): the DER header before the 32 key bytes. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function rawPublicKeyBase64url(privateKey: KeyObject): string {
  const { x } = privateKey.export({ format: 'jwk' });
  return x ?? '';
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
