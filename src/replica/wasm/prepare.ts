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
//    which the host implements by throwing. Between checks the counter may dip below zero by at
//    most one loop-free path's cost, so a host should also treat a negative value after a normal
//    return as out of instructions.
//  * At instantiation the counter holds COUNTER_INITIAL_VALUE, so a `start` function runs metered.
//  * The host may subtract from the counter itself (e.g. System API charges) and read it at any
//    time from an import (performance_counter = budget - value).
//
// Unmetered modules have no counter global and no import: `metered: false` tells the host not to
// look for them (a dummy counter would report zero instructions as if that were a measurement).

import { createHash } from 'node:crypto';
import { InvalidWasmError } from './binary.js';
import { instrumentWasm } from './instrument.js';

export { InvalidWasmError } from './binary.js';
export { COUNTER_EXPORT, COUNTER_INITIAL_VALUE, GLOBAL_EXPORT_PREFIX, METER_IMPORT_MODULE, OUT_OF_INSTRUCTIONS, TABLE_EXPORT } from './instrument.js';

export interface PrepareOptions {
  metering: boolean;
}

export interface PreparedWasm {
  /** compiled, ready to instantiate */
  module: WebAssembly.Module;
  /** names of exported mutable globals the host must save/restore around executions (the module's own defined mutable globals) */
  globalExports: string[];
  metered: boolean;
}

// Installs of the same Wasm (many canisters, reinstalls, upgrades to the same code) reuse the
// compiled module. Bounded, least recently used first out: compiled Azle modules are large.
const CACHE_LIMIT = 8;
const cache = new Map<string, PreparedWasm>();

export function prepareWasm(bytes: Uint8Array, options: PrepareOptions): PreparedWasm {
  const key = `${createHash('sha256').update(bytes).digest('hex')}:${options.metering ? 'metered' : 'plain'}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const instrumented = instrumentWasm(bytes, options);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(instrumented.bytes);
  } catch (error) {
    // The rewrite only copies or extends valid constructs, so this is the input's own fault.
    throw new InvalidWasmError(`Wasm module failed to compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  const prepared: PreparedWasm = { module, globalExports: instrumented.globalExports, metered: instrumented.metered };
  cache.set(key, prepared);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return prepared;
}
