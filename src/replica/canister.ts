// One canister: its settings, its Wasm instance and memories, and the transactional execution
// of its entry points (spec D.1): an execution that traps leaves heap, globals, stable memory,
// certified data, timer, cycles and outgoing calls exactly as before it.
// node:crypto rather than @noble/hashes: module hashes cover megabytes, ≈10x faster natively.
import { sha256 } from './state_files.js';
import { CanisterTrap, trap } from './errors.js';
import { StableMemory, WASM_PAGE } from './stable_memory.js';
import { ExecutionContext, systemApi, type ApiContext, type CanisterHost } from './system_api.js';
import type { PrincipalBytes } from './types.js';
import { bytesEqual } from '../shared/bytes.js';
import { principalText } from './principal.js';
import {
  prepareWasm,
  COUNTER_EXPORT,
  METER_IMPORT_MODULE,
  OUT_OF_INSTRUCTIONS,
  TABLE_EXPORT,
  type PreparedWasm
} from './wasm/prepare.js';
import { canisterMetadata, type CanisterMetadataSection } from './wasm/metadata.js';
import { HeapSnapshot, markWritten } from './heap_snapshot.js';

/** The IC's per-execution instruction limits. */
export const InstructionLimit = {
  update: 40_000_000_000n,
  query: 5_000_000_000n,
  install: 300_000_000_000n,
  inspect: 200_000_000n
} as const;

export type CanisterStatus = 'running' | 'stopping' | 'stopped';

export interface ReplicaOptions {
  /** Instrument Wasm for instruction counting and limits (the IC's behaviour); default true. */
  metering: boolean;
  /** Where canister debug_print lines go. */
  log: (line: string) => void;
  /** The subnet's id (the HTTP interface derives it from its root key); a fixed one otherwise. */
  subnetId?: Uint8Array;
  /** Where raw_rand's bytes come from (default: the OS); persistence records and replays them. */
  random?: (bytes: number) => Uint8Array;
  /** A folder for instrumented modules, so a restart does not instrument the same Wasm again. */
  wasmCacheDir?: string;
}

/** Thrown by the metering import when an execution runs out of instructions. */
class OutOfInstructions extends Error {}

/** A live instance of a canister's module. */
class WasmRuntime {
  readonly instance: WebAssembly.Instance;
  readonly memory: WebAssembly.Memory;
  readonly table: WebAssembly.Table;
  readonly globals: WebAssembly.Global[];
  readonly counter: WebAssembly.Global | undefined;

  constructor(
    readonly prepared: PreparedWasm,
    imports: WebAssembly.Imports
  ) {
    this.instance = new WebAssembly.Instance(prepared.module, imports);
    const exports = this.instance.exports;
    this.memory = exports.memory as WebAssembly.Memory;
    this.table = exports[TABLE_EXPORT] as WebAssembly.Table;
    this.globals = prepared.globalExports.map((name) => exports[name] as WebAssembly.Global);
    this.counter = prepared.metered ? (exports[COUNTER_EXPORT] as WebAssembly.Global) : undefined;
  }

  func(name: string): Function | undefined {
    const f = this.instance.exports[name];
    return typeof f === 'function' ? f : undefined;
  }

  /** Where the canister's heap starts in the memory (wasm/write_tracking.ts). */
  get heapBase(): number {
    return this.prepared.heapBase;
  }

  /** The canister's heap: its view of the memory. */
  heap(): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.prepared.heapBase);
  }
}

export interface ExecutionOutcome {
  ctx: ExecutionContext;
  trap?: CanisterTrap;
  instructions: bigint;
}

export interface ExecuteRequest {
  kind: ApiContext;
  /** The export to call, or a table index for callbacks. */
  entry: { export: string } | { table: number; env: number };
  ctx: Omit<ConstructorParameters<typeof ExecutionContext>[1], 'instructionLimit'>;
  limit: bigint;
  /** Commit the execution's changes if it returns normally (false for queries and inspection). */
  persist: boolean;
}

