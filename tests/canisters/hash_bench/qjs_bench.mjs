#!/usr/bin/env node
// Wall-time proxy for the canister's SHA-256 cost: runs variants of our Sha256 and
// @noble/hashes' sha256 inside QuickJS (quickjs-emscripten: the same no-JIT interpreter that
// Azle runs, compiled to Wasm) and estimates Wasm instructions per byte from the ratio to noble,
// which PERFORMANCE_NOTES.md measured at ≈ 26,000 instructions/byte in an Azle canister.
//
// quickjs-emscripten is deliberately not a project dependency. Install it in a scratch folder:
//   mkdir /tmp/qjs && cd /tmp/qjs && npm init -y && npm i quickjs-emscripten
// Usage: QJS_DIR=/tmp/qjs node tests/canisters/hash_bench/qjs_bench.mjs [MiB=1] [repeats=3] [variant ...]
//    or: COUNT=1 npx tsx tests/canisters/hash_bench/qjs_bench.mjs 0.25 1 [variant ...]
//        (exact IC-style instruction counts via src/replica/wasm/instrument.ts; deterministic)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../../scripts/gen-sha256.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const NOBLE_INSTR_PER_BYTE = 26_000;
const qjsDir = process.env.QJS_DIR ?? '/tmp/qjs';
const require = createRequire(join(qjsDir, 'package.json'));
const { getQuickJS } = await import(require.resolve('quickjs-emscripten'));

const mib = Number(process.argv[2] ?? 1);
const repeats = Number(process.argv[3] ?? 3);
const only = process.argv.slice(4);
const size = Math.round(mib * 1024 * 1024);

/** Variants: generator options for the compression function (see scripts/gen-sha256.mjs). */
const VARIANTS = {
  committed: null, // src/backend/hash/sha256_compress.ts as committed
  dataview: { read: 'dataview', orEach: false, orT1: false, orSched: false, majCache: false, wInline: false },
  bytes: { read: 'bytes', orEach: false, orT1: false, orSched: false, majCache: false, wInline: false },
  dataview_orEach: { read: 'dataview', orEach: true, majCache: false, wInline: false },
  bytes_orEach: { read: 'bytes', orEach: true, majCache: false, wInline: false },
  int32_orEach: { read: 'int32', orEach: true, majCache: false, wInline: false },
  orT1_only: { read: 'dataview', orT1: true, orSched: false, majCache: false, wInline: false },
  orT1_T2: { read: 'dataview', orT1: true, orSched: false, orT2: true, majCache: false, wInline: false },
  orT1_sched: { read: 'dataview', orT1: true, orSched: true, majCache: false, wInline: false },
  orEach_maj: { read: 'dataview', orEach: true, majCache: true, wInline: false },
  orEach_maj_inline: { read: 'dataview', orEach: true, majCache: true, wInline: true },
  t1sched_maj_inline: { read: 'dataview', orT1: true, orSched: true, majCache: true, wInline: true },
  int32_maj_inline: { read: 'int32', orEach: true, majCache: true, wInline: true },
  // Wrong hashes, for scale: no input reads; `^` for every `+` (no int32 overflow at all).
  noread_orEach: { read: 'none', orEach: true, majCache: false, wInline: false },
  xor_floor: { read: 'dataview', orT1: false, orSched: false, majCache: false, wInline: false, xorFloor: true }
};
const WRONG_ON_PURPOSE = new Set(['noread_orEach', 'xor_floor']);

const work = mkdtempSync(join(tmpdir(), 'sha-bench-'));
const esbuild = join(root, 'node_modules/.bin/esbuild');

function bundle(entry, out) {
  execFileSync(esbuild, [entry, '--bundle', '--format=iife', '--global-name=H', '--log-level=warning', `--outfile=${out}`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit']
  });
  return readFileSync(out, 'utf8');
}

function bundleVariant(name, opts) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, 'src/backend/hash/sha256.ts'), join(dir, 'sha256.ts'));
  const compress = opts
    ? generate(opts)
    : readFileSync(join(root, 'src/backend/hash/sha256_compress.ts'), 'utf8');
  writeFileSync(join(dir, 'sha256_compress.ts'), compress);
  writeFileSync(join(dir, 'entry.ts'), "export { sha256 as hash } from './sha256.js';\n");
  return bundle(join(dir, 'entry.ts'), join(dir, 'bundle.js'));
}

