// CBOR as the IC HTTP interface uses it: responses carry the self-describe tag 55799 in front
// of the value (spec "CBOR encoding of requests and responses"); requests may or may not carry it.
import { decode, encode } from 'cborg';
import { MalformedRequestError } from './errors.js';

const SELF_DESCRIBE_TAG = new Uint8Array([0xd9, 0xd9, 0xf7]);
const BIGNUM_POSITIVE = 2;

const tags: Array<(decodeInner: () => unknown) => unknown> = [];
tags[55799] = (decodeInner) => decodeInner();
// Nats too large for major type 0 arrive as bignums (tag 2 over a big-endian byte string).
tags[BIGNUM_POSITIVE] = (decodeInner) => {
  const bytes = decodeInner();
  if (!(bytes instanceof Uint8Array)) throw new MalformedRequestError('bignum tag over a non-byte-string');
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
};

/** Encodes a response value with the self-describe tag, as the replica's `into_cbor` does. */
export function encodeCbor(value: unknown): Uint8Array {
  const body = encode(value);
  const out = new Uint8Array(SELF_DESCRIBE_TAG.length + body.length);
  out.set(SELF_DESCRIBE_TAG);
  out.set(body, SELF_DESCRIBE_TAG.length);
  return out;
}

/**
 * What a request may contain. An envelope is a few levels deep (envelope, content, delegations,
 * read_state paths); a read_state may name 1000 paths of 127 labels. Anything beyond is refused
 * before it is decoded or hashed, so a hostile body costs one linear scan of its bytes.
 */
export const CBOR_LIMITS = { maxDepth: 16, maxItems: 200_000 } as const;

/**
 * Checks nesting depth and item count by walking the CBOR heads (RFC 8949 §3) without
 * building anything; written here because cborg's decoder has no such bounds.
 */
export function checkCborBounds(bytes: Uint8Array, limits: { maxDepth: number; maxItems: number } = CBOR_LIMITS): void {
  // remaining[d] = items still expected in the container open at depth d.
  const remaining: number[] = [];
  let items = 0;
  let at = 0;
  const fail = (why: string) => {
    throw new MalformedRequestError(`Failed to deserialize cbor request: ${why}`);
  };
  const argument = (info: number): number => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) fail(info === 31 ? 'indefinite-length items are not accepted' : `invalid additional information ${info}`);
    if (at + size > bytes.length) fail('unexpected end of input');
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + bytes[at + i]!;
    at += size;
    return n;
  };
  do {
    if (at >= bytes.length) fail('unexpected end of input');
    const head = bytes[at++]!;
    const major = head >> 5;
    const n = argument(head & 31);
    if (++items > limits.maxItems) fail(`more than ${limits.maxItems} items`);
    // This item fills one slot of its container; containers that are now full are closed.
    let children = 0;
    if (major === 2 || major === 3) {
      if (n > bytes.length - at) fail('unexpected end of input');
      at += n;
    } else if (major === 4) children = n;
    else if (major === 5) children = 2 * n;
    else if (major === 6) children = 1;
    if (children > bytes.length - at) fail('unexpected end of input'); // every item takes a byte
    if (remaining.length > 0) remaining[remaining.length - 1]!--;
    if (children > 0) {
      if (remaining.length >= limits.maxDepth) fail(`nested deeper than ${limits.maxDepth} levels`);
      remaining.push(children);
    }
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) remaining.pop();
  } while (remaining.length > 0);
  if (at !== bytes.length) fail('trailing bytes after the value');
}

/** Decodes untrusted request bytes; duplicate map keys and undefined are refused (spec). */
export function decodeCbor(bytes: Uint8Array): unknown {
  checkCborBounds(bytes);
  try {
    return decode(bytes, { tags: tags as never, rejectDuplicateMapKeys: true, allowUndefined: false, strict: true });
  } catch (error) {
    if (error instanceof MalformedRequestError) throw error;
    throw new MalformedRequestError(`Failed to deserialize cbor request: ${(error as Error).message}`);
  }
}
