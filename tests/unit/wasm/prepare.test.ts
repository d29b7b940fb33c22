// Structure of prepared modules: exports, function renumbering after the metering import, results
// equal with and without metering, the Azle canister module, memoization and rejected inputs.
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSections } from '../../../src/replica/wasm/binary.js';
import { instrumentWasm } from '../../../src/replica/wasm/instrument.js';
import {
  COUNTER_EXPORT,
  InvalidWasmError,
  METER_IMPORT_MODULE,
  OUT_OF_INSTRUCTIONS,
  TABLE_EXPORT,
  prepareWasm
} from '../../../src/replica/wasm/prepare.js';
import { EMPTY, I32, type ModuleSpec, assemble, op, sleb, typeIndexOfExtra, uleb } from './assemble.js';

// Function indices: 0 = import env.add1, then 1.. the defined functions in order.
const rich: ModuleSpec = {
  imports: [{ name: 'add1', params: [I32], results: [I32] }], // type 0: (i32) -> i32
  extraTypes: [{ params: [], results: [I32, I32] }],
  table: [0, 1, 3],
  globals: [0, 77],
  funcs: [
    {
      // 1: fib(n), recursive
      params: [I32],
      results: [I32],
      export: 'fib',
      body: [
        ...[op.local_get, 0, op.i32_const, 2, op.i32_lt_s, op.if, I32, op.local_get, 0, op.else],
        ...[op.local_get, 0, op.i32_const, 1, op.i32_sub, op.call, 1],
        ...[op.local_get, 0, op.i32_const, 2, op.i32_sub, op.call, 1, op.i32_add, op.end]
      ]
    },
    {
      // 2: dispatch(k, x) = table[k](x)
      params: [I32, I32],
      results: [I32],
      export: 'dispatch',
      body: [op.local_get, 1, op.local_get, 0, op.call_indirect, 0, 0]
    },
    // 3: double(x)
    { params: [I32], results: [I32], export: 'double', body: [op.local_get, 0, op.local_get, 0, op.i32_add] },
    {
      // 4: classify(x) via br_table: 0 -> 100, 1 -> 200, else 300
      params: [I32],
      results: [I32],
      export: 'classify',
      body: [
        ...[op.block, EMPTY, op.block, EMPTY, op.block, EMPTY, op.local_get, 0, op.br_table, 2, 0, 1, 2, op.end],
        ...[op.i32_const, ...sleb(100), op.return, op.end],
        ...[op.i32_const, ...sleb(200), op.return, op.end, op.i32_const, ...sleb(300)]
      ]
    },
    {
      // 5: multi(x) = extend8_s(x) * 3 via a block returning two values, + ref.func is not null
      params: [I32],
      results: [I32],
      export: 'multi',
      body: [
        ...[op.block, 0 /* patched below */, op.local_get, 0, op.i32_extend8_s, op.i32_const, 3, op.end, op.i32_mul],
        ...[op.ref_func, 3, 0xd1 /* ref.is_null */, op.i32_add]
      ]
    },
    // 6: start: global 0 = add1(41) through the import
    { body: [op.i32_const, 41, op.call, 0, op.global_set, 0] },
    // 7: g() = global 0
    { results: [I32], export: 'g', body: [op.global_get, 0] }
  ],
  start: 6
};
rich.funcs[4].body[1] = typeIndexOfExtra(rich, 0);

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
const env = { add1: (x: number) => x + 1 };

function instantiateRich(metering: boolean) {
  const prepared = prepareWasm(assemble(rich), { metering });
  const imports: WebAssembly.Imports = { env };
  if (metering) imports[METER_IMPORT_MODULE] = { [OUT_OF_INSTRUCTIONS]: () => { throw new Error('out of instructions'); } };
  const exports = new WebAssembly.Instance(prepared.module, imports).exports as Record<string, unknown>;
  if (metering) (exports[COUNTER_EXPORT] as WebAssembly.Global).value = 10n ** 15n;
  const fn = (name: string) => exports[name] as (...a: number[]) => number;
  return { prepared, exports, fn };
}

