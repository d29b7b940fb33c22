// Principals and canister ids as the IC interface specification defines them (D.8 of our spec notes).
import { Principal } from '@icp-sdk/core/principal';
import { sha224 } from '@noble/hashes/sha2.js';
import { toHex } from '../shared/bytes.js';
import type { PrincipalBytes } from './types.js';

export const ANONYMOUS: PrincipalBytes = Uint8Array.of(0x04);
export const MANAGEMENT_CANISTER: PrincipalBytes = new Uint8Array(0);

/** PocketIC's single application subnet allocates canister ids from this range. */
export const APP_SUBNET_RANGE_START = 0xffffffffffe00000n;
export const APP_SUBNET_RANGE_END = 0xffffffffffefffffn;

/** Opaque canister id: the u64 big-endian followed by 0x01 0x01. */
export function canisterIdFromU64(n: bigint): PrincipalBytes {
  const bytes = new Uint8Array(10);
  new DataView(bytes.buffer).setBigUint64(0, n);
  bytes[8] = 1;
  bytes[9] = 1;
  return bytes;
}

export function canisterIdToU64(id: PrincipalBytes): bigint | undefined {
  if (id.length !== 10 || id[8] !== 1 || id[9] !== 1) return undefined;
  return new DataView(id.buffer, id.byteOffset, 10).getBigUint64(0);
}

/** Self-authenticating principal of a DER-encoded public key: SHA-224(der) ‖ 0x02. */
export function selfAuthenticating(derPublicKey: Uint8Array): PrincipalBytes {
  const out = new Uint8Array(29);
  out.set(sha224(derPublicKey));
  out[28] = 0x02;
  return out;
}

export function principalText(bytes: PrincipalBytes): string {
  return Principal.fromUint8Array(bytes).toText();
}

export function principalFromText(text: string): PrincipalBytes {
  return Principal.fromText(text).toUint8Array();
}

/** A stable map key for principal bytes. */
export function principalKey(bytes: PrincipalBytes): string {
  return toHex(bytes);
}
