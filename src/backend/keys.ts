// Stable-memory keys (DESIGN.md, "Stable memory").
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
