// ic0.stable64_read / stable64_write as a canister calls them (src/replica/system_api.ts), against
// a plain byte-array model: random offsets and sizes at and across 64 KiB page edges, the heap
// pages they mark, what each call is charged (20 + size, and 1,000 per 4 KiB page a write dirties
// first in the execution), and the traps for every out-of-bounds argument, i64s past 2^63 included.
import { describe, expect, it } from 'vitest';
import { CanisterTrap, ErrorCode } from '../../../src/replica/errors.js';
import { StableMemory, WASM_PAGE } from '../../../src/replica/stable_memory.js';
import { ExecutionContext, systemApi, type CanisterHost } from '../../../src/replica/system_api.js';

const HEAP_PAGES = 4;
const STABLE_PAGES = 6;

function setup() {
  const memory = new WebAssembly.Memory({ initial: HEAP_PAGES });
  const stable = new StableMemory();
  stable.grow(BigInt(STABLE_PAGES));
  const marked: Array<[number, number]> = [];
  let charged = 0n;
  let execution = newExecution();
  const host = {
    id: new Uint8Array([1]),
    stable,
    memory: () => memory,
    heapBase: () => 0,
    heapWritten: (start: number, length: number) => marked.push([start, length]),
    instructionsUsed: () => charged,
    charge: (n: bigint) => (charged += n),
    cycleBalance: () => 0n,
    version: () => 0n,
    isController: () => false,
    currentTimer: () => 0n,
    debugPrint: () => undefined
  } satisfies CanisterHost;
  const api = systemApi(host, () => execution) as Record<string, (...args: bigint[]) => void>;
  return {
    heap: new Uint8Array(memory.buffer),
    api,
    marked,
    charges: () => charged,
    /** A new execution: pages dirtied before it are charged again. */
    nextExecution: () => (execution = newExecution())
  };
}

function newExecution(): ExecutionContext {
  return new ExecutionContext('U', { caller: new Uint8Array([4]), mayRespond: true, instructionLimit: 1n << 40n, callContextInstructions: 0n, time: 0n });
}

function random(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s % n;
  };
}

function trapOf(f: () => void): CanisterTrap {
  try {
    f();
  } catch (error) {
    if (error instanceof CanisterTrap) return error;
    throw error;
  }
  throw new Error('expected a trap');
}

describe('stable64_read and stable64_write', () => {
  it('agree with a byte-array model over random reads and writes at and across page edges', () => {
    const { heap, api, marked, charges, nextExecution } = setup();
    const model = new Uint8Array(STABLE_PAGES * WASM_PAGE);
    const next = random(7);
    const edges = [0, 1, 31, 32, 33, 4095, 4096, WASM_PAGE - 1, WASM_PAGE, 2 * WASM_PAGE - 3];
    for (let round = 0; round < 400; round++) {
      if (round % 50 === 0) nextExecution();
      const size = next(4) === 0 ? next(3 * WASM_PAGE) : next(80);
      const near = edges[next(edges.length)]! + next(3 * WASM_PAGE);
      const offset = Math.min(near, model.length - size);
      const at = next(HEAP_PAGES * WASM_PAGE - size);
      if (next(2) === 0) {
        for (let i = 0; i < size; i++) heap[at + i] = next(256);
        const before = charges();
        api.stable64_write!(BigInt(offset), BigInt(at), BigInt(size));
        expect(charges() - before).toBeGreaterThanOrEqual(20n + BigInt(size));
        model.set(heap.subarray(at, at + size), offset);
      } else {
        marked.length = 0;
        const before = charges();
        api.stable64_read!(BigInt(at), BigInt(offset), BigInt(size));
        expect(charges() - before).toBe(20n + BigInt(size));
        expect(heap.subarray(at, at + size)).toEqual(model.subarray(offset, offset + size));
        expect(marked).toEqual([[at, size]]);
      }
    }
    // Never-written stable pages read as zeros, as the rest of the model.
    api.stable64_read!(0n, BigInt((STABLE_PAGES - 1) * WASM_PAGE), BigInt(WASM_PAGE));
    expect(heap.subarray(0, WASM_PAGE)).toEqual(model.subarray((STABLE_PAGES - 1) * WASM_PAGE));
  });

  it('charges each 4 KiB page a write dirties once per execution', () => {
    const { api, charges, nextExecution } = setup();
    const write = (offset: number, size: number) => {
      const before = charges();
      api.stable64_write!(BigInt(offset), 0n, BigInt(size));
      return charges() - before - 20n - BigInt(size);
    };
    expect(write(4095, 2)).toBe(2_000n); // pages 0 and 1
    expect(write(4096, 10)).toBe(0n); // page 1 again
    expect(write(3 * 4096, 4096)).toBe(1_000n); // page 3 exactly
    expect(write(0, 0)).toBe(0n);
    expect(write(WASM_PAGE - 1, 4098)).toBe(3_000n); // pages 15, 16, 17
    nextExecution();
    expect(write(4096, 10)).toBe(1_000n);
  });

  it('traps on every out-of-bounds argument, i64s past 2^63 included, and writes nothing then', () => {
    const { api, heap, charges } = setup();
    const end = BigInt(STABLE_PAGES * WASM_PAGE);
    const heapEnd = BigInt(HEAP_PAGES * WASM_PAGE);
    const minusOne = -1n; // 2^64 - 1 as the Wasm i64 arrives
    const cases: Array<[string, bigint[], number, string]> = [
      ['stable64_read', [0n, end - 4n, 5n], ErrorCode.CanisterTrapped, 'stable memory out of bounds'],
      ['stable64_read', [0n, minusOne, 1n], ErrorCode.CanisterTrapped, 'stable memory out of bounds'],
      ['stable64_read', [0n, 1n << 53n, 0n], ErrorCode.CanisterTrapped, 'stable memory out of bounds'],
      ['stable64_read', [heapEnd - 2n, 0n, 3n], ErrorCode.CanisterContractViolation, `heap out of bounds: ${heapEnd - 2n} + 3 > ${heapEnd}`],
      ['stable64_read', [minusOne, 0n, 1n], ErrorCode.CanisterContractViolation, `heap out of bounds: ${(1n << 64n) - 1n} + 1 > ${heapEnd}`],
      ['stable64_write', [end - 4n, 0n, 5n], ErrorCode.CanisterTrapped, 'stable memory out of bounds'],
      ['stable64_write', [minusOne, 0n, 1n], ErrorCode.CanisterTrapped, 'stable memory out of bounds'],
      ['stable64_write', [4096n, heapEnd - 2n, 3n], ErrorCode.CanisterContractViolation, `heap out of bounds: ${heapEnd - 2n} + 3 > ${heapEnd}`],
      ['stable64_write', [0n, 0n, minusOne], ErrorCode.CanisterContractViolation, `heap out of bounds: 0 + ${(1n << 64n) - 1n} > ${heapEnd}`]
    ];
    heap.fill(7, 0, 16);
    for (const [name, args, code, detail] of cases) {
      const before = charges();
      const trapped = trapOf(() => api[name]!(...args));
      expect([name, trapped.errorCode, trapped.detail]).toEqual([name, code, detail]);
      // Charged before the call runs: 20 + size, and the page of the one write whose stable range
      // is in bounds (it traps on the heap side); a range past the end dirties nothing.
      const page = name === 'stable64_write' && args[0] === 4096n ? 1_000n : 0n;
      expect(charges() - before).toBe(20n + BigInt.asUintN(64, args[2]!) + page);
    }
    api.stable64_read!(0n, end - 16n, 16n);
    expect(heap.subarray(0, 16)).toEqual(new Uint8Array(16));
  });
});
