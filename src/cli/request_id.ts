// agent-js's request id (the representation-independent hash of the IC interface specification,
// "Request ids") on the replica's native-SHA-256 hash (src/replica/http/request_id.ts) instead of
// agent-js's @noble/hashes one. A signed request hashes its whole `arg`, and noble's JavaScript
// SHA-256 took about half of the client's time uploading a large file (1.9 MB chunks). agent-js's
// values are first turned into the plain ones that hash takes, as agent-js's `hashValue` reads
// them (@icp-sdk/core, agent/request_id.js), so the ids are the same bytes;
// tests/unit/cli/request_id.test.ts compares them.
import { requestIdOf as plainRequestId, type HashableValue } from '../replica/http/request_id.js';

/** Thrown for a value agent-js's request-id hash does not define (agent-js throws too). */
export class UnhashableValueError extends Error {
  constructor(readonly value: unknown) {
    super(`a request field of type ${typeof value} has no representation-independent hash`);
    this.name = 'UnhashableValueError';
  }
}

export function requestIdOf(request: object): Uint8Array {
  return plainRequestId(plainMap(request));
}

function plain(value: unknown): HashableValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || value instanceof Uint8Array) return value;
  // agent-js hashes the whole buffer under any other view (uint8FromBufLike); so do we.
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const object = value as { _isPrincipal?: boolean; toUint8Array?: () => Uint8Array; toHash?: () => unknown };
    if (object._isPrincipal && typeof object.toUint8Array === 'function') return object.toUint8Array();
    if (typeof object.toHash === 'function') return plain(object.toHash());
    return plainMap(value);
  }
  throw new UnhashableValueError(value);
}

/** A map's fields as plain values; undefined ones are left out, as agent-js leaves them out. */
function plainMap(map: object): { [field: string]: HashableValue } {
  const out: { [field: string]: HashableValue } = {};
  for (const [key, value] of Object.entries(map)) if (value !== undefined) out[key] = plain(value);
  return out;
}
