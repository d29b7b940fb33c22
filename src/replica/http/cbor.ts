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

/** Decodes untrusted request bytes; duplicate map keys and undefined are refused (spec). */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decode(bytes, { tags: tags as never, rejectDuplicateMapKeys: true, allowUndefined: false, strict: true });
  } catch (error) {
    if (error instanceof MalformedRequestError) throw error;
    throw new MalformedRequestError(`Failed to deserialize cbor request: ${(error as Error).message}`);
  }
}
