// How the counter travels between functions. Defined functions pass it to each other as an extra
// parameter and result; exports, table entries and `ref.func` reach them through wrappers that
// read and write the global (code.ts, instrument.ts). These tests go through every kind of call
// and signature and expect the IC's exact counts, results and the count the host sees.
// Costs as in metering.test.ts: entry 1, block/loop/else/end 0, if/br/br_if 2, call 5,
// call_indirect 10, return_call 3, return_call_indirect 60, table.set 5, ref.func 130, others 1.
import { describe, expect, it } from 'vitest';
import { COUNTER_EXPORT, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, TABLE_EXPORT, prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { EMPTY, I32, I64, type ModuleSpec, assemble, fc, op } from './assemble.js';

class OutOfInstructions extends Error {}

const BUDGET = 1_000_000n;
const RETURN_CALL = 0x12;
const RETURN_CALL_INDIRECT = 0x13;
const TABLE_SET = 0x26;
const I32_WRAP_I64 = 0xa7;
const I64_ADD = 0x7c;

interface Metered {
  exports: Record<string, unknown>;
  counter: WebAssembly.Global;
  /** instructions used so far, as the host reads them */
  used(): bigint;
  /** instructions used as seen by each `probe` import call */
  probes: bigint[];
}

/**
 * Instantiates `spec` metered with `budget`. Imports: `probe` records the count, `charge`
 * subtracts `hostCharge` like a System API call and returns `flag`.
 */
function instantiate(
  spec: ModuleSpec,
  opts: { budget?: bigint; hostCharge?: bigint; flag?: number; outOfInstructions?: () => void } = {}
): Metered {
  const budget = opts.budget ?? BUDGET;
  const probes: bigint[] = [];
  let counter: WebAssembly.Global | undefined;
  const instance = new WebAssembly.Instance(prepareWasm(assemble(spec), { metering: true }).module, {
    env: {
      probe: () => {
        probes.push(budget - (counter!.value as bigint));
      },
      charge: () => {
        counter!.value = (counter!.value as bigint) - (opts.hostCharge ?? 0n);
        return opts.flag ?? 0;
      }
    },
    [METER_IMPORT_MODULE]: {
      [OUT_OF_INSTRUCTIONS]:
        opts.outOfInstructions ??
        (() => {
          throw new OutOfInstructions();
        })
    }
  });
  const exports = instance.exports as Record<string, unknown>;
  counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
  counter.value = budget;
  return { exports, counter, used: () => budget - (counter!.value as bigint), probes };
}

function call(m: Metered, name: string, ...args: unknown[]): unknown {
  return (m.exports[name] as (...a: unknown[]) => unknown)(...args);
}

describe('metering calls: signatures', () => {
  it('multi-value results, returned at the end and by `return`, called directly and from the host', () => {
    // $pair: 1 + i32.const ×2 = 3. $early: 1 + i32.const ×2 + return 1 = 4.
    // $sum: 1 + call 5 + i32.add 1 + call 5 + i32.add 1 + i32.add 1 = 14, + 3 + 4 = 21
    const spec: ModuleSpec = {
      funcs: [
        { results: [I32, I32], export: 'pair', body: [op.i32_const, 1, op.i32_const, 2] },
        { results: [I32, I32], body: [op.i32_const, 4, op.i32_const, 5, op.return, op.i32_const, 6, op.i32_const, 7] },
        { results: [I32], export: 'sum', body: [op.call, 0, op.i32_add, op.call, 1, op.i32_add, op.i32_add] }
      ]
    };
    const m = instantiate(spec);
    expect(call(m, 'sum')).toBe(12);
    expect(m.used()).toBe(21n);
    expect(call(m, 'pair')).toEqual([1, 2]);
    expect(m.used()).toBe(24n);
  });

  it('parameters and locals of every kind keep their values (locals are renumbered past the counter)', () => {
    // $f(a, b) locals x: i32, y: i64: x = a * b; y = x; return wrap(y) + a, with a local.tee.
    // 1 + 12 instructions = 13. $g: 1 + i32.const ×2 + call 5 = 8, + 13 = 21
    const spec: ModuleSpec = {
      funcs: [
        {
          params: [I32, I32],
          results: [I32],
          locals: [I32, I64],
          export: 'f',
          body: [
            ...[op.local_get, 0, op.local_get, 1, op.i32_mul, op.local_tee, 2, op.drop],
            ...[op.local_get, 2, op.i64_extend_i32_u, op.local_set, 3],
            ...[op.local_get, 3, I32_WRAP_I64, op.local_get, 0, op.i32_add]
          ]
        },
        { results: [I32], export: 'g', body: [op.i32_const, 6, op.i32_const, 7, op.call, 0] }
      ]
    };
    const m = instantiate(spec);
    expect(call(m, 'g')).toBe(48);
    expect(m.used()).toBe(21n);
    expect(call(m, 'f', 3, 5)).toBe(18);
    expect(m.used()).toBe(34n);
  });

  it('i64 parameters and results cross the host boundary as before', () => {
    // 1 + local.get + i64.const + i64.add = 4
    const spec: ModuleSpec = {
      funcs: [{ params: [I64], results: [I64], export: 'inc', body: [op.local_get, 0, op.i64_const, 1, I64_ADD] }]
    };
    const m = instantiate(spec);
    expect(call(m, 'inc', 41n)).toBe(42n);
    expect(m.used()).toBe(4n);
  });
});

describe('metering calls: tail calls', () => {
  it('return_call to an import: the import sees the count, the caller returns its result', () => {
    // $f: 1 + i32.const + drop + return_call 3 = 6, + the host's 100. $g: 1 + call 5 = 6, + 106
    const spec: ModuleSpec = {
      imports: [{ name: 'charge', results: [I32] }],
      funcs: [
        { results: [I32], export: 'f', body: [op.i32_const, 1, op.drop, RETURN_CALL, 0] },
        { results: [I32], export: 'g', body: [op.call, 1] }
      ]
    };
    const m = instantiate(spec, { hostCharge: 100n, flag: 7 });
    expect(call(m, 'g')).toBe(7);
    expect(m.used()).toBe(112n);
  });

  it('return_call_indirect through the table', () => {
    // $nine: 1 + i32.const = 2. $f: 1 + i32.const + return_call_indirect 60 = 62, + 2
    const spec: ModuleSpec = {
      table: [0],
      funcs: [
        { results: [I32], body: [op.i32_const, 9] },
        { results: [I32], export: 'f', body: [op.i32_const, 0, RETURN_CALL_INDIRECT, 0, 0] }
      ]
    };
    const m = instantiate(spec);
    expect(call(m, 'f')).toBe(9);
    expect(m.used()).toBe(64n);
  });
});

describe('metering calls: references', () => {
  // $nine: 1 + i32.const = 2.
  // $f: 1 + i32.const 1 + ref.func 130 + table.set 5 + i32.const 1 + call_indirect 10 = 148, + 2
  const spec: ModuleSpec = {
    table: [1],
    funcs: [
      { results: [I32], export: 'nine', body: [op.i32_const, 9] },
      { results: [I32], export: 'f', body: [op.i32_const, 0, op.ref_func, 0, TABLE_SET, 0, op.i32_const, 0, op.call_indirect, 0, 0] }
    ]
  };

  it('ref.func stored in the table and called indirectly', () => {
    const m = instantiate(spec);
    expect(call(m, 'f')).toBe(9);
    expect(m.used()).toBe(150n);
  });

  it('export, table entry and ref.func are the same function, metered when the host calls it from the table', () => {
    const m = instantiate(spec);
    const table = m.exports[TABLE_EXPORT] as WebAssembly.Table;
    expect(table.get(0)).toBe(m.exports.f);
    call(m, 'f');
    expect(table.get(0)).toBe(m.exports.nine);
    const before = m.used();
    expect((table.get(0) as () => number)()).toBe(9);
    expect(m.used() - before).toBe(2n);
  });
});

describe('metering calls: what the host sees across frames', () => {
  it('an import called two frames down charges the count every caller goes on with', () => {
    // $g: 1 + call 5 + drop 1 = 7 (+ 1000 from the host). $f: 1 + call 5 + call 5 = 11
    const spec: ModuleSpec = {
      imports: [{ name: 'charge', results: [I32] }, { name: 'probe' }],
      funcs: [
        { body: [op.call, 0, op.drop] },
        { export: 'f', body: [op.call, 2, op.call, 1] }
      ]
    };
    const m = instantiate(spec, { hostCharge: 1000n });
    call(m, 'f');
    expect(m.probes).toEqual([1018n]);
    expect(m.used()).toBe(1018n);
  });

  it('unreachable in a callee leaves the count of every frame in the global', () => {
    // $g: 1 + i32.const + drop + unreachable = 4. $f: 1 + call 5 = 6
    const spec: ModuleSpec = {
      funcs: [
        { body: [op.i32_const, 1, op.drop, op.unreachable] },
        { export: 'f', body: [op.call, 0] }
      ]
    };
    const m = instantiate(spec);
    expect(() => call(m, 'f')).toThrow(WebAssembly.RuntimeError);
    expect(m.used()).toBe(10n);
  });

  it('the entry check of a directly called function stops with the exact count', () => {
    // $g: 1 + i32.const + drop = 3. $f: 1 + call 5 = 6: a budget of 6 is gone at g's entry
    const spec: ModuleSpec = {
      funcs: [
        { body: [op.i32_const, 1, op.drop] },
        { export: 'f', body: [op.call, 0] }
      ]
    };
    const m = instantiate(spec, { budget: 6n });
    expect(() => call(m, 'f')).toThrow(OutOfInstructions);
    expect(m.counter.value).toBe(-3n);
    const enough = instantiate(spec, { budget: 9n });
    call(enough, 'f');
    expect(enough.counter.value).toBe(0n);
  });

  it('an out_of_instructions that returns does not let the module go on: it traps', () => {
    // entry 1 + loop 0 = 1, then br 2 per iteration, checked at the loop header: 10, 8, ..., 0, -2
    const spin: ModuleSpec = { funcs: [{ export: 'spin', body: [op.loop, EMPTY, op.br, 0, op.end] }] };
    let calls = 0;
    const m = instantiate(spin, { budget: 11n, outOfInstructions: () => void calls++ });
    expect(() => call(m, 'spin')).toThrow(WebAssembly.RuntimeError);
    expect(calls).toBe(1);
    expect(m.counter.value).toBe(-2n);
  });

  it('nor does a size charge that ran out: memory.fill is not run', () => {
    // entry 1 + i32.const ×2 + local.get + memory.fill 100 = 104, then the size
    const fill: ModuleSpec = {
      memoryPages: 1,
      funcs: [{ params: [I32], export: 'fill', body: [op.i32_const, 0, op.i32_const, 0x2a, op.local_get, 0, op.fc, fc.memory_fill, 0] }]
    };
    let calls = 0;
    const m = instantiate(fill, { budget: 1000n, outOfInstructions: () => void calls++ });
    expect(() => call(m, 'fill', 1000)).toThrow(WebAssembly.RuntimeError);
    expect(calls).toBe(1);
    expect(m.counter.value).toBe(1000n - 104n - 1000n);
    expect(new Uint8Array((m.exports.memory as WebAssembly.Memory).buffer)[0]).toBe(0);
  });
});
