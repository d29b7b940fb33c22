// Representation-independent hashing of structured data (spec "hash-of-map") and request ids.
// Written here rather than reusing agent-js `requestIdOf`, because the server hashes untrusted,
// decoded CBOR: agent-js hashes negative integers as unsigned LEB128 and throws a TypeError on
// `null`, while the spec asks for SLEB128 and the server must answer 400.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { MalformedRequestError } from './errors.js';

/** A decoded CBOR value that the spec knows how to hash. */
export type HashableValue =
  | string
  | Uint8Array
  | number
  | bigint
  | HashableValue[]
  | { [field: string]: HashableValue | undefined };

/** Shortest unsigned LEB128 of a natural number. */
export function uleb128(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('uleb128 of a negative number');
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n !== 0n) byte |= 0x80;
    out.push(byte);
  } while (n !== 0n);
  return Uint8Array.from(out);
}

/** Shortest signed LEB128 of an integer. */
export function sleb128(n: bigint): Uint8Array {
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const signBitClear = (byte & 0x40) === 0;
    if ((n === 0n && signBitClear) || (n === -1n && !signBitClear)) {
      out.push(byte);
      return Uint8Array.from(out);
    }
    out.push(byte | 0x80);
  }
}

export function hashValue(value: unknown): Uint8Array {
  if (typeof value === 'string') return sha256(utf8ToBytes(value));
  if (value instanceof Uint8Array) return sha256(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new MalformedRequestError(`cannot hash non-integer number ${value}`);
    return hashValue(BigInt(value));
  }
  if (typeof value === 'bigint') return sha256(value >= 0n ? uleb128(value) : sleb128(value));
  if (Array.isArray(value)) return sha256(concatBytes(...value.map(hashValue)));
  if (isPlainMap(value)) return hashOfMap(value);
  throw new MalformedRequestError(`cannot hash a value of type ${value === null ? 'null' : typeof value}`);
}

/** `hash_of_map`: sort H(key)·H(value) over present fields, concatenate, hash. */
export function hashOfMap(map: Record<string, unknown>): Uint8Array {
  const pairs = Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => concatBytes(sha256(utf8ToBytes(k)), hashValue(v)));
  pairs.sort(compareBytes);
  return sha256(concatBytes(...pairs));
}

/** The request id of a request's `content` map. */
export function requestIdOf(content: Record<string, unknown>): Uint8Array {
  return hashOfMap(content);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