describe('prepareWasm: hand-assembled module with an import, a table, ref.func and a start function', () => {
  const plain = instantiateRich(false);
  const metered = instantiateRich(true);

  it('computes the same results metered, unmetered and in JavaScript', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 15 }), (k, x) => {
        const expected = [env.add1(x), fib(x), 2 * x][k];
        expect(plain.fn('dispatch')(k, x)).toBe(expected);
        expect(metered.fn('dispatch')(k, x)).toBe(expected);
      })
    );
    fc.assert(
      fc.property(fc.integer(), (x) => {
        const expectedClass = x === 0 ? 100 : x === 1 ? 200 : 300;
        expect([plain.fn('classify')(x), metered.fn('classify')(x)]).toEqual([expectedClass, expectedClass]);
        const expectedMulti = Math.imul((x << 24) >> 24, 3);
        expect([plain.fn('multi')(x), metered.fn('multi')(x)]).toEqual([expectedMulti, expectedMulti]);
      })
    );
    expect([plain.fn('g')(), metered.fn('g')()]).toEqual([42, 42]); // the start function ran
  });

  it('exports table 0 holding the element segment, renumbered', () => {
    for (const { exports } of [plain, metered]) {
      const table = exports[TABLE_EXPORT] as WebAssembly.Table;
      expect(table.length).toBe(3);
      const [add1, fibF, double] = [0, 1, 2].map((i) => table.get(i) as (x: number) => number);
      expect([add1(5), fibF(10), double(21)]).toEqual([6, 55, 42]);
    }
  });

  it('exports every defined mutable global, live', () => {
    for (const { prepared, exports } of [plain, metered]) {
      expect(prepared.globalExports).toEqual(['__replica_global_0', '__replica_global_1']);
      const [g0, g1] = prepared.globalExports.map((name) => exports[name] as WebAssembly.Global);
      expect([g0.value, g1.value]).toEqual([42, 77]);
      g0.value = 5;
      expect((exports.g as () => number)()).toBe(5);
      g0.value = 42;
    }
  });

  it('keeps the original exports and adds only the replica ones', () => {
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name);
    const original = ['fib', 'dispatch', 'double', 'classify', 'multi', 'g'];
    expect(names(plain.prepared.module)).toEqual([...original, TABLE_EXPORT, '__replica_global_0', '__replica_global_1']);
    expect(names(metered.prepared.module)).toEqual([...original, TABLE_EXPORT, '__replica_global_0', '__replica_global_1', COUNTER_EXPORT]);
    expect(plain.prepared.metered).toBe(false);
    expect(WebAssembly.Module.imports(plain.prepared.module).map((i) => i.module)).toEqual(['env']);
  });

  it('renumbers the name section, so stack traces name the right function', () => {
    // Custom section "name", subsection 1 (function names): function 1 = "fib_named", 3 = "double_named".
    const fnNames = [...uleb(2), ...uleb(1), ...uleb(9), ...Buffer.from('fib_named'), ...uleb(3), ...uleb(12), ...Buffer.from('double_named')];
    const payload = [...uleb(4), ...Buffer.from('name'), 1, ...uleb(fnNames.length), ...fnNames];
    const bytes = Uint8Array.from([...assemble(rich), 0, ...uleb(payload.length), ...payload]);
    const out = instrumentWasm(bytes, { metering: true }).bytes;
    const module = new WebAssembly.Module(out);
    // Run fib out of instructions: the trace must name fib_named (now function 2), not the
    // import that took index 1 nor double_named (now function 4).
    const fibStack = (() => {
      const instance = new WebAssembly.Instance(module, {
        env,
        [METER_IMPORT_MODULE]: { [OUT_OF_INSTRUCTIONS]: () => { throw new Error('out of instructions'); } }
      });
      const ex = instance.exports as Record<string, unknown>;
      (ex[COUNTER_EXPORT] as WebAssembly.Global).value = 20n; // fib(10) needs far more
      try {
        (ex.fib as (n: number) => number)(10);
      } catch (e) {
        return (e as Error).stack ?? '';
      }
      return '';
    })();
    expect(fibStack).toContain('fib_named');
    expect(fibStack).not.toContain('double_named');
  });
});

