// agent-js's request id (the representation-independent hash of the IC interface specification,
// "Request ids"), with SHA-256 from node:crypto instead of @noble/hashes. A signed request hashes
// its whole `arg`, and noble's JavaScript SHA-256 took about half of the client's time uploading
// a large file (1.9 MB chunks). The algorithm follows agent-js's `hashValue` / `hashOfMap`
// (@icp-sdk/core, agent/request_id.js) value for value, so the ids are the same bytes;
// tests/unit/cli/request_id.test.ts compares them.
import { createHash } from 'node:crypto';
import { compare, lebEncode } from '@icp-sdk/core/candid';
import { concat } from '../shared/bytes.js';

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());
const encoder = new TextEncoder();

/** Thrown for a value agent-js's request-id hash does not define (agent-js throws too). */
export class UnhashableValueError extends Error {
  constructor(readonly value: unknown) {
    super(`a request field of type ${typeof value} has no representation-independent hash`);
    this.name = 'UnhashableValueError';
  }
}

export function requestIdOf(request: object): Uint8Array {
  return hashOfMap(request as Record<string, unknown>);
}

function hashValue(value: unknown): Uint8Array {
  if (typeof value === 'string') return sha256(encoder.encode(value));
  if (typeof value === 'number') return sha256(lebEncode(value));
  if (value instanceof Uint8Array) return sha256(value);
  // agent-js hashes the whole buffer under any other view (uint8FromBufLike); so do we.
  if (ArrayBuffer.isView(value)) return sha256(new Uint8Array(value.buffer));
  if (Array.isArray(value)) return sha256(concat(...value.map(hashValue)));
  if (value !== null && typeof value === 'object') {
    const object = value as { _isPrincipal?: boolean; toUint8Array?: () => Uint8Array; toHash?: () => unknown };
    if (object._isPrincipal && typeof object.toUint8Array === 'function') return sha256(object.toUint8Array());
    if (typeof object.toHash === 'function') return hashValue(object.toHash());
    return hashOfMap(value as Record<string, unknown>);
  }
  if (typeof value === 'bigint') return sha256(lebEncode(value));
  throw new UnhashableValueError(value);
}

function hashOfMap(map: Record<string, unknown>): Uint8Array {
  const fields = Object.entries(map)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]): [Uint8Array, Uint8Array] => [sha256(encoder.encode(key)), hashValue(value)]);
  fields.sort(([a], [b]) => compare(a, b));
  return sha256(concat(...fields.flatMap(([key, value]) => [key, value])));
}
