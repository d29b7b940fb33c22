// The generated Wasm SHA-256 on its own, outside any canister: a minimal module with just a
// memory and the method, run by Node with a hand-written ic0, checked against node:crypto.
// The in-canister tests (tests/e2e/native_hash.test.ts) check it in Azle's real module.
import { createHash, randomBytes } from 'node:crypto';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';

import {
  FLAG_CHUNK_DIGEST,
  FLAG_FINAL,
  FLAG_STASHED,
  HEADER_BYTES,
  MIDSTATE_BYTES,
  NATIVE_SHA256_METHOD,
  addNativeSha256
} from '../../../src/backend/native/sha256_wasm.mjs';

const SELF = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);

function buildModule(): WebAssembly.Module {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals | binaryen.Features.SIMD128);
  m.setMemory(1, 65536, 'memory');
  addNativeSha256(binaryen, m);
  expect(m.validate()).toBeTruthy();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Module(new Uint8Array(bytes));
}

const compiled = buildModule();

class Trap extends Error {}

/** The message a call delivers to the method, and what it answers. */
interface Message {
  arg: Uint8Array;
  caller: Uint8Array;
  reply: number[];
}

/** The System API the method uses, over `mem` and the current message. */
function methodIc0(mem: () => Uint8Array, m: Message) {
  return {
    msg_arg_data_size: () => m.arg.length,
    msg_arg_data_copy: (dst: number, off: number, len: number) => mem().set(m.arg.subarray(off, off + len), dst),
    msg_caller_size: () => m.caller.length,
    msg_caller_copy: (dst: number, off: number, len: number) => mem().set(m.caller.subarray(off, off + len), dst),
    canister_self_size: () => SELF.length,
    canister_self_copy: (dst: number, off: number, len: number) => mem().set(SELF.subarray(off, off + len), dst),
    msg_reply_data_append: (src: number, len: number) => m.reply.push(...mem().subarray(src, src + len)),
    msg_reply: () => {},
    trap: (src: number, len: number) => {
      throw new Trap(Buffer.from(mem().subarray(src, src + len)).toString());
    }
  };
}

/** Delivers `a` from `from` to the method; returns the reply bytes or throws Trap. */
function deliverTo(method: () => void, m: Message, a: Uint8Array, from: Uint8Array = SELF): Uint8Array {
  m.arg = a;
  m.caller = from;
  m.reply = [];
  method();
  return new Uint8Array(m.reply);
}

