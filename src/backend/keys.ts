// Stable-memory keys.
// Session key = upload id as u64 big-endian ‖ 24 zero bytes: unique per session (upload ids are
// never reused), so parallel uploads of one asset never share a chunk key. Sessions begun before
// this layout have SHA-256(asset id ‖ "#" ‖ upload id as 8 little-endian bytes) instead, which
// their records keep; a digest ending in 24 zero bytes is not a collision anyone will meet. The
// hash cost ≈ 760,000 instructions a begin in the canister's JavaScript.
// Chunk key = session key ‖ chunk index as u32 big-endian, so a session's chunks sort by index.

export const SESSION_KEY_BYTES = 32;
export const CHUNK_KEY_BYTES = SESSION_KEY_BYTES + 4;

export function sessionKey(uploadId: bigint): Uint8Array {
  const key = new Uint8Array(SESSION_KEY_BYTES);
  new DataView(key.buffer).setBigUint64(0, uploadId, false);
  return key;
}

export function chunkKey(session: Uint8Array, index: number): Uint8Array {
  const key = new Uint8Array(CHUNK_KEY_BYTES);
  key.set(session, 0);
  new DataView(key.buffer).setUint32(SESSION_KEY_BYTES, index, false);
  return key;
}

/**
 * An owner's prefix in the per-owner index maps: length ‖ principal bytes (≤ 29), so no owner's
 * prefix is a prefix of another's keys.
 */
export function ownerPrefix(owner: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + owner.length);
  key[0] = owner.length;
  key.set(owner, 1);
  return key;
}

/** A closed session's place in the pruning queue: close time ‖ upload id, both u64 big-endian. */
export function closedQueueKey(closedAtNs: bigint, uploadId: bigint): Uint8Array {
  const key = new Uint8Array(16);
  const view = new DataView(key.buffer);
  view.setBigUint64(0, closedAtNs);
  view.setBigUint64(8, uploadId);
  return key;
}

export function readClosedQueueKey(key: Uint8Array): { closedAtNs: bigint; uploadId: bigint } {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return { closedAtNs: view.getBigUint64(0), uploadId: view.getBigUint64(8) };
}
