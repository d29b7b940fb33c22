// The opt-in profiler (instrument.ts `profile`): each defined function's exported global sums
// what that function was charged, its bulk operations' sizes included, and the counter counts
// exactly what it counts without the profiler.
// Costs as in metering.test.ts: entry 1, if/br/br_if 2, call 5, memory.fill 100 + size, others 1.
import { describe, expect, it } from 'vitest';
import { COUNTER_EXPORT, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, PROFILE_EXPORT_PREFIX, instrumentWasm } from '../../../src/replica/wasm/instrument.js';
import { I32, type ModuleSpec, assemble, fc, op, sleb } from './assemble.js';

const spec: ModuleSpec = {
  memoryPages: 1,
  funcs: [
    // $fill(n): 1 + 3 + (100 + n) = 104 + n
    { params: [I32], body: [op.i32_const, 0, op.i32_const, 7, op.local_get, 0, op.fc, fc.memory_fill, 0] },
    // $main: 1 + i32.const + call 5 + i32.const + call 5 + i32.const = 14, + $fill twice
    { results: [I32], export: 'main', body: [op.i32_const, ...sleb(100), op.call, 0, op.i32_const, ...sleb(900), op.call, 0, op.i32_const, 3] }
  ]
};

function run(profile: boolean) {
  const wasm = instrumentWasm(assemble(spec), { metering: true, profile });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm.bytes), {
    [METER_IMPORT_MODULE]: { [OUT_OF_INSTRUCTIONS]: () => { throw new Error('out of instructions'); } }
  });
  const exports = instance.exports as Record<string, unknown>;
  const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
  counter.value = 1_000_000n;
  expect((exports.main as () => number)()).toBe(3);
  const profiled = [0, 1].map((i) => (exports[`${PROFILE_EXPORT_PREFIX}${i}`] as WebAssembly.Global | undefined)?.value as bigint | undefined);
  return { used: 1_000_000n - (counter.value as bigint), profiled };
}

describe('metering profile', () => {
  it('counts each function exactly, sizes included; the counter is unchanged', () => {
    const plain = run(false);
    const profiled = run(true);
    expect(plain.used).toBe(14n + 104n + 100n + 104n + 900n);
    expect(profiled.used).toBe(plain.used);
    expect(plain.profiled).toEqual([undefined, undefined]);
    expect(profiled.profiled).toEqual([104n + 100n + 104n + 900n, 14n]);
  });
});
