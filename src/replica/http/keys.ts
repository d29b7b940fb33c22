// The replica's own keys: the BLS12-381 root key that certifies state (its DER form is what
// /api/v2/status hands agent-js as `root_key`) and the Ed25519 key of its one node, which signs
// query responses. Generated once and kept in a KeyStore so a restarted replica keeps its
// identity (clients that cached the root key keep verifying).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { blsPublicKey } from './certificate.js';
import { blsPublicKeyToDer, ed25519PublicKeyToDer } from './der.js';
import { selfAuthenticatingPrincipal } from './auth.js';

export class KeyStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyStoreError';
  }
}

/** Where secrets live: one small byte string per name. */
export interface KeyStore {
  load(name: string): Uint8Array | undefined;
  save(name: string, bytes: Uint8Array): void;
}

export class MemoryKeyStore implements KeyStore {
  readonly #entries = new Map<string, Uint8Array>();
  load(name: string): Uint8Array | undefined {
    return this.#entries.get(name);
  }
  save(name: string, bytes: Uint8Array): void {
    this.#entries.set(name, bytes.slice());
  }
}

/** Keys as files `<dir>/<name>.key` (mode 0600), written via a temporary file and a rename. */
export class FileKeyStore implements KeyStore {
  constructor(readonly dir: string) {}
  load(name: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(join(this.dir, `${name}.key`)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  save(name: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${name}.key`);
    writeFileSync(`${path}.tmp`, bytes, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}

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
  if (rootSecretKey.length !== 32 || nodeSecretKey.length !== 32) {
    throw new KeyStoreError(`stored replica keys are corrupt (expected 32-byte secrets, got ${rootSecretKey.length} and ${nodeSecretKey.length})`);
  }
  const rootKeyDer = blsPublicKeyToDer(blsPublicKey(rootSecretKey));
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
