// Hash trees as the IC interface specification defines them ("Certification": "Encoding of
// certificates"), on the canister side: the digests of each node kind and the CBOR a certificate
// header carries. The hash function is passed in, so this runs in the canister (its SHA-256) and
// in Node tests alike.
import { concat } from '../../shared/bytes.js';
import { utf8 } from '../encoding.js';

/** SHA-256 of the bytes: the only primitive certification needs. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array;

/** The CBOR shape of a hash tree (`NodeType` 0..4 as agent-js and ic-certification decode it). */
export type HashTree =
  | readonly [0]
  | readonly [1, HashTree, HashTree]
  | readonly [2, Uint8Array, HashTree]
  | readonly [3, Uint8Array]
  | readonly [4, Uint8Array];

export const empty = (): HashTree => [0];
export const fork = (left: HashTree, right: HashTree): HashTree => [1, left, right];
export const labeled = (label: Uint8Array, tree: HashTree): HashTree => [2, label, tree];
export const leaf = (value: Uint8Array): HashTree => [3, value];
export const pruned = (digest: Uint8Array): HashTree => [4, digest];

export { concat, utf8 };

function domainSeparator(name: string): Uint8Array {
  return concat(Uint8Array.of(name.length), utf8(name));
}
const EMPTY_SEPARATOR = domainSeparator('ic-hashtree-empty');
const FORK_SEPARATOR = domainSeparator('ic-hashtree-fork');
const LABELED_SEPARATOR = domainSeparator('ic-hashtree-labeled');
const LEAF_SEPARATOR = domainSeparator('ic-hashtree-leaf');

/** The digests of the node kinds, with the hash function bound once. */
export class TreeHasher {
  readonly emptyHash: Uint8Array;

  constructor(readonly sha256: Sha256) {
    this.emptyHash = sha256(EMPTY_SEPARATOR);
  }

  fork(left: Uint8Array, right: Uint8Array): Uint8Array {
    return this.sha256(concat(FORK_SEPARATOR, left, right));
  }

  labeled(label: Uint8Array, child: Uint8Array): Uint8Array {
    return this.sha256(concat(LABELED_SEPARATOR, label, child));
  }

  leaf(value: Uint8Array): Uint8Array {
    return this.sha256(concat(LEAF_SEPARATOR, value));
  }

  /** `reconstruct`: the root hash of a (pruned) tree. */
  digest(tree: HashTree): Uint8Array {
    switch (tree[0]) {
      case 0:
        return this.emptyHash;
      case 1:
        return this.fork(this.digest(tree[1]), this.digest(tree[2]));
      case 2:
        return this.labeled(tree[1], this.digest(tree[2]));
      case 3:
        return this.leaf(tree[1]);
      case 4:
        return tree[1];
    }
  }
}

// CBOR: a certificate header needs only unsigned integers, byte strings, text strings and
// arrays, behind the self-describe tag. Written out here rather than pulling a general CBOR
// library into the canister, where every interpreted instruction is paid for.
const SELF_DESCRIBE_TAG = Uint8Array.of(0xd9, 0xd9, 0xf7);

function cborHead(major: number, length: number, out: number[]): void {
  const m = major << 5;
  if (length < 24) out.push(m | length);
  else if (length < 0x100) out.push(m | 24, length);
  else if (length < 0x10000) out.push(m | 25, length >> 8, length & 0xff);
  else out.push(m | 26, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

type CborValue = number | Uint8Array | string | readonly CborValue[];

function encodeValue(value: CborValue, out: number[], blobs: { at: number; bytes: Uint8Array }[]): void {
  if (typeof value === 'number') return cborHead(0, value, out);
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    cborHead(4, value.length, out);
    for (const item of value) encodeValue(item, out, blobs);
    return;
  }
  const bytes = typeof value === 'string' ? utf8(value) : value;
  cborHead(typeof value === 'string' ? 3 : 2, bytes.length, out);
  // Byte runs are copied in one go at the end; here they only reserve their place.
  blobs.push({ at: out.length, bytes });
  out.length += bytes.length;
}

/** Self-described CBOR of a hash tree or of a list of texts (an expression path). */
export function encodeCbor(value: HashTree | readonly string[]): Uint8Array {
  const out: number[] = [];
  const blobs: { at: number; bytes: Uint8Array }[] = [];
  encodeValue(value as CborValue, out, blobs);
  const bytes = new Uint8Array(SELF_DESCRIBE_TAG.length + out.length);
  bytes.set(SELF_DESCRIBE_TAG, 0);
  for (let i = 0; i < out.length; i++) if (out[i] !== undefined) bytes[SELF_DESCRIBE_TAG.length + i] = out[i];
  for (const b of blobs) bytes.set(b.bytes, SELF_DESCRIBE_TAG.length + b.at);
  return bytes;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (RFC 4648 §4), as the `IC-Certificate` header's byte sequences. */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + BASE64_ALPHABET[n & 63];
  }
  if (i + 1 === bytes.length) {
    const n = bytes[i] << 16;
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + '==';
  } else if (i + 2 === bytes.length) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + '=';
  }
  return out;
}

/** Byte-string order, as labels are sorted in a hash tree. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
