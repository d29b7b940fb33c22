// Byte helpers for every runtime in the project: the canister (QuickJS in Wasm), Node (client,
// CLI, replica) and browsers. Pure: no Node built-ins, no agent, nothing that runs at import.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Candid's `vec nat8` arrives as a Uint8Array or a number[], depending on the agent. */
export function asBytes(value: Uint8Array | number[]): Uint8Array {
  return value instanceof Uint8Array ? value : Uint8Array.from(value);
}

export function bytesEqual(a: Uint8Array | number[], b: Uint8Array | number[]): boolean {
  if (a.length !== b.length) return false;
  // Word-wise when both are 4-byte aligned Uint8Arrays: in the canister a typed-array read costs
  // ~190 instructions in QuickJS, so comparing a 2 MB chunk byte by byte would cost 4x more.
  const words = a.length >>> 2;
  if (words > 0 && a instanceof Uint8Array && b instanceof Uint8Array && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (wa[i] !== wb[i]) return false;
    for (let i = words << 2; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex, two digits a byte. */
export function toHex(bytes: Uint8Array | number[]): string {
  return bytesToHex(asBytes(bytes));
}

/** The bytes of an even-length hex string; throws on anything else. */
export function fromHex(text: string): Uint8Array {
  return hexToBytes(text);
}

/** The parts one after another, in one new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatList(parts);
}

/** `concat` for a list of any length: spreading a long list into a call overflows the stack. */
export function concatList(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