/** Where an execution's wall time goes, for the benchmark (cumulative since creation). */
export interface ExecutionMetrics {
  executions: number;
  /** Time inside the Wasm entry point, System API calls included. */
  wasmMs: number;
  /** Heap snapshots and rollbacks around executions. */
  snapshotMs: number;
  instructions: bigint;
}

export class Canister implements CanisterHost {
  readonly metrics: ExecutionMetrics = { executions: 0, wasmMs: 0, snapshotMs: 0, instructions: 0n };
  controllers: PrincipalBytes[];
  cycles: bigint;
  status: CanisterStatus = 'running';
  private canisterVersion = 0n;
  readonly stable = new StableMemory();
  certifiedData: Uint8Array = new Uint8Array(0);
  globalTimer = 0n;
  wasmBytes: Uint8Array | undefined;
  moduleHash: Uint8Array | undefined;
  private metadataOf: { wasm: Uint8Array; sections: Map<string, CanisterMetadataSection> } | undefined;
  private runtime: WasmRuntime | undefined;
  private running: ExecutionContext | undefined;
  private limitOfRunning = 0n;
  /** Chunk store of the management canister's chunked install (hash hex → chunk). */
  readonly chunkStore = new Map<string, Uint8Array>();

  constructor(
    readonly id: PrincipalBytes,
    controllers: PrincipalBytes[],
    cycles: bigint,
    private readonly options: ReplicaOptions
  ) {
    this.controllers = controllers;
    this.cycles = cycles;
  }

  /** The id as text, made once: every execution's record and reject message names it. */
  get text(): string {
    return (this.idText ??= principalText(this.id));
  }
  private idText: string | undefined;

  get isEmpty(): boolean {
    return this.runtime === undefined;
  }

  // ---- CanisterHost ----
  memory(): WebAssembly.Memory {
    return this.runtime!.memory;
  }
  heapBase(): number {
    return this.runtime!.heapBase;
  }
  heapWritten(start: number, length: number): void {
    const rt = this.runtime!;
    markWritten(rt.memory, rt.heapBase, start, length);
  }
  instructionsUsed(): bigint {
    const rt = this.runtime;
    if (!rt?.counter || !this.running) return 0n;
    return this.limitOfRunning - (rt.counter.value as bigint);
  }
  charge(instructions: bigint): void {
    const rt = this.runtime;
    if (!rt?.counter || !this.running) return;
    const left = (rt.counter.value as bigint) - instructions;
    rt.counter.value = left;
    if (left < 0n) throw new OutOfInstructions();
  }
  cycleBalance(): bigint {
    return this.cycles;
  }

  version(): bigint {
    return this.canisterVersion;
  }
  isController(principal: PrincipalBytes): boolean {
    return this.controllers.some((c) => bytesEqual(c, principal));
  }
  currentTimer(): bigint {
    return this.globalTimer;
  }
  debugPrint(text: string): void {
    this.options.log(`[Canister ${this.text}] ${text}`);
  }

  bumpVersion(): void {
    this.canisterVersion++;
  }

  /** Restores a persisted canister: its code, heap image, globals and version. */
  restoreImage(image: { wasm?: Uint8Array; heap?: Uint8Array; globals?: unknown[]; version: bigint }): void {
    this.canisterVersion = image.version;
    if (!image.wasm) return;
    this.loadModule(image.wasm);
    if (image.heap) this.restoreHeap(image.heap, image.globals ?? []);
  }

  hasExport(name: string): boolean {
    return this.runtime?.func(name) !== undefined;
  }

  /** Which method kinds the module exports under `name`. */
  methodKind(name: string): 'update' | 'query' | 'composite_query' | undefined {
    if (this.hasExport(`canister_update ${name}`)) return 'update';
    if (this.hasExport(`canister_query ${name}`)) return 'query';
    if (this.hasExport(`canister_composite_query ${name}`)) return 'composite_query';
    return undefined;
  }

