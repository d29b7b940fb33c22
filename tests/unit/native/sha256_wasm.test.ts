// The generated Wasm SHA-256 on its own, outside any canister: a minimal module with just a
// memory and the method, run by Node with a hand-written ic0, checked against node:crypto.
// The in-canister tests (tests/e2e/native_hash.test.ts) check it in Azle's real module.
import { createHash, randomBytes } from 'node:crypto';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';

import {
  FLAG_CHUNK_DIGEST,
  FLAG_FINAL,
  HEADER_BYTES,
  MIDSTATE_BYTES,
  NATIVE_SHA256_METHOD,
  addNativeSha256
} from '../../../src/backend/native/sha256_wasm.mjs';

const SELF = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);

function buildModule(): WebAssembly.Module {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals);
  m.setMemory(1, 65536, 'memory');
  addNativeSha256(binaryen, m);
  expect(m.validate()).toBeTruthy();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Module(new Uint8Array(bytes));
}

const compiled = buildModule();

class Trap extends Error {}

/** Runs one call of the method; returns the reply bytes or throws Trap. */
function instance() {
  let arg: Uint8Array = new Uint8Array(0);
  let caller: Uint8Array = SELF;
  let reply: number[] = [];
  let memory!: WebAssembly.Memory;
  const mem = () => new Uint8Array(memory.buffer);
  const ic0 = {
    msg_arg_data_size: () => arg.length,
    msg_arg_data_copy: (dst: number, off: number, len: number) => mem().set(arg.subarray(off, off + len), dst),
    msg_caller_size: () => caller.length,
    msg_caller_copy: (dst: number, off: number, len: number) => mem().set(caller.subarray(off, off + len), dst),
    canister_self_size: () => SELF.length,
    canister_self_copy: (dst: number, off: number, len: number) => mem().set(SELF.subarray(off, off + len), dst),
    msg_reply_data_append: (src: number, len: number) => reply.push(...mem().subarray(src, src + len)),
    msg_reply: () => {},
    trap: (src: number, len: number) => {
      throw new Trap(Buffer.from(mem().subarray(src, src + len)).toString());
    }
  };
  const inst = new WebAssembly.Instance(compiled, { ic0 });
  memory = inst.exports.memory as WebAssembly.Memory;
  const method = inst.exports[`canister_update ${NATIVE_SHA256_METHOD}`] as () => void;
  return {
    call(a: Uint8Array, from: Uint8Array = SELF): Uint8Array {
      arg = a;
      caller = from;
      reply = [];
      method();
      return new Uint8Array(reply);
    },
    pages: () => memory.buffer.byteLength / 65536
  };
}

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
function initialMidstate(): Uint8Array {
  const m = new Uint8Array(MIDSTATE_BYTES);
  const v = new DataView(m.buffer);
  IV.forEach((h, i) => v.setUint32(4 * i, h));
  return m;
}
function arg(midstate: Uint8Array, flags: number, data: Uint8Array): Uint8Array {
  const a = new Uint8Array(HEADER_BYTES + data.length);
  a.set(midstate);
  new DataView(a.buffer).setUint32(MIDSTATE_BYTES, flags, true);
  a.set(data, HEADER_BYTES);
  return a;
}
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('generated Wasm SHA-256', () => {
  it('digests every length 0–300 in one call, with the chunk digest equal to the stream digest', () => {
    const run = instance();
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n++) {
      const out = run.call(arg(initialMidstate(), FLAG_FINAL | FLAG_CHUNK_DIGEST, data.subarray(0, n)));
      expect(out.length).toBe(MIDSTATE_BYTES + 64);
      expect(out.subarray(MIDSTATE_BYTES, MIDSTATE_BYTES + 32)).toEqual(sha(data.subarray(0, n)));
      expect(out.subarray(MIDSTATE_BYTES + 32)).toEqual(sha(data.subarray(0, n)));
      expect(new DataView(out.buffer).getBigUint64(32, true)).toBe(BigInt(n));
    }
  });

  it('continues a stream across random splits, and each piece digests alone', () => {
    const run = instance();
    const data = randomBytes(70_000);
    let state = initialMidstate();
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, [0, 1, 63, 64, 65, 127, 128, 4096, 9999][Math.floor(Math.random() * 9)]);
      const piece = data.subarray(at, at + n);
      const out = run.call(arg(state, FLAG_CHUNK_DIGEST, piece));
      expect(out.subarray(MIDSTATE_BYTES)).toEqual(sha(piece));
      state = out.slice(0, MIDSTATE_BYTES);
      at += n;
    }
    const out = run.call(arg(state, FLAG_FINAL, new Uint8Array(0)));
    expect(out.subarray(MIDSTATE_BYTES)).toEqual(sha(data));
  });

  it('hashes 1.9 MB and grows its own pages once', () => {
    const run = instance();
    const data = randomBytes(1_900_000);
    const before = run.pages();
    expect(run.call(arg(initialMidstate(), FLAG_FINAL, data)).subarray(MIDSTATE_BYTES)).toEqual(sha(data));
    const after = run.pages();
    expect(after).toBeGreaterThan(before);
    run.call(arg(initialMidstate(), FLAG_FINAL, data));
    expect(run.pages()).toBe(after);
  });

  it('traps for any caller but the canister itself, and for a malformed argument', () => {
    const run = instance();
    const ok = arg(initialMidstate(), FLAG_FINAL, new Uint8Array(5));
    expect(() => run.call(ok, new Uint8Array([4]))).toThrow(Trap);
    expect(() => run.call(ok, SELF.map((b, i) => (i === 9 ? 2 : b)))).toThrow(/only the canister itself/);
    expect(() => run.call(ok, new Uint8Array(29))).toThrow(Trap);
    expect(() => run.call(ok.subarray(0, HEADER_BYTES - 1))).toThrow(/header/);
    expect(() => run.call(arg(initialMidstate(), 4, new Uint8Array(0)))).toThrow(/flags/);
    expect(run.call(ok).subarray(MIDSTATE_BYTES)).toEqual(sha(new Uint8Array(5)));
  });
});
