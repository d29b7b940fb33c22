// Exact instruction counts of the IC's metering on hand-assembled modules. Expected counts are
// derived by hand from the cost table (costs.ts, IC `instruction_to_cost`) and the IC's
// basic-block rules: function entry costs 1 + its first block, each block is charged on entry
// including the instruction that ends it; block/loop/else/end cost 0, if/br/br_if 2, call 5.
import { describe, expect, it } from 'vitest';
import { COUNTER_EXPORT, COUNTER_INITIAL_VALUE, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { RESERVED_BYTES } from '../../../src/replica/wasm/write_tracking.js';
import { EMPTY, I32, type ModuleSpec, assemble, fc, op, sleb, uleb } from './assemble.js';

class OutOfInstructions extends Error {}

function instantiate(spec: ModuleSpec, metering: boolean, env: Record<string, (...args: number[]) => number | void> = {}) {
  const prepared = prepareWasm(assemble(spec), { metering });
  const imports: WebAssembly.Imports = {
    env,
    [METER_IMPORT_MODULE]: {
      [OUT_OF_INSTRUCTIONS]: () => {
        throw new OutOfInstructions();
      }
    }
  };
  const instance = new WebAssembly.Instance(prepared.module, metering ? imports : { env });
  return { prepared, exports: instance.exports as Record<string, unknown> };
}

/** Runs an export with a budget; returns its result and the instructions it used. */
function metered(spec: ModuleSpec, name: string, args: number[], budget = 1_000_000_000n, env = {}) {
  const { exports } = instantiate(spec, true, env);
  const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
  counter.value = budget;
  const result = (exports[name] as (...a: number[]) => number)(...args);
  return { result, used: budget - (counter.value as bigint), counter };
}

const straightLine: ModuleSpec = {
  // 7 / 3 + 1: entry 1, i32.const 1 ×3, i32.div_u 10, i32.add 1, end 0 = 15
  funcs: [{ results: [I32], export: 'f', body: [op.i32_const, 7, op.i32_const, 3, op.i32_div_u, op.i32_const, 1, op.i32_add] }]
};

// acc += 1 until n reaches 0. Entry block: 1 + loop 0 = 1. Loop body: local.get, i32.const,
// i32.add, local.set (4) + local.get, i32.const, i32.sub, local.tee (4) + br_if (2) = 10.
// After the loop: end 0 (nothing charged), then local.get 1 + end 0 = 1. Total 10·n + 2.
const countdown: ModuleSpec = {
  funcs: [
    {
      params: [I32],
      results: [I32],
      locals: [I32],
      export: 'count',
      body: [
        ...[op.loop, EMPTY],
        ...[op.local_get, 1, op.i32_const, 1, op.i32_add, op.local_set, 1],
        ...[op.local_get, 0, op.i32_const, 1, op.i32_sub, op.local_tee, 0],
        ...[op.br_if, 0, op.end],
        ...[op.local_get, 1]
      ]
    }
  ]
};

describe('metering: static costs per basic block', () => {
  it('charges a straight-line function the sum of its instruction costs plus 1', () => {
    const { result, used } = metered(straightLine, 'f', []);
    expect(result).toBe(3);
    expect(used).toBe(15n);
  });

  it.each([1, 2, 5, 100, 12_345])('charges a loop of %i iterations 10 per iteration + 2', (n) => {
    const { result, used } = metered(countdown, 'count', [n]);
    expect(result).toBe(n);
    expect(used).toBe(BigInt(10 * n + 2));
  });

  it('charges only the branch taken by if/else', () => {
    // entry: 1 + local.get 1 + if 2 = 4; then: 3 × 1 = 3; else: 1; after: i32.const + i32.add = 2
    const spec: ModuleSpec = {
      funcs: [
        {
          params: [I32],
          results: [I32],
          export: 'pick',
          body: [op.local_get, 0, op.if, I32, op.i32_const, 10, op.i32_const, 20, op.i32_add, op.else, op.i32_const, 5, op.end, op.i32_const, 1, op.i32_add]
        }
      ]
    };
    expect(metered(spec, 'pick', [1])).toMatchObject({ result: 31, used: 9n });
    expect(metered(spec, 'pick', [0])).toMatchObject({ result: 6, used: 7n });
  });

  it('charges a block exited by br_if only up to the branch', () => {
    // entry: 1 + block 0 + local.get 1 + br_if 2 = 4; fallthrough: i32.const 1 + drop 1 = 2;
    // after the block: i32.const 1 = 1
    const spec: ModuleSpec = {
      funcs: [
        {
          params: [I32],
          results: [I32],
          export: 'f',
          body: [op.block, EMPTY, op.local_get, 0, op.br_if, 0, op.i32_const, 100, op.drop, op.end, op.i32_const, 3]
        }
      ]
    };
    expect(metered(spec, 'f', [1]).used).toBe(5n);
    expect(metered(spec, 'f', [0]).used).toBe(7n);
  });

  it('charges calls 5 in the caller plus the callee, and imported calls 5 only', () => {
    // $one: 1 + i32.const 1 = 2. $two: 1 + call 5 + call 5 + i32.add 1 = 12, + 2 × 2 = 16.
    // $host: 1 + call 5 (the import itself is not metered) = 6.
    const spec: ModuleSpec = {
      imports: [{ name: 'host', results: [I32] }],
      funcs: [
        { results: [I32], body: [op.i32_const, 1] },
        { results: [I32], export: 'two', body: [op.call, 1, op.call, 1, op.i32_add] },
        { results: [I32], export: 'host', body: [op.call, 0] }
      ]
    };
    const env = { host: () => 42 };
    expect(metered(spec, 'two', [], undefined, env)).toMatchObject({ result: 2, used: 16n });
    expect(metered(spec, 'host', [], undefined, env)).toMatchObject({ result: 42, used: 6n });
  });

  it('is deterministic: the same call costs the same every time', () => {
    const used = Array.from({ length: 3 }, () => metered(countdown, 'count', [777]).used);
    expect(new Set(used).size).toBe(1);
  });
});

describe('metering: bulk memory charges the size operand', () => {
  // entry 1 + i32.const 1 + i32.const 1 + local.get 1 + memory.fill 100 + end 0 = 104, + n
  const fill: ModuleSpec = {
    memoryPages: 2,
    funcs: [{ params: [I32], export: 'fill', body: [op.i32_const, 0, op.i32_const, 0x2a, op.local_get, 0, op.fc, fc.memory_fill, 0] }]
  };
  const copy: ModuleSpec = {
    memoryPages: 2,
    funcs: [
      { params: [I32], export: 'copy', body: [op.i32_const, ...sleb(1000), op.i32_const, 0, op.local_get, 0, op.fc, fc.memory_copy, 0, 0] }
    ]
  };
  // memory.init from a passive segment of 10 bytes: same shape, 104 + n
  const init: ModuleSpec = {
    memoryPages: 1,
    passiveData: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    funcs: [{ params: [I32], export: 'init', body: [op.i32_const, 0, op.i32_const, 0, op.local_get, 0, op.fc, fc.memory_init, 0, 0] }]
  };

  it.each([0, 1, 1000, 65_536, 131_072])('memory.fill of %i bytes costs 104 + n and fills', (n) => {
    const { exports } = instantiate(fill, true);
    const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
    counter.value = 10_000_000n;
    (exports.fill as (n: number) => void)(n);
    expect(10_000_000n - (counter.value as bigint)).toBe(BigInt(104 + n));
    // The canister's heap starts above the write-tracking map (write_tracking.ts).
    const memory = new Uint8Array((exports.memory as WebAssembly.Memory).buffer, RESERVED_BYTES);
    expect(memory.subarray(0, n).every((b) => b === 0x2a)).toBe(true);
    expect(memory[n] ?? 0).toBe(0);
  });

  it.each([0, 7, 5000])('memory.copy of %i bytes costs 104 + n', (n) => {
    expect(metered(copy, 'copy', [n]).used).toBe(BigInt(104 + n));
  });

  it.each([0, 3, 10])('memory.init of %i bytes costs 104 + n', (n) => {
    expect(metered(init, 'init', [n]).used).toBe(BigInt(104 + n));
  });

  it('traps out of instructions before a fill larger than the budget runs', () => {
    const { exports } = instantiate(fill, true);
    const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
    counter.value = 1000n;
    expect(() => (exports.fill as (n: number) => void)(65_536)).toThrow(OutOfInstructions);
    expect(counter.value).toBe(1000n - 104n - 65_536n);
    expect(new Uint8Array((exports.memory as WebAssembly.Memory).buffer, RESERVED_BYTES)[0]).toBe(0);
  });
});

describe('metering: SIMD at the IC\'s costs', () => {
  const V128 = 0x7b;
  const v128Const = (words: number[]) => [0xfd, 0x0c, ...words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24])];
  it('charges lane-wise ops 1, shifts 2, shuffles 3, and walks every kind of immediate', () => {
    // entry 1; v128.const 1 ×2; i8x16.shuffle 3 (lanes 4–7 of a, 0–3 of b, …); i32.const 1;
    // i32x4.shl 2; local.tee 1; i32x4.extract_lane 1; local.get 1; i32x4.extract_lane 1; i32.add 1 = 14
    const shuffle = [0xfd, 0x0d, 4, 5, 6, 7, 16, 17, 18, 19, 0, 1, 2, 3, 20, 21, 22, 23];
    const spec: ModuleSpec = {
      funcs: [
        {
          results: [I32],
          locals: [V128],
          export: 'f',
          body: [
            ...v128Const([1, 2, 3, 4]),
            ...v128Const([10, 20, 30, 40]),
            ...shuffle, // [2, 10, 1, 20]
            ...[op.i32_const, 3, 0xfd, 0xab, 0x01], // i32x4.shl by 3: [16, 80, 8, 160]
            ...[op.local_tee, 0, 0xfd, 0x1b, 1], // lane 1: 80
            ...[op.local_get, 0, 0xfd, 0x1b, 3], // lane 3: 160
            op.i32_add
          ]
        }
      ]
    };
    const { result, used } = metered(spec, 'f', []);
    expect(result).toBe(240);
    expect(used).toBe(14n);
  });

  it('charges SIMD loads, lane loads and stores 1, with their memargs and lane bytes skipped', () => {
    // entry 1; i32.const 1; i32.const 1; v128.load32_zero 1; v128.load32_lane 1; local.set 1;
    // i32.const 1; local.get 1; v128.store 1; i32.const 1; i32.load 1 = 11 (end 0)
    const spec: ModuleSpec = {
      memoryPages: 1,
      funcs: [
        {
          results: [I32],
          locals: [V128],
          export: 'f',
          body: [
            ...[op.i32_const, 0, op.i32_const, 0],
            ...[0xfd, 0x5c, 0x02, 0x04], // v128.load32_zero align=4 offset=4
            ...[0xfd, 0x56, 0x02, 0x08, 0x01], // v128.load32_lane align=4 offset=8 lane=1
            ...[op.local_set, 0],
            ...[op.i32_const, 16, op.local_get, 0, 0xfd, 0x0b, 0x04, 0x00], // v128.store at 16
            ...[op.i32_const, 0, op.i32_load, 0x02, 0x14] // the lane-1 word, at 20
          ]
        }
      ]
    };
    const { used } = metered(spec, 'f', []);
    expect(used).toBe(11n);
  });
});

