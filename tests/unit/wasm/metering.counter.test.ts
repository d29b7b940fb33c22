// The counter as the host sees it. Function bodies keep the counter in a local and write it to
// the exported global only where someone outside the function can look (code.ts): these tests
// read the global from imports in the middle of a function, charge it from an import as the
// System API does, and leave functions by every exit, and expect the IC's exact values there.
// Costs as in metering.test.ts: entry 1, block/loop/else/end 0, if/br/br_if/br_table 2, call 5,
// call_indirect 10, return_call 3, return 1, others 1.
import { describe, expect, it } from 'vitest';
import { COUNTER_EXPORT, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { EMPTY, I32, type ModuleSpec, assemble, op } from './assemble.js';

class OutOfInstructions extends Error {}

const BUDGET = 1_000_000n;
const RETURN_CALL = 0x12;

interface Run {
  result: unknown;
  used: bigint;
  /** instructions used as seen by each `probe` import call, in order */
  probes: bigint[];
}

/**
 * Instantiates `spec` metered. Imports available to it (declare them in `spec.imports` in this
 * order of use): `probe` records the instructions used so far; `charge` subtracts `hostCharge`
 * from the counter, like a System API call, and returns `flag`.
 */
function run(spec: ModuleSpec, name: string, args: number[], opts: { budget?: bigint; hostCharge?: bigint; flag?: number } = {}): Run {
  const budget = opts.budget ?? BUDGET;
  const probes: bigint[] = [];
  let counter: WebAssembly.Global | undefined;
  const env = {
    probe: () => {
      probes.push(budget - (counter!.value as bigint));
    },
    charge: () => {
      counter!.value = (counter!.value as bigint) - (opts.hostCharge ?? 0n);
      return opts.flag ?? 0;
    }
  };
  const prepared = prepareWasm(assemble(spec), { metering: true });
  const instance = new WebAssembly.Instance(prepared.module, {
    env,
    [METER_IMPORT_MODULE]: {
      [OUT_OF_INSTRUCTIONS]: () => {
        throw new OutOfInstructions();
      }
    }
  });
  const exports = instance.exports as Record<string, unknown>;
  counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
  counter.value = budget;
  let result: unknown;
  try {
    result = (exports[name] as (...a: number[]) => unknown)(...args);
  } catch (error) {
    // Report what the global holds after the trap as well.
    if (error instanceof Error) Object.assign(error, { used: budget - (counter.value as bigint), probes });
    throw error;
  }
  return { result, used: budget - (counter.value as bigint), probes };
}

describe('metering counter: what imports see in the middle of a function', () => {
  it('an import reads the count of every block charged so far, across blocks and consecutive calls', () => {
    // entry: 1 + call 5 + call 5 + block 0 + i32.const 1 + drop 1 + end 0 = 13
    // after the block: call 5 + i32.const 1 + if 2 = 8 (21); the empty then-block costs nothing
    // after the if: call 5 + end 0 = 5 (26)
    const spec: ModuleSpec = {
      imports: [{ name: 'probe' }],
      funcs: [
        {
          export: 'f',
          body: [
            ...[op.call, 0, op.call, 0, op.block, EMPTY, op.i32_const, 1, op.drop, op.end],
            ...[op.call, 0, op.i32_const, 1, op.if, EMPTY, op.end],
            ...[op.call, 0]
          ]
        }
      ]
    };
    expect(run(spec, 'f', [])).toEqual({ result: undefined, used: 26n, probes: [13n, 13n, 21n, 26n] });
  });

  it('a defined callee sees its caller’s charges and the caller sees the callee’s after the call', () => {
    // $g: entry 1 + call 5 = 6. $f: entry 1 + call 5 + call 5 = 11, then g twice: 11 + 6 + 6
    const spec: ModuleSpec = {
      imports: [{ name: 'probe' }],
      funcs: [
        { body: [op.call, 0] },
        { export: 'f', body: [op.call, 1, op.call, 0] }
      ]
    };
    // probes: inside g (11 + 6 = 17), then in f after g (17)
    expect(run(spec, 'f', [])).toEqual({ result: undefined, used: 17n, probes: [17n, 17n] });
  });

  it('recursion: every frame charges the one shared counter', () => {
    // f(n): entry 1 + local.get 1 + if 2 = 4; then: local.get, i32.const, i32.sub 3 + call 5 = 8.
    // f(n) = 12n + 4
    const spec: ModuleSpec = {
      funcs: [
        {
          params: [I32],
          export: 'f',
          body: [op.local_get, 0, op.if, EMPTY, op.local_get, 0, op.i32_const, 1, op.i32_sub, op.call, 0, op.end]
        }
      ]
    };
    for (const n of [0, 1, 7, 500]) expect(run(spec, 'f', [n]).used).toBe(BigInt(12 * n + 4));
  });

  it('call_indirect: charged 10, and the callee’s count is kept', () => {
    // $one: 1 + i32.const 1 = 2. $f: 1 + i32.const 1 + call_indirect 10 + call 5 = 17, + 2
    const spec: ModuleSpec = {
      imports: [{ name: 'probe' }],
      table: [1],
      funcs: [
        { results: [I32], body: [op.i32_const, 1] },
        { results: [I32], export: 'f', body: [op.i32_const, 0, op.call_indirect, 1, 0, op.call, 0] }
      ]
    };
    expect(run(spec, 'f', [])).toEqual({ result: 1, used: 19n, probes: [19n] });
  });
});

describe('metering counter: charges made by the host during a call', () => {
  // entry: 1 + call 5 + drop 1 = 7; the loop header (cost 0) is checked; after the loop: call 5 = 5
  const chargeThenLoop: ModuleSpec = {
    imports: [{ name: 'charge', results: [I32] }, { name: 'probe' }],
    funcs: [{ export: 'f', body: [op.call, 0, op.drop, op.loop, EMPTY, op.end, op.call, 1] }]
  };

  it('are added to the function’s count after the call returns', () => {
    expect(run(chargeThenLoop, 'f', [], { hostCharge: 1000n })).toEqual({ result: undefined, used: 1012n, probes: [1012n] });
  });

  it('are seen by the next check: the loop header stops a budget the host exhausted', () => {
    const error = (() => {
      try {
        run(chargeThenLoop, 'f', [], { hostCharge: 1000n, budget: 1006n });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OutOfInstructions);
    expect(error).toMatchObject({ used: 1007n, probes: [] });
    expect(run(chargeThenLoop, 'f', [], { hostCharge: 1000n, budget: 1012n }).used).toBe(1012n);
  });

  it('survive a not-taken br_if right after the call', () => {
    // entry: 1 + call 5 + br_if 2 = 8 (the import's result is the condition); loop header 0, checked
    const spec: ModuleSpec = {
      imports: [{ name: 'charge', results: [I32] }],
      funcs: [{ export: 'f', body: [op.call, 0, op.br_if, 0, op.loop, EMPTY, op.end] }]
    };
    expect(() => run(spec, 'f', [], { hostCharge: 1000n, budget: 1007n, flag: 0 })).toThrow(OutOfInstructions);
    expect(run(spec, 'f', [], { hostCharge: 1000n, budget: 1008n, flag: 0 }).used).toBe(1008n);
    // taken: leaves the function before the loop, with the host's charge in the global
    expect(run(spec, 'f', [], { hostCharge: 1000n, budget: 1007n, flag: 1 }).used).toBe(1008n);
  });
});

describe('metering counter: every way out of a function leaves the exact count in the global', () => {
  it('br to the function’s label from inside a block', () => {
    // entry: 1 + block 0 + i32.const 1 + br 2 = 4
    const spec: ModuleSpec = {
      funcs: [{ results: [I32], export: 'f', body: [op.block, EMPTY, op.i32_const, 5, op.br, 1, op.end, op.i32_const, 6] }]
    };
    expect(run(spec, 'f', [])).toMatchObject({ result: 5, used: 4n });
  });

  it('br_if to the function’s label, taken and not taken', () => {
    // entry: 1 + i32.const 1 + local.get 1 + br_if 2 = 5; fallthrough: drop + i32.const = 2
    const spec: ModuleSpec = {
      funcs: [{ params: [I32], results: [I32], export: 'f', body: [op.i32_const, 9, op.local_get, 0, op.br_if, 0, op.drop, op.i32_const, 3] }]
    };
    expect(run(spec, 'f', [1])).toMatchObject({ result: 9, used: 5n });
    expect(run(spec, 'f', [0])).toMatchObject({ result: 3, used: 7n });
  });

  it('br_table to the function’s label or to a block', () => {
    // entry: 1 + block 0 + local.get 1 + br_table 2 = 4; after the block: i32.const + drop = 2
    const spec: ModuleSpec = {
      funcs: [
        {
          params: [I32],
          export: 'f',
          body: [op.block, EMPTY, op.local_get, 0, op.br_table, 1, 1, 0, op.end, op.i32_const, 1, op.drop]
        }
      ]
    };
    expect(run(spec, 'f', [0]).used).toBe(4n);
    expect(run(spec, 'f', [1]).used).toBe(6n);
  });

  it('return from inside an if', () => {
    // entry: 1 + local.get 1 + if 2 = 4; then: return 1; after the if: i32.const + drop = 2
    const spec: ModuleSpec = {
      funcs: [{ params: [I32], export: 'f', body: [op.local_get, 0, op.if, EMPTY, op.return, op.end, op.i32_const, 1, op.drop] }]
    };
    expect(run(spec, 'f', [1]).used).toBe(5n);
    expect(run(spec, 'f', [0]).used).toBe(6n);
  });

  it('return_call: the caller’s charges reach the callee', () => {
    // $g: 1 + call 5 = 6. $f: 1 + i32.const 1 + drop 1 + return_call 3 = 6
    const spec: ModuleSpec = {
      imports: [{ name: 'probe' }],
      funcs: [
        { body: [op.call, 0] },
        { export: 'f', body: [op.i32_const, 1, op.drop, RETURN_CALL, 1] }
      ]
    };
    expect(run(spec, 'f', [])).toEqual({ result: undefined, used: 12n, probes: [12n] });
  });

  it('unreachable: the trap leaves the count of the trapping block in the global', () => {
    // entry: 1 + i32.const 1 + drop 1 + unreachable 1 = 4
    const spec: ModuleSpec = { funcs: [{ export: 'f', body: [op.i32_const, 1, op.drop, op.unreachable] }] };
    expect(() => run(spec, 'f', [])).toThrow(WebAssembly.RuntimeError);
    try {
      run(spec, 'f', []);
    } catch (e) {
      expect(e).toMatchObject({ used: 4n });
    }
  });
});
