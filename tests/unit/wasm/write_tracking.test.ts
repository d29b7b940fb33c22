// Write tracking (src/replica/wasm/write_tracking.ts, src/replica/heap_snapshot.ts): a metered
// module's heap sits above the page map, yet behaves byte for byte as the same module unmetered —
// same loads, stores, sizes, growth, data segments and traps — and the pages it marks are enough
// to undo or commit an execution without copying the whole heap.
import { describe, expect, it } from 'vitest';
import { METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { MAX_CANISTER_PAGES, RESERVED_BYTES } from '../../../src/replica/wasm/write_tracking.js';
import { HeapSnapshot, markWritten } from '../../../src/replica/heap_snapshot.js';
import { I32, type ModuleSpec, assemble, fc, op, uleb } from './assemble.js';

const I64 = 0x7e;
const F64 = 0x7c;
const f64Const = (x: number) => [0x44, ...new Uint8Array(Float64Array.of(x).buffer)];
const memarg = (align: number, offset: number) => [align, ...uleb(offset)];
const [I32_LOAD, I64_STORE, F64_STORE, I32_STORE8, I64_STORE16, MEMORY_SIZE, MEMORY_GROW] = [0x28, 0x37, 0x39, 0x3a, 0x3d, 0x3f, 0x40];
// SIMD: v128.const of the bytes 0x11..0x20, then v128.store, v128.store32_lane, v128.load, i32x4.extract_lane
const V128_CONST = [0xfd, 0x0c, ...Array.from({ length: 16 }, (_, i) => 0x11 + i)];
const [V128_STORE, V128_STORE32_LANE, V128_LOAD, I32X4_EXTRACT_LANE] = [[0xfd, 0x0b], [0xfd, 0x5a], [0xfd, 0x00], [0xfd, 0x1b]];

const spec: ModuleSpec = {
  memoryPages: 2,
  activeData: [{ offset: 100, bytes: [1, 2, 3, 4, 5] }, { offset: 65_530, bytes: [9, 8, 7, 6, 5, 4, 3, 2, 1] }],
  passiveData: [[0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6]],
  funcs: [
    { params: [I32, I32], export: 'store32', body: [op.local_get, 0, op.local_get, 1, op.i32_store, ...memarg(2, 0)] },
    { params: [I32, I32], export: 'store32at7', body: [op.local_get, 0, op.local_get, 1, op.i32_store, ...memarg(0, 7)] },
    { params: [I32], export: 'store64', body: [op.local_get, 0, op.i64_const, 0x7f, I64_STORE, ...memarg(3, 3)] },
    { params: [I32], export: 'store16', body: [op.local_get, 0, op.i64_const, 0x55, I64_STORE16, ...memarg(1, 0)] },
    { params: [I32, I32], export: 'store8', body: [op.local_get, 0, op.local_get, 1, I32_STORE8, ...memarg(0, 1)] },
    { params: [I32], export: 'storef64', body: [op.local_get, 0, ...f64Const(1.5), F64_STORE, ...memarg(3, 0)] },
    { params: [I32], export: 'storeFar', body: [op.local_get, 0, op.i32_const, 1, op.i32_store, ...memarg(2, 0xffff_f000)] },
    { params: [I32], results: [I32], export: 'load32', body: [op.local_get, 0, I32_LOAD, ...memarg(0, 0)] },
    { params: [I32, I32, I32], export: 'fill', body: [op.local_get, 0, op.local_get, 1, op.local_get, 2, op.fc, fc.memory_fill, 0] },
    { params: [I32, I32, I32], export: 'copy', body: [op.local_get, 0, op.local_get, 1, op.local_get, 2, op.fc, fc.memory_copy, 0, 0] },
    { params: [I32, I32, I32], export: 'init', body: [op.local_get, 0, op.local_get, 1, op.local_get, 2, op.fc, fc.memory_init, 0, 0] },
    { results: [I32], export: 'size', body: [MEMORY_SIZE, 0] },
    { params: [I32], results: [I32], export: 'grow', body: [op.local_get, 0, MEMORY_GROW, 0] },
    { params: [I32], export: 'storeV128', body: [op.local_get, 0, ...V128_CONST, ...V128_STORE, ...memarg(4, 5)] },
    { params: [I32], export: 'storeLane32', body: [op.local_get, 0, ...V128_CONST, ...V128_STORE32_LANE, ...memarg(2, 3), 2] },
    { params: [I32], results: [I32], export: 'loadV128', body: [op.local_get, 0, ...V128_LOAD, ...memarg(4, 1), ...I32X4_EXTRACT_LANE, 3] }
  ]
};
void I64;
void F64;

class OutOfInstructions extends Error {}

function instance(metering: boolean) {
  const prepared = prepareWasm(assemble(spec), { metering });
  const imports = { [METER_IMPORT_MODULE]: { [OUT_OF_INSTRUCTIONS]: () => { throw new OutOfInstructions(); } } };
  const exports = new WebAssembly.Instance(prepared.module, metering ? imports : {}).exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  return { exports, memory, base: prepared.heapBase, heap: () => new Uint8Array(memory.buffer, prepared.heapBase) };
}

type Outcome = { value?: unknown; trap?: string };
function run(exports: Record<string, unknown>, name: string, args: number[]): Outcome {
  try {
    return { value: (exports[name] as (...a: number[]) => unknown)(...args) };
  } catch (e) {
    return { trap: (e as Error).constructor.name + ': ' + (e as Error).message };
  }
}

/** A random operation, addresses biased to page edges and the heap's end. */
function randomOp(rand: () => number, heapBytes: number): [string, number[]] {
  const edge = () => {
    const choices = [rand() * heapBytes, Math.floor(rand() * (heapBytes / 4096)) * 4096 - 2, heapBytes - 1 - Math.floor(rand() * 16), heapBytes + Math.floor(rand() * 8) - 4, 0xffff_fffc];
    return Math.max(0, Math.floor(choices[Math.floor(rand() * choices.length)]!)) >>> 0;
  };
  const n = () => [0, 1, 7, 4096, 9000, 70_000][Math.floor(rand() * 6)]!;
  const kinds: Array<() => [string, number[]]> = [
    () => ['store32', [edge(), Math.floor(rand() * 2 ** 31)]],
    () => ['store32at7', [edge(), 0x01020304]],
    () => ['store64', [edge()]],
    () => ['store16', [edge()]],
    () => ['store8', [edge(), 0xee]],
    () => ['storef64', [edge()]],
    () => ['storeFar', [Math.floor(rand() * 8192)]],
    () => ['load32', [edge()]],
    () => ['fill', [edge(), 0x5a, n()]],
    () => ['copy', [edge(), edge(), n()]],
    () => ['init', [edge(), Math.floor(rand() * 7), Math.floor(rand() * 7)]],
    () => ['size', []],
    () => ['grow', [[0, 1, 3, 70_000][Math.floor(rand() * 4)]!]],
    () => ['storeV128', [edge()]],
    () => ['storeLane32', [edge()]],
    () => ['loadV128', [edge()]]
  ];
  return kinds[Math.floor(rand() * kinds.length)]!();
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('write tracking: a shifted heap behaves as the module unmetered', () => {
  it('places data segments, answers sizes and growth in the canister pages', () => {
    const tracked = instance(true);
    const plain = instance(false);
    expect(tracked.base).toBe(RESERVED_BYTES);
    expect(plain.base).toBe(0);
    expect(tracked.heap().length).toBe(plain.heap().length);
    expect(Array.from(tracked.heap().subarray(100, 105))).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.compare(tracked.heap(), plain.heap())).toBe(0);
    expect(run(tracked.exports, 'size', [])).toEqual({ value: 2 });
    expect(run(tracked.exports, 'grow', [3])).toEqual({ value: 2 });
    expect(run(tracked.exports, 'size', [])).toEqual({ value: 5 });
    expect(run(tracked.exports, 'grow', [MAX_CANISTER_PAGES])).toEqual({ value: -1 });
  });

  it.each([1, 2, 3, 4, 5])('runs 400 random loads, stores, bulk operations and growths alike (seed %i)', (seed) => {
    const rand = seeded(seed);
    const tracked = instance(true);
    const plain = instance(false);
    for (let i = 0; i < 400; i++) {
      const [name, args] = randomOp(rand, plain.heap().length);
      const a = run(tracked.exports, name, args);
      const b = run(plain.exports, name, args);
      expect({ name, args, ...a }).toEqual({ name, args, ...b });
      expect(tracked.heap().length).toBe(plain.heap().length);
    }
    expect(Buffer.compare(tracked.heap(), plain.heap())).toBe(0);
  });

  it('refuses a store that the shift would push out of the 32-bit offset range, as out of bounds', () => {
    const tracked = instance(true);
    expect(run(tracked.exports, 'storeFar', [0]).trap).toMatch(/RuntimeError: memory access out of bounds/);
    expect(new Uint8Array(tracked.memory.buffer, 0, RESERVED_BYTES).every((b) => b === 0)).toBe(true);
  });
});

describe('HeapSnapshot: undo and commit from the marked pages', () => {
  it.each([7, 8, 9])('undoes and commits random executions exactly (seed %i)', (seed) => {
    const rand = seeded(seed);
    const tracked = instance(true);
    const snapshot = new HeapSnapshot();
    let committed = tracked.heap().slice();
    for (let round = 0; round < 60; round++) {
      const before = snapshot.before(tracked.memory, tracked.base);
      expect(Buffer.compare(before, committed)).toBe(0);
      for (let i = 0; i < 5; i++) {
        const [name, args] = randomOp(rand, tracked.heap().length);
        if (name === 'grow' && rand() < 0.7) continue;
        run(tracked.exports, name, args);
      }
      // The System API's own writes are marked by the host.
      const at = Math.floor(rand() * (tracked.heap().length - 64));
      tracked.heap().fill(0x77, at, at + 64);
      markWritten(tracked.memory, tracked.base, at, 64);
      const commit = rand() < 0.5;
      const grew = tracked.heap().length !== committed.length;
      const inPlace = snapshot.after(tracked.memory, tracked.base, commit);
      if (commit) {
        expect(inPlace).toBe(true);
        committed = tracked.heap().slice();
      } else if (grew) {
        expect(inPlace).toBe(false);
        return; // the canister re-instantiates then (canister.ts); nothing more to check here
      } else {
        expect(inPlace).toBe(true);
        expect(Buffer.compare(tracked.heap(), committed)).toBe(0);
      }
      expect(new Uint8Array(tracked.memory.buffer, 0, RESERVED_BYTES).every((b) => b === 0)).toBe(true);
    }
  });
});