  /** Instantiates a module as this canister's new code (fresh heap and globals). */
  loadModule(wasm: Uint8Array): void {
    const prepared = prepareWasm(wasm, { metering: this.options.metering, ...(this.options.wasmCacheDir ? { cacheDir: this.options.wasmCacheDir } : {}) });
    this.runtime = new WasmRuntime(prepared, this.imports());
    this.snapshot.invalidate();
    this.wasmBytes = wasm;
    this.moduleHash = new Uint8Array(sha256(wasm));
  }

  /** The installed module's `icp:public` / `icp:private` custom section `name`, if it has one. */
  metadataSection(name: string): CanisterMetadataSection | undefined {
    const wasm = this.wasmBytes;
    if (!wasm) return undefined;
    if (this.metadataOf?.wasm !== wasm) this.metadataOf = { wasm, sections: canisterMetadata(wasm) };
    return this.metadataOf.sections.get(name);
  }

  /** Drops code, heap and globals (uninstall). */
  unload(): void {
    this.runtime = undefined;
    this.wasmBytes = undefined;
    this.moduleHash = undefined;
  }

  /** Saves what a later `restoreRuntime` needs to undo a multi-step change (upgrade). */
  saveRuntime(): { runtime: WasmRuntime | undefined; heap?: Uint8Array; globals?: unknown[]; wasm?: Uint8Array; hash?: Uint8Array } {
    const rt = this.runtime;
    return {
      runtime: rt,
      heap: rt ? rt.heap().slice() : undefined,
      globals: rt?.globals.map((g) => g.value),
      wasm: this.wasmBytes,
      hash: this.moduleHash
    };
  }

  restoreRuntime(saved: ReturnType<Canister['saveRuntime']>): void {
    this.wasmBytes = saved.wasm;
    this.moduleHash = saved.hash;
    this.runtime = saved.runtime;
    if (saved.runtime && saved.heap) this.restoreHeap(saved.heap, saved.globals!);
  }

  /** Writes a heap image and globals back, re-instantiating if the memory has grown since. */
  restoreHeap(heap: Uint8Array, globals: unknown[], fromSnapshot = false): void {
    let rt = this.runtime!;
    if (rt.heap().length !== heap.length) {
      rt = new WasmRuntime(rt.prepared, this.imports());
      const have = rt.heap().length;
      if (heap.length > have) rt.memory.grow((heap.length - have) / WASM_PAGE);
      this.runtime = rt;
    }
    rt.heap().set(heap);
    rt.globals.forEach((g, i) => (g.value = globals[i]));
    if (fromSnapshot) this.snapshot.adopt(rt.memory, rt.heapBase, heap);
    else this.snapshot.invalidate();
  }

  /** The heap image and globals, for persistence. */
  heapImage(): { heap: Uint8Array; globals: unknown[] } | undefined {
    const rt = this.runtime;
    if (!rt) return undefined;
    return { heap: rt.heap(), globals: rt.globals.map((g) => g.value) };
  }