function bundleNoble() {
  const entry = join(work, 'noble.ts');
  writeFileSync(entry, `export { sha256 as hash } from '${join(root, 'node_modules/@noble/hashes/sha2.js')}';\n`);
  return bundle(entry, join(work, 'noble.js'));
}

// COUNT=1 (run with tsx): meter the QuickJS Wasm with the replica's IC-style instrumentation
// (src/replica/wasm/instrument.ts) and report exact instructions instead of wall time.
let counter = null;
if (process.env.COUNT === '1') {
  const { instrumentWasm, COUNTER_EXPORT, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS } = await import(
    '../../../src/replica/wasm/instrument.ts'
  );
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = async (source, imports) => {
    if (source instanceof WebAssembly.Module) return instantiate(source, imports);
    const metered = instrumentWasm(new Uint8Array(source), { metering: true });
    const result = await instantiate(metered.bytes, {
      ...imports,
      [METER_IMPORT_MODULE]: { [OUT_OF_INSTRUCTIONS]: () => { throw new Error('out of instructions'); } }
    });
    counter = result.instance.exports[COUNTER_EXPORT];
    return result;
  };
}
const COUNTER_START = 1n << 62n;
/** Instructions used by fn when metering, else its wall time in ms. */
function cost(fn) {
  if (counter) {
    counter.value = COUNTER_START;
    const out = fn();
    return { value: Number(COUNTER_START - counter.value), out };
  }
  const t0 = performance.now();
  const out = fn();
  return { value: performance.now() - t0, out };
}

const QuickJS = await getQuickJS();

/** Evaluates code in vm, returning its value as a host value; throws on a VM exception. */
function run(vm, code) {
  const result = vm.evalCode(code);
  if (result.error) {
    const err = vm.dump(result.error);
    result.error.dispose();
    throw new Error(`QuickJS: ${JSON.stringify(err)}`);
  }
  const v = vm.dump(result.value);
  result.value.dispose();
  return v;
}

function measure(name, source) {
  const vm = QuickJS.newContext();
  try {
    run(vm, source);
    run(
      vm,
      `var data = new Uint8Array(${size}); var x = 1;
       for (var i = 0; i < data.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; data[i] = x & 255; }
       function hex(b) { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }`
    );
    let best = Infinity;
    let digest = '';
    for (let r = 0; r < (counter ? 1 : repeats); r++) {
      const c = cost(() => run(vm, 'H.hash(data)'));
      best = Math.min(best, c.value);
    }
    digest = run(vm, 'hex(H.hash(data))');
    return { name, ms: best, digest };
  } finally {
    vm.dispose();
  }
}

const results = [];
const noble = measure('noble', bundleNoble());
for (const [name, opts] of Object.entries(VARIANTS)) {
  if (only.length && !only.includes(name)) continue;
  results.push(measure(name, bundleVariant(name, opts)));
}
if (counter) {
  console.log(`${mib} MiB in QuickJS (quickjs-emscripten), metered IC-style: Wasm instructions per byte hashed`);
  console.log(`noble            ${(noble.ms / size).toFixed(0).padStart(7)} instr/byte`);
  for (const r of results) {
    const ok = r.digest === noble.digest ? 'ok' : WRONG_ON_PURPOSE.has(r.name) ? '(wrong on purpose)' : 'WRONG DIGEST';
    console.log(`${r.name.padEnd(18)} ${(r.ms / size).toFixed(0).padStart(7)} instr/byte  ×${(noble.ms / r.ms).toFixed(2)} vs noble  ${ok}`);
  }
  process.exit(0);
}
console.log(`${mib} MiB in QuickJS (quickjs-emscripten), best of ${repeats}; noble = ${NOBLE_INSTR_PER_BYTE} instr/byte`);
console.log(`noble            ${noble.ms.toFixed(0).padStart(7)} ms  ${((size / 1024 / noble.ms) * 1000).toFixed(0)} KiB/s`);
for (const r of results) {
  const est = Math.round((NOBLE_INSTR_PER_BYTE * r.ms) / noble.ms);
  const ok = r.digest === noble.digest ? 'ok' : WRONG_ON_PURPOSE.has(r.name) ? '(wrong on purpose)' : 'WRONG DIGEST';
  console.log(
    `${r.name.padEnd(16)} ${r.ms.toFixed(0).padStart(7)} ms  ×${(noble.ms / r.ms).toFixed(2)} vs noble  ≈ ${est} instr/byte  ${ok}`
  );
}