/** Runs one call of the method; returns the reply bytes or throws Trap. */
function instance() {
  const m: Message = { arg: new Uint8Array(0), caller: SELF, reply: [] };
  let memory!: WebAssembly.Memory;
  const inst = new WebAssembly.Instance(compiled, { ic0: methodIc0(() => new Uint8Array(memory.buffer), m) });
  memory = inst.exports.memory as WebAssembly.Memory;
  const method = inst.exports[`canister_update ${NATIVE_SHA256_METHOD}`] as () => void;
  return {
    call: (a: Uint8Array, from: Uint8Array = SELF) => deliverTo(method, m, a, from),
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

  it('hashes whole blocks four at a time (the SIMD schedule) and the 0–3 left over: every count of 0–17 blocks, at every stream offset mod 64 and data alignment', () => {
    const run = instance();
    const data = randomBytes(64 * 17 + 3);
    for (const before of [0, 1, 64, 63, 130]) {
      const head = data.subarray(0, before);
      const state = run.call(arg(initialMidstate(), 0, head)).slice(0, MIDSTATE_BYTES);
      for (let blocks = 0; blocks <= 17; blocks++) {
        for (const extra of [0, 3]) {
          const piece = data.subarray(before % 4, before % 4 + 64 * blocks + extra);
          const out = run.call(arg(state, FLAG_FINAL | FLAG_CHUNK_DIGEST, piece));
          expect(out.subarray(MIDSTATE_BYTES, MIDSTATE_BYTES + 32)).toEqual(sha(Buffer.concat([head, piece])));
          expect(out.subarray(MIDSTATE_BYTES + 32)).toEqual(sha(piece));
          const alone = run.call(arg(state, FLAG_FINAL, piece));
          expect(alone.subarray(MIDSTATE_BYTES)).toEqual(sha(Buffer.concat([head, piece])));
        }
      }
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

  it('digests a chunk and its stream in one pass at a block boundary, in two otherwise: both right', () => {
    const run = instance();
    const chunk = randomBytes(1_900_000);
    for (const before of [0, 64, 128, 32, 63, 65]) {
      const head = randomBytes(before);
      const state = run.call(arg(initialMidstate(), 0, head)).slice(0, MIDSTATE_BYTES);
      for (const piece of [chunk, chunk.subarray(0, 64 * 3), chunk.subarray(0, 64 * 3 + 5), chunk.subarray(0, 17)]) {
        const out = run.call(arg(state, FLAG_FINAL | FLAG_CHUNK_DIGEST, piece));
        expect(out.subarray(MIDSTATE_BYTES, MIDSTATE_BYTES + 32)).toEqual(sha(Buffer.concat([head, piece])));
        expect(out.subarray(MIDSTATE_BYTES + 32)).toEqual(sha(piece));
        expect(new DataView(out.buffer).getBigUint64(32, true)).toBe(BigInt(before + piece.length));
      }
    }
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
    expect(() => run.call(arg(initialMidstate(), 8, new Uint8Array(0)))).toThrow(/flags/);
    // A reference to stashed bytes where none were stashed (or of the wrong size).
    expect(() => run.call(arg(initialMidstate(), FLAG_STASHED, new Uint8Array(16)))).toThrow(/stashed bytes are gone/);
    expect(() => run.call(arg(initialMidstate(), FLAG_STASHED, new Uint8Array(15)))).toThrow(/malformed stash reference/);
    expect(run.call(ok).subarray(MIDSTATE_BYTES)).toEqual(sha(new Uint8Array(5)));
  });
});

// The call shim (call_stash.mjs) in a module that imports ic0.call_new and ic0.call_data_append
// as Azle's does: `make_call` stands for Azle's call code, the test's ic0 records what the
// system would have been sent, and that record is then delivered to the method.
function stashModule(): WebAssembly.Module {
  const m = new binaryen.Module();
  const { i32, none } = binaryen;
  m.setFeatures(binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals | binaryen.Features.SIMD128);
  m.setMemory(40, 65536, 'memory');
  m.addFunctionImport('azle.call_new', 'ic0', 'call_new', binaryen.createType(Array(8).fill(i32)), none);
  m.addFunctionImport('azle.call_data_append', 'ic0', 'call_data_append', binaryen.createType([i32, i32]), none);
  const get = (i: number) => m.local.get(i, i32);
  m.addFunction(
    'make_call',
    binaryen.createType(Array(6).fill(i32)),
    none,
    [],
    m.block(null, [
      m.call('azle.call_new', [get(0), get(1), get(2), get(3), m.i32.const(0), m.i32.const(0), m.i32.const(0), m.i32.const(0)], none),
      m.call('azle.call_data_append', [get(4), get(5)], none)
    ])
  );
  m.addFunctionExport('make_call', 'make_call');
  addNativeSha256(binaryen, m);
  expect(m.validate()).toBeTruthy();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Module(new Uint8Array(bytes));
}

function stashInstance() {
  let memory!: WebAssembly.Memory;
  const mem = () => new Uint8Array(memory.buffer);
  const m: Message = { arg: new Uint8Array(0), caller: SELF, reply: [] };
  let sent: { callee: Uint8Array; method: string; data: number[] } | undefined;
  const clock = { now: 1_000_000_000_000n };
  const ic0 = {
    ...methodIc0(mem, m),
    time: () => clock.now,
    call_new: (calleeSrc: number, calleeSize: number, nameSrc: number, nameLen: number) => {
      sent = {
        callee: mem().slice(calleeSrc, calleeSrc + calleeSize),
        method: Buffer.from(mem().subarray(nameSrc, nameSrc + nameLen)).toString(),
        data: []
      };
    },
    call_data_append: (src: number, len: number) => {
      for (let i = 0; i < len; i += 65536) sent!.data.push(...mem().subarray(src + i, src + Math.min(len, i + 65536)));
    }
  };
  const inst = new WebAssembly.Instance(stashCompiled, { ic0 });
  memory = inst.exports.memory as WebAssembly.Memory;
  const makeCall = inst.exports.make_call as (...a: number[]) => void;
  const method = inst.exports[`canister_update ${NATIVE_SHA256_METHOD}`] as () => void;
  const DATA = 0x20000, CALLEE = 0x100, NAME = 0x200;
  return {
    clock,
    /** What Azle's code would send for a call of `data` to `callee`.`name`. */
    send(data: Uint8Array, callee: Uint8Array = SELF, name: string = NATIVE_SHA256_METHOD): Uint8Array {
      mem().set(callee, CALLEE);
      const nameBytes = new TextEncoder().encode(name);
      mem().set(nameBytes, NAME);
      mem().set(data, DATA);
      makeCall(CALLEE, callee.length, NAME, nameBytes.length, DATA, data.length);
      return new Uint8Array(sent!.data);
    },
    deliver: (a: Uint8Array) => deliverTo(method, m, a)
  };
}

const stashCompiled = stashModule();

describe('the call shim: bytes of the canister\'s own calls to the method stay in its memory', () => {
  it('sends a 16-byte reference instead of the bytes, and the method digests the stashed bytes once', () => {
    const run = stashInstance();
    const data = randomBytes(1_900_000);
    const sent = run.send(arg(initialMidstate(), FLAG_FINAL | FLAG_CHUNK_DIGEST, data));
    expect(sent.length).toBe(HEADER_BYTES + 16);
    expect(new DataView(sent.buffer).getUint32(MIDSTATE_BYTES, true)).toBe(FLAG_FINAL | FLAG_CHUNK_DIGEST | FLAG_STASHED);
    const out = run.deliver(sent);
    expect(out.subarray(MIDSTATE_BYTES, MIDSTATE_BYTES + 32)).toEqual(sha(data));
    expect(out.subarray(MIDSTATE_BYTES + 32)).toEqual(sha(data));
    expect(new DataView(out.buffer).getBigUint64(32, true)).toBe(1_900_000n);
    // Delivered again (a duplicate): the slot was freed by the first delivery.
    expect(() => run.deliver(sent)).toThrow(/stashed bytes are gone/);
  });

  it('continues a stream through stashed calls, in any order of delivery across streams', () => {
    const run = stashInstance();
    const a = randomBytes(50_000), b = randomBytes(70_001);
    const sentA = run.send(arg(initialMidstate(), 0, a.subarray(0, 20_000)));
    const sentB = run.send(arg(initialMidstate(), FLAG_FINAL, b));
    const outB = run.deliver(sentB);
    const stateA = run.deliver(sentA).slice(0, MIDSTATE_BYTES);
    const outA = run.deliver(run.send(arg(stateA, FLAG_FINAL, a.subarray(20_000))));
    expect(outA.subarray(MIDSTATE_BYTES)).toEqual(sha(a));
    expect(outB.subarray(MIDSTATE_BYTES)).toEqual(sha(b));
  });

  it('leaves every other call unchanged: another callee, another method, small data, a header it does not know', () => {
    const run = stashInstance();
    const data = arg(initialMidstate(), FLAG_FINAL, randomBytes(10_000));
    expect(run.send(data, new Uint8Array([1, 2, 3]))).toEqual(data);
    expect(run.send(data, SELF.map((b, i) => (i === 9 ? 2 : b)))).toEqual(data);
    expect(run.send(data, SELF, 'put_chunk')).toEqual(data);
    expect(run.send(data, SELF, `${NATIVE_SHA256_METHOD}x`)).toEqual(data);
    const small = arg(initialMidstate(), FLAG_FINAL, randomBytes(4095));
    expect(run.send(small)).toEqual(small);
    expect(run.deliver(run.send(small)).subarray(MIDSTATE_BYTES)).toEqual(sha(small.subarray(HEADER_BYTES)));
    // A caller cannot hand the method a reference of its own making: the shim forwards it as is,
    // and the method finds no such stash.
    const forged = arg(initialMidstate(), FLAG_STASHED, new Uint8Array(16));
    expect(run.send(forged)).toEqual(forged);
    expect(() => run.deliver(forged)).toThrow(/stashed bytes are gone/);
  });

  it('with every slot waiting, sends the bytes; a slot waiting past the reclaim time is reused and its late call fails', () => {
    const run = stashInstance();
    const pieces = Array.from({ length: 9 }, () => randomBytes(5000));
    const sent = pieces.map((p) => run.send(arg(initialMidstate(), FLAG_FINAL, p)));
    expect(sent.slice(0, 8).every((s) => s.length === HEADER_BYTES + 16)).toBe(true);
    expect(sent[8].length).toBe(HEADER_BYTES + 5000);
    expect(run.deliver(sent[8]).subarray(MIDSTATE_BYTES)).toEqual(sha(pieces[8]));
    run.clock.now += 301n * 1_000_000_000n;
    const late = randomBytes(6000);
    const reused = run.send(arg(initialMidstate(), FLAG_FINAL, late));
    expect(reused.length).toBe(HEADER_BYTES + 16);
    expect(() => run.deliver(sent[0])).toThrow(/stashed bytes are gone/);
    expect(run.deliver(reused).subarray(MIDSTATE_BYTES)).toEqual(sha(late));
    for (let i = 1; i < 8; i++) expect(run.deliver(sent[i]).subarray(MIDSTATE_BYTES)).toEqual(sha(pieces[i]));
  });
});
