// Turns a canister's Wasm into a compiled module the replica can run: the function table and the
// module's mutable globals exported (callbacks go through the table; globals are saved and
// restored around executions, EMBEDDED_REPLICA_SPEC.md D.1 and E.2), and, with metering, the IC's
// instruction counter injected (PERFORMANCE_NOTES.md "Metering").
//
// Counter protocol (metered modules):
//  * `__replica_instructions` is a mutable i64 global that counts DOWN. Before an execution the
//    host sets it to the remaining budget (BigInt); afterwards instructions used = budget - value.
//  * Each basic block subtracts its static cost on entry; bulk memory/table operations also
//    subtract their size operand. At function entries and loop headers, and after every size
//    charge, a negative counter calls the import `__replica.out_of_instructions` (type () -> ()),
//    which the host must implement by throwing: should it return, the module traps
//    (`unreachable`). Between checks the counter may dip below zero by at most one loop-free
//    path's cost, so a host should also treat a negative value after a normal return as out of
//    instructions.
//  * Inside the module the counter travels between the module's own functions as a value
//    (code.ts); the global holds the exact count whenever the host can look: inside every
//    import call (out_of_instructions included), after an export or table entry returns, and
//    after an explicit `unreachable`. After another trap it may lag behind.
//  * At instantiation the counter holds COUNTER_INITIAL_VALUE, so a `start` function runs metered.
//  * The host may subtract from the counter itself (e.g. System API charges) and read it at any
//    time from an import (performance_counter = budget - value).
//
// Unmetered modules have no counter global and no import: `metered: false` tells the host not to
// look for them (a dummy counter would report zero instructions as if that were a measurement).
//
// V8 (Node 20) hands functions it judges huge (by virtual register count) to a cheaper, "mid-tier"
// register allocator. QuickJS's interpreter loop (Azle, function 44, 43 KB) is just under that
// uninstrumented and well over it metered, and ran ≈1.3x slower for that alone. Preparing a
// metered module therefore turns that fallback off for the process
// (--no-turbo-use-mid-tier-regalloc-for-huge-functions): optimizing that function then takes
// ≈1.3 s instead of ≈0.8 s on a background thread, while execution goes on in the baseline tier.

import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { InvalidWasmError } from './binary.js';
import { instrumentWasm } from './instrument.js';
import { readInstrumented, writeInstrumented } from './instrumented_cache.js';

export { InvalidWasmError } from './binary.js';
export { COUNTER_EXPORT, COUNTER_INITIAL_VALUE, GLOBAL_EXPORT_PREFIX, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, TABLE_EXPORT } from './instrument.js';

export interface PrepareOptions {
  metering: boolean;
  /** A folder where instrumented modules are kept across processes (instrumented_cache.ts). */
  cacheDir?: string;
}

export interface PreparedWasm {
  /** compiled, ready to instantiate */
  module: WebAssembly.Module;
  /** names of exported mutable globals the host must save/restore around executions (the module's own defined mutable globals) */
  globalExports: string[];
  metered: boolean;
  /** Where the canister's heap starts in the instance's memory (write_tracking.ts); 0 unmetered. */
  heapBase: number;
}

// Installs of the same Wasm (many canisters, reinstalls, upgrades to the same code) reuse the
// compiled module. Bounded, least recently used first out: compiled Azle modules are large.
const CACHE_LIMIT = 8;
const cache = new Map<string, PreparedWasm>();

let topTierRegisterAllocation = false;

/** See the header: applies to functions V8 optimizes from now on, in this process. */
function useTopTierRegisterAllocation(): void {
  if (topTierRegisterAllocation) return;
  setFlagsFromString('--no-turbo-use-mid-tier-regalloc-for-huge-functions');
  topTierRegisterAllocation = true;
}

/**
 * A profiling aid for benchmarks, off unless the process sets IC_UPLOAD_REPLICA_PROFILE=1:
 * metered modules then also count each function's instructions (instrument.ts, `profile`), read
 * from the instance's `__replica_profile_<i>` exports. Such modules are never cached on disk.
 */
const PROFILE = process.env.IC_UPLOAD_REPLICA_PROFILE === '1';

export function prepareWasm(bytes: Uint8Array, options: PrepareOptions): PreparedWasm {
  if (options.metering) useTopTierRegisterAllocation();
  const moduleSha256 = createHash('sha256').update(bytes).digest('hex');
  const profile = PROFILE && options.metering;
  if (profile) options = { metering: true };
  const key = `${moduleSha256}:${options.metering ? 'metered' : 'plain'}${profile ? ':profiled' : ''}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const cached = options.cacheDir === undefined ? undefined : readInstrumented(options.cacheDir, moduleSha256, options.metering);
  const instrumented = cached ?? instrumentWasm(bytes, { ...options, profile });
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(instrumented.bytes);
  } catch (error) {
    // The rewrite only copies or extends valid constructs, so this is the input's own fault.
    throw new InvalidWasmError(`Wasm module failed to compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (options.cacheDir !== undefined && !cached) writeInstrumented(options.cacheDir, moduleSha256, options.metering, instrumented);
  const prepared: PreparedWasm = { module, globalExports: instrumented.globalExports, metered: instrumented.metered, heapBase: instrumented.heapBase };
  cache.set(key, prepared);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return prepared;
}
