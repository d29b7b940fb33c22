// Embeds a canister's Candid interface in its Wasm as the public custom section
// `icp:public candid:service`, as dfx does at build time for `"metadata": [{ "name":
// "candid:service" }]` (interface spec, "Canister module format"). dfx, icp and Candid UI read it
// through read_state to show names instead of field hashes. A custom section is a tag, a length
// and a name followed by the bytes, so appending one needs no Wasm toolkit.
import { readFileSync, writeFileSync } from 'node:fs';

const SECTION = 'icp:public candid:service';

function leb128(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Reads a LEB128 u32 at `pos`: [value, next position]. */
function readLeb128(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value >>> 0, pos];
    shift += 7;
  }
}

/** The module without any custom section called `name`, so a rebuild never carries two. */
function withoutCustomSection(wasm, name) {
  const kept = [wasm.subarray(0, 8)];
  let pos = 8;
  while (pos < wasm.length) {
    const start = pos;
    const id = wasm[pos++];
    const [size, payload] = readLeb128(wasm, pos);
    const end = payload + size;
    let drop = false;
    if (id === 0) {
      const [length, text] = readLeb128(wasm, payload);
      drop = Buffer.from(wasm.subarray(text, text + length)).toString('utf8') === name;
    }
    if (!drop) kept.push(wasm.subarray(start, end));
    pos = end;
  }
  return Buffer.concat(kept);
}

/** The module with the custom section `name` holding `content` (replacing one of that name). */
export function withCustomSection(wasm, name, content) {
  const rest = withoutCustomSection(Buffer.from(wasm.buffer, wasm.byteOffset, wasm.byteLength), name);
  const label = Buffer.from(name, 'utf8');
  const body = Buffer.concat([Buffer.from(leb128(label.length)), label, Buffer.from(content)]);
  return new Uint8Array(Buffer.concat([rest, Buffer.from([0]), Buffer.from(leb128(body.length)), body]));
}

/** Rewrites `wasmPath` with `didPath`'s text as its `candid:service` metadata. */
export function embedCandidService(wasmPath, didPath) {
  writeFileSync(wasmPath, withCustomSection(readFileSync(wasmPath), SECTION, readFileSync(didPath)));
}
