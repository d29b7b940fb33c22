// Persisted in pre_upgrade: an open session's hash state, and its versioned encoding.
import { Reader, Writer } from '../encoding.js';
import { V1, version } from './format.js';

/** A hash state saved in pre_upgrade: the frontier it belongs to, then the hasher's own export. */
export function encodeHashState(hashedBytes: bigint, state: Uint8Array): Uint8Array {
  return new Writer(16 + state.length).u8(V1).u64(hashedBytes).bytes(state).finish();
}

export function decodeHashState(bytes: Uint8Array): { hashedBytes: bigint; state: Uint8Array } {
  const r = new Reader(bytes);
  version(r, 'hash state');
  const value = { hashedBytes: r.u64(), state: r.bytes() };
  r.end();
  return value;
}