describe('metering: limits', () => {
  // entry: 1 + loop 0 = 1, checked; loop body: br 2, checked each iteration
  const runaway: ModuleSpec = { funcs: [{ export: 'spin', body: [op.loop, EMPTY, op.br, 0, op.end] }] };

  it('calls out_of_instructions in a runaway loop as soon as the counter goes negative', () => {
    const { exports } = instantiate(runaway, true);
    const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
    counter.value = 1001n; // 1000 after entry, then 2 per iteration: negative after 501 iterations
    expect(() => (exports.spin as () => void)()).toThrow(OutOfInstructions);
    expect(counter.value).toBe(-2n);
  });

  it('checks at function entry', () => {
    const { exports } = instantiate(straightLine, true);
    const counter = exports[COUNTER_EXPORT] as WebAssembly.Global;
    counter.value = 14n;
    expect(() => (exports.f as () => number)()).toThrow(OutOfInstructions);
    counter.value = 15n;
    expect((exports.f as () => number)()).toBe(3);
    expect(counter.value).toBe(0n);
  });

  it('lets an execution end with the budget exactly used', () => {
    expect(metered(countdown, 'count', [10], 102n)).toMatchObject({ result: 10, used: 102n });
  });

  it('does not check after non-reentrant blocks, as on the IC: the counter may end below zero', () => {
    // The last block (cost 1) after the loop is charged but not checked.
    const { result, counter } = metered(countdown, 'count', [10], 101n);
    expect(result).toBe(10);
    expect(counter.value).toBe(-1n);
    // The 10th loop header finds the counter at -1 and stops.
    expect(() => metered(countdown, 'count', [10], 100n)).toThrow(OutOfInstructions);
  });

  it('meters a start function from the counter initial value, without trapping', () => {
    const spec: ModuleSpec = {
      globals: [0],
      // start: 1 + i32.const 1 + global.set 2 = 4
      funcs: [
        { body: [op.i32_const, 9, op.global_set, 0] },
        { results: [I32], export: 'g', body: [op.global_get, 0] }
      ],
      start: 0
    };
    const { exports } = instantiate(spec, true);
    expect((exports[COUNTER_EXPORT] as WebAssembly.Global).value).toBe(COUNTER_INITIAL_VALUE - 4n);
    expect((exports.__replica_global_0 as WebAssembly.Global).value).toBe(9);
    expect((exports.g as () => number)()).toBe(9);
  });
});

describe('metering: export names', () => {
  it('exports the counter as a mutable i64 and imports out_of_instructions () -> ()', () => {
    const { prepared } = instantiate(countdown, true);
    expect(WebAssembly.Module.exports(prepared.module)).toContainEqual({ name: COUNTER_EXPORT, kind: 'global' });
    expect(WebAssembly.Module.imports(prepared.module)).toEqual([{ module: METER_IMPORT_MODULE, name: OUT_OF_INSTRUCTIONS, kind: 'function' }]);
    expect(prepared.metered).toBe(true);
    expect(uleb(300)).toEqual([0xac, 0x02]); // the test assembler's own LEB128 is right
  });
});