  /** Runs one execution as a transaction. */
  execute(req: ExecuteRequest): ExecutionOutcome {
    const rt = this.runtime;
    if (!rt) throw new Error(`replica bug: executing on empty canister ${this.text}`);
    if (this.running) throw new Error(`replica bug: an execution on canister ${this.text} inside another (one heap snapshot each)`);
    const ctx = new ExecutionContext(req.kind, { ...req.ctx, instructionLimit: req.limit });
    const t0 = performance.now();
    const heapBefore = this.snapshot.before(rt.memory, rt.heapBase);
    const globalsBefore = rt.globals.map((g) => g.value);
    const stableBefore = this.stable.checkpoint();
    this.running = ctx;
    this.limitOfRunning = req.limit;
    if (rt.counter) rt.counter.value = req.limit;
    let failure: CanisterTrap | undefined;
    const t1 = performance.now();
    try {
      if ('export' in req.entry) {
        const f = rt.func(req.entry.export);
        if (!f) throw new CanisterTrap(513, `'${req.entry.export}'`);
        f();
      } else {
        const f = req.entry.table < rt.table.length ? rt.table.get(req.entry.table) : null;
        if (typeof f !== 'function') throw new CanisterTrap(513, `at table index ${req.entry.table}`);
        f(req.entry.env);
      }
      // The counter is checked at loop headers and calls: a last straight-line stretch may end
      // the execution slightly below zero without a check, which is still over the limit.
      if (rt.counter && (rt.counter.value as bigint) < 0n) throw new OutOfInstructions();
    } catch (e) {
      failure = this.toTrap(e, req.limit);
    }
    const t2 = performance.now();
    const instructions = rt.counter ? req.limit - (rt.counter.value as bigint) : 0n;
    this.running = undefined;
    const t3 = performance.now();
    if (failure || !req.persist) {
      if (this.runtime === rt && this.snapshot.after(rt.memory, rt.heapBase, false)) rt.globals.forEach((g, i) => (g.value = globalsBefore[i]));
      else this.restoreHeap(heapBefore, globalsBefore, true);
      this.stable.restore(stableBefore);
    } else {
      if (!this.snapshot.after(rt.memory, rt.heapBase, true)) this.snapshot.invalidate();
      if (ctx.certifiedData) this.certifiedData = ctx.certifiedData;
      if (ctx.timer !== undefined) this.globalTimer = ctx.timer;
      // Cycles on a call left unperformed at the end are not spent.
      this.cycles += ctx.cyclesAccepted - ctx.cyclesSpent + (ctx.pendingCall?.cycles ?? 0n);
      if (req.kind !== 'I' && req.kind !== 'G') this.canisterVersion++;
    }
    this.metrics.executions++;
    this.metrics.wasmMs += t2 - t1;
    this.metrics.snapshotMs += t1 - t0 + (performance.now() - t3);
    this.metrics.instructions += instructions;
    return { ctx, trap: failure, instructions };
  }

  /** The heap as of the last committed execution (heap_snapshot.ts). */
  private readonly snapshot = new HeapSnapshot();

  private toTrap(e: unknown, limit: bigint): CanisterTrap {
    if (e instanceof CanisterTrap) return e;
    if (e instanceof OutOfInstructions) return trap.instructions(limit);
    if (e instanceof WebAssembly.RuntimeError) return trap.wasm(wasmTrapText(e.message));
    if (e instanceof RangeError && /call stack/i.test(e.message)) return trap.wasm('stack overflow');
    // Anything else is a bug in the replica's own import code: surface it, but as a trap so the
    // canister's state stays consistent.
    this.options.log(`replica internal error in canister ${this.text}: ${(e as Error)?.stack ?? String(e)}`);
    return trap.wasm(`replica internal error: ${(e as Error)?.message ?? String(e)}`);
  }

  private imports(): WebAssembly.Imports {
    const current = () => {
      if (!this.running) throw new Error('replica bug: System API called outside an execution');
      return this.running;
    };
    return {
      ic0: systemApi(this, current) as WebAssembly.ModuleImports,
      [METER_IMPORT_MODULE]: {
        [OUT_OF_INSTRUCTIONS]: () => {
          throw new OutOfInstructions();
        }
      }
    };
  }
}

/** V8's trap messages in the IC's words (`TrapCode` display in dfinity/ic). */
function wasmTrapText(message: string): string {
  if (/unreachable/.test(message)) return 'unreachable';
  if (/memory access out of bounds/.test(message)) return 'heap out of bounds';
  if (/divide by zero/.test(message)) return 'integer division by 0';
  if (/remainder by zero/.test(message)) return 'integer division by 0';
  if (/integer overflow/.test(message)) return 'integer overflow';
  if (/table index is out of bounds|null function|function signature mismatch/.test(message)) return 'indirect call failed';
  return message;
}
