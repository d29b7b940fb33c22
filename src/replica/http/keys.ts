// The replica's own keys: the BLS12-381 root key that certifies state (its DER form is what
// /api/v2/status hands agent-js as `root_key`) and the Ed25519 key of its one node, which signs
// query responses. Generated once and kept in a KeyStore so a restarted replica keeps its
// identity (clients that cached the root key keep verifying).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { blsPublicKey } from './certificate.js';
import { blsPublicKeyToDer, ed25519PublicKeyToDer } from './der.js';
import { selfAuthenticatingPrincipal } from './auth.js';

/** A stored key is damaged: `key` says where (a file path for FileKeyStore). */
export class KeyStoreError extends Error {
  constructor(
    readonly key: string,
    message: string
  ) {
    super(message);
    this.name = 'KeyStoreError';
  }
}

/** Where secrets live: one small byte string per name. */
export interface KeyStore {
  load(name: string): Uint8Array | undefined;
  save(name: string, bytes: Uint8Array): void;
  /** Where `name` is kept, for messages (a file path, or a name). */
  where(name: string): string;
}

export class MemoryKeyStore implements KeyStore {
  readonly #entries = new Map<string, Uint8Array>();
  load(name: string): Uint8Array | undefined {
    return this.#entries.get(name);
  }
  save(name: string, bytes: Uint8Array): void {
    this.#entries.set(name, bytes.slice());
  }
  where(name: string): string {
    return name;
  }
}

/**
 * Keys as files `<dir>/<name>.key` (mode 0600): the bytes followed by the first 4 bytes of their
 * SHA-256, so a flipped bit is refused rather than becoming a silent new identity (files of the
 * bare secret, as older versions wrote, are still read). Written via a temporary file, fsync
 * and a rename.
 */
export class FileKeyStore implements KeyStore {
  constructor(readonly dir: string) {}
  where(name: string): string {
    return join(this.dir, `${name}.key`);
  }
  load(name: string): Uint8Array | undefined {
    const path = this.where(name);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new KeyStoreError(path, `cannot read the replica key ${path}: ${(error as Error).message}`);
    }
    if (bytes.length === SECRET_BYTES) return bytes;
    const secret = bytes.subarray(0, bytes.length - KEY_CHECK_BYTES);
    if (bytes.length <= KEY_CHECK_BYTES || Buffer.compare(keyCheck(secret), bytes.subarray(secret.length)) !== 0) {
      throw new KeyStoreError(path, `the replica key file ${path} is damaged (${bytes.length} bytes that fail their checksum); restore it from a backup or start with an empty --state-dir`);
    }
    return secret;
  }
  save(name: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.where(name);
    const fd = openSync(`${path}.tmp`, 'w', 0o600);
    try {
      writeSync(fd, Buffer.concat([bytes, keyCheck(bytes)]));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${path}.tmp`, path);
  }
}

const SECRET_BYTES = 32;
const KEY_CHECK_BYTES = 4;
const keyCheck = (secret: Uint8Array) => Buffer.from(sha256(secret).subarray(0, KEY_CHECK_BYTES));

export interface ReplicaKeys {
  rootSecretKey: Uint8Array;
  /** DER BLS12-381 G2 public key, 133 bytes. */
  rootKeyDer: Uint8Array;
  /** The root subnet's id: agent-js derives it as the self-authenticating id of the root key. */
  subnetId: Uint8Array;
  nodeSecretKey: Uint8Array;
  /** DER Ed25519 public key, 44 bytes, as agent-js requires for node keys. */
  nodePublicKeyDer: Uint8Array;
  nodeId: Uint8Array;
}

const ROOT_KEY = 'root_bls12_381';
/** SHA-256 of the root secret ‖ its public key: deriving it costs ≈0.5 s of every start. */
const ROOT_PUBLIC_KEY = 'root_bls12_381_public';
const NODE_KEY = 'node_ed25519';

/** Loads the replica's keys, generating and saving any that are missing. */
export function loadOrCreateKeys(store: KeyStore): ReplicaKeys {
  let rootSecretKey = store.load(ROOT_KEY);
  if (!rootSecretKey) {
    rootSecretKey = bls12_381.shortSignatures.keygen().secretKey;
    store.save(ROOT_KEY, rootSecretKey);
  }
  let nodeSecretKey = store.load(NODE_KEY);
  if (!nodeSecretKey) {
    nodeSecretKey = ed25519.utils.randomSecretKey();
    store.save(NODE_KEY, nodeSecretKey);
  }
  // Validate on the way in: a truncated or foreign key file must not become a silent new identity.
  for (const [name, secret] of [[ROOT_KEY, rootSecretKey], [NODE_KEY, nodeSecretKey]] as const) {
    if (secret.length !== SECRET_BYTES) {
      throw new KeyStoreError(store.where(name), `the replica key ${store.where(name)} is damaged (a ${secret.length}-byte secret where 32 bytes belong)`);
    }
  }
  const rootKeyDer = blsPublicKeyToDer(rootPublicKey(store, rootSecretKey));
  const nodePublicKeyDer = ed25519PublicKeyToDer(ed25519.getPublicKey(nodeSecretKey));
  return {
    rootSecretKey,
    rootKeyDer,
    subnetId: selfAuthenticatingPrincipal(rootKeyDer),
    nodeSecretKey,
    nodePublicKeyDer,
    nodeId: selfAuthenticatingPrincipal(nodePublicKeyDer),
  };
}

/**
 * The root public key, from the store when it was derived from this very secret (the stored
 * copy names the secret's SHA-256), else derived and stored. A damaged copy is derived again.
 */
function rootPublicKey(store: KeyStore, secret: Uint8Array): Uint8Array {
  const secretDigest = sha256(secret);
  let stored: Uint8Array | undefined;
  try {
    stored = store.load(ROOT_PUBLIC_KEY);
  } catch (error) {
    if (!(error instanceof KeyStoreError)) throw error;
  }
  if (stored && stored.length > secretDigest.length && Buffer.compare(stored.subarray(0, secretDigest.length), secretDigest) === 0) {
    return stored.slice(secretDigest.length);
  }
  const publicKey = blsPublicKey(secret);
  store.save(ROOT_PUBLIC_KEY, new Uint8Array([...secretDigest, ...publicKey]));
  return publicKey;
}