describe('prepareWasm: the Azle conformance canister', () => {
  const path = '.azle/conformance/conformance.wasm';

  it('is built (node scripts/build.mjs conformance)', () => {
    expect(existsSync(path)).toBe(true);
  });

  const bytes = existsSync(path) ? new Uint8Array(readFileSync(path)) : new Uint8Array(0);

  it.each([false, true])('validates, compiles and instantiates with metering=%s; exports are present', (metering) => {
    const out = instrumentWasm(bytes, { metering });
    expect(WebAssembly.validate(out.bytes)).toBe(true);
    const prepared = prepareWasm(bytes, { metering });
    expect(prepared.metered).toBe(metering);
    expect(prepared.globalExports).toEqual(['__replica_global_0']); // __stack_pointer
    const originalExports = WebAssembly.Module.exports(new WebAssembly.Module(bytes));
    const exports = WebAssembly.Module.exports(prepared.module);
    expect(exports.slice(0, originalExports.length)).toEqual(originalExports);
    expect(exports.slice(originalExports.length).map((e) => e.name)).toEqual(
      metering ? [TABLE_EXPORT, '__replica_global_0', COUNTER_EXPORT] : [TABLE_EXPORT, '__replica_global_0']
    );
    // Every import a function that fails loudly; instantiation itself must call none of them.
    const imports: WebAssembly.Imports = {};
    for (const imp of WebAssembly.Module.imports(prepared.module)) {
      imports[imp.module] ??= {};
      (imports[imp.module] as Record<string, () => never>)[imp.name] = () => {
        throw new Error(`${imp.module}.${imp.name} called during instantiation`);
      };
    }
    expect(Object.keys(imports)).toEqual(metering ? ['ic0', METER_IMPORT_MODULE] : ['ic0']);
    const instance = new WebAssembly.Instance(prepared.module, imports);
    const table = instance.exports[TABLE_EXPORT] as WebAssembly.Table;
    expect(table.length).toBeGreaterThan(100);
    expect(typeof table.get(1)).toBe('function');
    const sp = instance.exports.__replica_global_0 as WebAssembly.Global;
    expect(sp.value).toBeGreaterThan(0x10000);
  });

  it('changes only the export section when unmetered', () => {
    const out = instrumentWasm(bytes, { metering: false }).bytes;
    const before = readSections(bytes);
    const after = readSections(out);
    expect(after.map((s) => s.id)).toEqual(before.map((s) => s.id));
    before.forEach((s, i) => {
      const a = bytes.subarray(s.start, s.end);
      const b = out.subarray(after[i].start, after[i].end);
      if (s.id === 7) expect(b.length).toBeGreaterThan(a.length);
      else expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    });
  });

  it('is deterministic and memoized by content and options', () => {
    const a = instrumentWasm(bytes, { metering: true }).bytes;
    const b = instrumentWasm(bytes.slice(), { metering: true }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(prepareWasm(bytes.slice(), { metering: true })).toBe(prepareWasm(bytes, { metering: true }));
    expect(prepareWasm(bytes, { metering: false })).not.toBe(prepareWasm(bytes, { metering: true }));
  });
});

describe('prepareWasm: rejected inputs', () => {
  const simple: ModuleSpec = { funcs: [{ export: 'f', body: [op.i32_const, 1, op.drop] }] };

  it('rejects bytes that are not a module', () => {
    expect(() => prepareWasm(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { metering: true })).toThrow(InvalidWasmError);
  });

  it('rejects a truncated module', () => {
    const bytes = assemble(simple);
    expect(() => prepareWasm(bytes.subarray(0, bytes.length - 3), { metering: true })).toThrow(InvalidWasmError);
  });

  it('rejects a body whose final end is missing', () => {
    const bytes = assemble({ funcs: [{ body: [op.block, EMPTY, op.i32_const, 1, op.drop] }] });
    expect(() => prepareWasm(bytes, { metering: true })).toThrow(/no final end/);
  });

  it('rejects relaxed SIMD and unassigned SIMD sub-opcodes with a message naming them', () => {
    // i8x16.relaxed_swizzle (0x100, LEB 0x80 0x02) and the unassigned 0x9a
    const relaxed = [0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x80, 0x02, op.drop];
    expect(() => prepareWasm(assemble({ funcs: [{ body: relaxed }] }), { metering: true })).toThrow(/SIMD\) sub-opcode 256/);
    const unassigned = [0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x9a, 0x01, op.drop];
    expect(() => prepareWasm(assemble({ funcs: [{ body: unassigned }] }), { metering: true })).toThrow(/SIMD\) sub-opcode 154/);
  });

  it('rejects a module that already exports a reserved name', () => {
    const bytes = assemble({ funcs: [{ export: COUNTER_EXPORT, body: [] }] });
    expect(() => prepareWasm(bytes, { metering: true })).toThrow(InvalidWasmError);
    expect(() => prepareWasm(bytes, { metering: false })).not.toThrow();
  });

  it('wraps a compile error of an invalid but well-formed module', () => {
    const bytes = assemble({ funcs: [{ results: [I32], body: [op.i32_const, 1, op.i32_const, 2] }] }); // two results
    expect(() => prepareWasm(bytes, { metering: false })).toThrow(InvalidWasmError);
  });
});
