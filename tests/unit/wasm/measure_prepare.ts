// Measurement, not a test: `npx tsx tests/unit/wasm/measure_prepare.ts [module.wasm]`.
// Prints preparation time of a canister module (default: the Azle conformance canister) with and
// without metering, and the slowdown of metered execution on two CPU-bound hand-built functions.
import { readFileSync } from 'node:fs';
import { instrumentWasm } from '../../../src/replica/wasm/instrument.js';
import { COUNTER_EXPORT, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { EMPTY, I32, type ModuleSpec, assemble, op } from './assemble.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => void, runs: number): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

const path = process.argv[2] ?? '.azle/conformance/conformance.wasm';
const bytes = new Uint8Array(readFileSync(path));
console.log(`module ${path}: ${(bytes.length / 1e6).toFixed(2)} MB`);
for (const metering of [false, true]) {
  const first = time(() => instrumentWasm(bytes, { metering }), 1);
  const rewrite = time(() => instrumentWasm(bytes, { metering }), 7);
  const out = instrumentWasm(bytes, { metering }).bytes;
  const compile = time(() => new WebAssembly.Module(out), 5);
  console.log(
    `  metering=${metering}: rewrite ${rewrite.toFixed(0)} ms (first call ${first.toFixed(0)} ms), ` +
      `compile ${compile.toFixed(0)} ms, output ${(out.length / 1e6).toFixed(2)} MB`
  );
}
const cold = (() => {
  const copy = bytes.slice();
  copy[copy.length - 1] ^= 0; // same content: measures a cache hit (hash only)
  return time(() => prepareWasm(copy, { metering: true }), 5);
})();
console.log(`  prepareWasm cache hit (sha256 of the module): ${cold.toFixed(1)} ms`);

// CPU-bound kernels: a tight integer loop (many small blocks), and recursive fib (calls).
const kernels: ModuleSpec = {
  funcs: [
    {
      // mix(n): x = x * 31 + i, rotated, n times
      params: [I32],
      results: [I32],
      locals: [I32, I32],
      export: 'mix',
      body: [
        ...[op.loop, EMPTY],
        ...[op.local_get, 1, op.i32_const, 31, op.i32_mul, op.local_get, 2, op.i32_add, op.i32_const, 5, op.i32_rotl, op.local_set, 1],
        ...[op.local_get, 2, op.i32_const, 1, op.i32_add, op.local_tee, 2, op.local_get, 0, op.i32_lt_s, op.br_if, 0, op.end],
        ...[op.local_get, 1]
      ]
    },
    {
      params: [I32],
      results: [I32],
      export: 'fib',
      body: [
        ...[op.local_get, 0, op.i32_const, 2, op.i32_lt_s, op.if, I32, op.local_get, 0, op.else],
        ...[op.local_get, 0, op.i32_const, 1, op.i32_sub, op.call, 1],
        ...[op.local_get, 0, op.i32_const, 2, op.i32_sub, op.call, 1, op.i32_add, op.end]
      ]
    }
  ]
};
const imports = { [METER_IMPORT_MODULE]: { [OUT_OF_INSTRUCTIONS]: () => { throw new Error('out of instructions'); } } };
const plain = new WebAssembly.Instance(prepareWasm(assemble(kernels), { metering: false }).module, {}).exports as Record<string, (n: number) => number>;
const meteredInstance = new WebAssembly.Instance(prepareWasm(assemble(kernels), { metering: true }).module, imports);
const metered = meteredInstance.exports as Record<string, (n: number) => number>;
const counter = meteredInstance.exports[COUNTER_EXPORT] as WebAssembly.Global;
for (const [name, arg] of [['mix', 100_000_000], ['fib', 34]] as const) {
  plain[name](arg);
  counter.value = 10n ** 15n;
  metered[name](arg);
  const tPlain = time(() => plain[name](arg), 5);
  const tMetered = time(() => {
    counter.value = 10n ** 15n;
    metered[name](arg);
  }, 5);
  counter.value = 10n ** 15n;
  metered[name](arg);
  const used = 10n ** 15n - (counter.value as bigint);
  console.log(
    `  ${name}(${arg}): unmetered ${tPlain.toFixed(0)} ms, metered ${tMetered.toFixed(0)} ms ` +
      `(×${(tMetered / tPlain).toFixed(2)}), ${used} instructions`
  );
}
