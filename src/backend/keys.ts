// Stable-memory keys.
// Session key = SHA-256(asset id ‖ "#" ‖ upload id as 8 little-endian bytes): deterministic, and
// unique per session, so parallel uploads of one asset never share a chunk key.
// Chunk key = session key ‖ chunk index as u32 big-endian, so a session's chunks sort by index.
import { Sha256 } from './hash/sha256.js';
import { utf8 } from './encoding.js';

export const SESSION_KEY_BYTES = 32;
export const CHUNK_KEY_BYTES = SESSION_KEY_BYTES + 4;

export function sessionKey(assetId: string, uploadId: bigint): Uint8Array {
  const asset = utf8(assetId);
  const input = new Uint8Array(asset.length + 1 + 8);
  input.set(asset, 0);
  input[asset.length] = 0x23; // '#'
  new DataView(input.buffer).setBigUint64(asset.length + 1, uploadId, true);
  const hasher = new Sha256();
  hasher.update(input);
  return hasher.digest();
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
