// The management canister `aaaaa-aa`: canister creation, code installation (plain and chunked),
// lifecycle, settings, status and raw_rand, as the IC interface specification describes them.
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { randomBytes } from 'node:crypto';
// node:crypto rather than @noble/hashes: module hashes cover megabytes, ≈10x faster natively.
import { sha256 } from './state_files.js';
import { rejects, reject as makeReject, ErrorCode } from './errors.js';
import { Canister, InstructionLimit } from './canister.js';
import * as C from './management_candid.js';
import { InvalidWasmError } from './wasm/prepare.js';
import type { CallResult, PrincipalBytes, Reject } from './types.js';
import { bytesEqual, toHex as hex } from '../shared/bytes.js';
import { principalText } from './principal.js';

/** What the management canister needs from the replica it belongs to. */
export interface ManagementHost {
  createCanister(controllers: PrincipalBytes[], cycles: bigint, specifiedId?: PrincipalBytes): Canister | Reject;
  canister(id: PrincipalBytes): Canister | undefined;
  deleteCanister(id: PrincipalBytes): void;
  /** Whether the canister has call contexts still open (stop waits for them). */
  hasOpenCallContexts(canister: Canister): boolean;
  time(): bigint;
  /** Randomness for raw_rand; a persistent replica records it to replay the same messages alike. */
  random?(bytes: number): Uint8Array;
}

export const DEFAULT_PROVISIONAL_CYCLES = 100_000_000_000_000n;
const MAX_CHUNK = 1024 * 1024;
const CHUNK_STORE_CAPACITY = 100;

/** Methods a user may call as ingress (raw_rand and the like are for canisters only). */
const INGRESS_METHODS = new Set([
  'provisional_create_canister_with_cycles',
  'provisional_top_up_canister',
  'create_canister',
  'install_code',
  'install_chunked_code',
  'upload_chunk',
  'clear_chunk_store',
  'stored_chunks',
  'uninstall_code',
  'start_canister',
  'stop_canister',
  'canister_status',
  'delete_canister',
  'update_settings'
]);

/** A reply, a reject, or (stop_canister) an answer that waits until the canister has stopped. */
export type ManagementResult = CallResult | { kind: 'stopping'; canister: Canister };

const reply = (types: IDL.Type[], values: unknown[]): CallResult => ({
  kind: 'reply',
  bytes: new Uint8Array(IDL.encode(types, values))
});
const unit = (): CallResult => reply([], []);
const fail = (r: Reject): CallResult => ({ kind: 'reject', ...r });

export class ManagementCanister {
  constructor(private readonly host: ManagementHost) {}

  acceptsIngress(method: string): boolean {
    return INGRESS_METHODS.has(method);
  }

  call(caller: PrincipalBytes, method: string, payload: Uint8Array, cycles: bigint): ManagementResult {
    try {
      return this.dispatch(caller, method, payload, cycles);
    } catch (e) {
      if (e instanceof BadPayload) return fail(rejects.badPayload(method, e.message));
      throw e;
    }
  }

  private dispatch(caller: PrincipalBytes, method: string, payload: Uint8Array, cycles: bigint): ManagementResult {
    switch (method) {
      case 'provisional_create_canister_with_cycles':
      case 'create_canister': {
        const args = decode<C.CreateCanisterArg>(C.CreateCanisterArgs, payload, method);
        const settings = args.settings[0];
        const controllers = settings?.controllers[0]?.map((p) => p.toUint8Array()) ?? [caller];
        const amount = method === 'create_canister' ? cycles : (args.amount[0] ?? DEFAULT_PROVISIONAL_CYCLES);
        const created = this.host.createCanister(controllers, amount, args.specified_id[0]?.toUint8Array());
        if (!(created instanceof Canister)) return fail(created);
        return reply([C.CanisterIdRecord], [{ canister_id: Principal.fromUint8Array(created.id) }]);
      }
      case 'provisional_top_up_canister': {
        const args = decode<{ canister_id: Principal; amount: bigint }>(
          IDL.Record({ canister_id: IDL.Principal, amount: IDL.Nat }),
          payload,
          method
        );
        const canister = this.lookup(args.canister_id);
        if (!(canister instanceof Canister)) return fail(canister);
        canister.cycles += args.amount;
        return unit();
      }
      case 'install_code': {
        const args = decode<C.InstallCodeArg>(C.InstallCodeArgs, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        return this.install(canister, args.mode, args.wasm_module, args.arg, caller);
      }
      case 'upload_chunk': {
        const args = decode<C.UploadChunkArg>(C.UploadChunkArgs, payload, method);
        const canister = this.controlledOrSelf(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        if (args.chunk.length > MAX_CHUNK) {
          return fail(rejects.management(`Wasm chunk size ${args.chunk.length} exceeds the maximum chunk size of ${MAX_CHUNK}.`));
        }
        const hash = new Uint8Array(sha256(args.chunk));
        if (!canister.chunkStore.has(hex(hash)) && canister.chunkStore.size >= CHUNK_STORE_CAPACITY) {
          return fail(rejects.management(`Wasm chunk store of canister ${canister.text} is full (${CHUNK_STORE_CAPACITY} chunks).`));
        }
        canister.chunkStore.set(hex(hash), new Uint8Array(args.chunk));
        return reply([C.ChunkHash], [{ hash }]);
      }
      case 'clear_chunk_store': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlledOrSelf(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        canister.chunkStore.clear();
        return unit();
      }
      case 'stored_chunks': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlledOrSelf(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        const hashes = [...canister.chunkStore.keys()].map((h) => ({ hash: Buffer.from(h, 'hex') }));
        return reply([IDL.Vec(C.ChunkHash)], [hashes]);
      }
      case 'install_chunked_code': {
        const args = decode<C.InstallChunkedCodeArg>(C.InstallChunkedCodeArgs, payload, method);
        const target = this.controlled(caller, args.target_canister, method);
        if (!(target instanceof Canister)) return fail(target);
        const store = this.controlledOrSelf(caller, args.store_canister[0] ?? args.target_canister, method);
        if (!(store instanceof Canister)) return fail(store);
        const parts: Uint8Array[] = [];
        for (const { hash } of args.chunk_hashes_list) {
          const chunk = store.chunkStore.get(hex(hash));
          if (!chunk) return fail(rejects.management(`Chunk with hash ${hex(hash)} not found in the chunk store of canister ${store.text}.`));
          parts.push(chunk);
        }
        const wasm = new Uint8Array(Buffer.concat(parts));
        const actual = new Uint8Array(sha256(wasm));
        if (!bytesEqual(actual, args.wasm_module_hash)) {
          return fail(
            rejects.management(`Wasm module hash ${hex(actual)} does not match the given hash ${hex(args.wasm_module_hash)}.`)
          );
        }
        return this.install(target, args.mode, wasm, args.arg, caller);
      }
      case 'uninstall_code': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        canister.unload();
        canister.stable.replace(new Uint8Array(0));
        canister.certifiedData = new Uint8Array(0);
        canister.globalTimer = 0n;
        canister.bumpVersion();
        return unit();
      }
      case 'start_canister': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        canister.status = 'running';
        return unit();
      }
      case 'stop_canister': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        if (canister.status === 'stopped') return unit();
        canister.status = 'stopping';
        if (!this.host.hasOpenCallContexts(canister)) {
          canister.status = 'stopped';
          return unit();
        }
        return { kind: 'stopping', canister };
      }
      case 'delete_canister': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        if (canister.status !== 'stopped') {
          return fail(rejects.management(`Canister ${canister.text} must be stopped before it is deleted.`));
        }
        this.host.deleteCanister(canister.id);
        return unit();
      }
      case 'canister_status': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.controlledOrSelf(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        return reply([C.CanisterStatusResult], [this.status(canister)]);
      }
      case 'update_settings': {
        const args = decode<C.UpdateSettingsArg>(C.UpdateSettingsArgs, payload, method);
        const canister = this.controlled(caller, args.canister_id, method);
        if (!(canister instanceof Canister)) return fail(canister);
        const controllers = args.settings.controllers[0];
        if (controllers) {
          if (controllers.length > 10) return fail(rejects.management('Invalid settings: at most 10 controllers are allowed.'));
          canister.controllers = controllers.map((p) => p.toUint8Array());
        }
        canister.bumpVersion();
        return unit();
      }
      case 'raw_rand':
        return reply([C.RawRandResult], [this.host.random?.(32) ?? new Uint8Array(randomBytes(32))]);
      case 'deposit_cycles': {
        const args = decode<C.CanisterIdArg>(C.CanisterIdRecord, payload, method);
        const canister = this.lookup(args.canister_id);
        if (!(canister instanceof Canister)) return fail(canister);
        canister.cycles += cycles;
        return unit();
      }
      default:
        return fail(makeReject(ErrorCode.CanisterMethodNotFound, `Management canister has no method '${method}'`));
    }
  }

  /** install / reinstall / upgrade (spec D.3); atomic: a trap leaves the canister as it was. */
  private install(canister: Canister, mode: C.ModeArg, wasm: Uint8Array, arg: Uint8Array, caller: PrincipalBytes): CallResult {
    if (!WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)) return fail(rejects.invalidWasm(canister.text, 'Failed to decode wasm module'));
    const base = { caller, mayRespond: false, callContextInstructions: 0n, time: this.host.time() };
    if ('install' in mode || 'reinstall' in mode) {
      if ('install' in mode && !canister.isEmpty) return fail(rejects.nonEmpty(canister.text));
      const saved = canister.saveRuntime();
      const stable = canister.stable.checkpoint();
      const before = { certified: canister.certifiedData, timer: canister.globalTimer };
      try {
        canister.loadModule(wasm);
      } catch (e) {
        canister.restoreRuntime(saved);
        return fail(invalidModule(canister, e));
      }
      canister.stable.replace(new Uint8Array(0));
      canister.certifiedData = new Uint8Array(0);
      canister.globalTimer = 0n;
      if (canister.hasExport('canister_init')) {
        const out = canister.execute({
          kind: 'I',
          entry: { export: 'canister_init' },
          ctx: { ...base, arg },
          limit: InstructionLimit.install,
          persist: true
        });
        if (out.trap) {
          canister.restoreRuntime(saved);
          canister.stable.restore(stable);
          canister.certifiedData = before.certified;
          canister.globalTimer = before.timer;
          return fail(out.trap.toReject(canister.text));
        }
      }
      canister.bumpVersion();
      return unit();
    }
    // upgrade
    if (canister.isEmpty) return fail(rejects.noWasm(canister.text));
    const options = mode.upgrade[0];
    if (options?.wasm_memory_persistence[0] && 'keep' in options.wasm_memory_persistence[0]) {
      return fail(rejects.management('Invalid upgrade option: wasm_memory_persistence = keep is only for canisters with enhanced orthogonal persistence.'));
    }
    const saved = canister.saveRuntime();
    const stable = canister.stable.checkpoint();
    const before = { certified: canister.certifiedData, timer: canister.globalTimer };
    const undo = (r: Reject): CallResult => {
      canister.restoreRuntime(saved);
      canister.stable.restore(stable);
      canister.certifiedData = before.certified;
      canister.globalTimer = before.timer;
      return fail(r);
    };
    if (!options?.skip_pre_upgrade[0] && canister.hasExport('canister_pre_upgrade')) {
      const out = canister.execute({
        kind: 'G',
        entry: { export: 'canister_pre_upgrade' },
        ctx: { ...base },
        limit: InstructionLimit.install,
        persist: true
      });
      if (out.trap) return undo(out.trap.toReject(canister.text));
    }
    try {
      canister.loadModule(wasm);
    } catch (e) {
      return undo(invalidModule(canister, e));
    }
    // Every code change deactivates the global timer.
    canister.globalTimer = 0n;
    if (canister.hasExport('canister_post_upgrade')) {
      const out = canister.execute({
        kind: 'I',
        entry: { export: 'canister_post_upgrade' },
        ctx: { ...base, arg },
        limit: InstructionLimit.install,
        persist: true
      });
      if (out.trap) return undo(out.trap.toReject(canister.text));
    }
    canister.bumpVersion();
    return unit();
  }

  private status(canister: Canister) {
    const heap = canister.heapImage()?.heap.length ?? 0;
    return {
      status: { [canister.status]: null },
      settings: {
        controllers: canister.controllers.map((c) => Principal.fromUint8Array(c)),
        compute_allocation: 0n,
        memory_allocation: 0n,
        freezing_threshold: 2_592_000n,
        reserved_cycles_limit: 5_000_000_000_000n,
        log_visibility: { controllers: null },
        wasm_memory_limit: 3_221_225_472n,
        wasm_memory_threshold: 0n,
        environment_variables: []
      },
      module_hash: canister.moduleHash ? [canister.moduleHash] : [],
      memory_size: BigInt(heap + canister.stable.size * 65536 + (canister.wasmBytes?.length ?? 0)),
      cycles: canister.cycles,
      reserved_cycles: 0n,
      idle_cycles_burned_per_day: 0n,
      query_stats: {
        num_calls_total: 0n,
        num_instructions_total: 0n,
        request_payload_bytes_total: 0n,
        response_payload_bytes_total: 0n
      }
    };
  }

  private lookup(id: Principal): Canister | Reject {
    return this.host.canister(id.toUint8Array()) ?? rejects.canisterNotFound(id.toText());
  }

  private controlled(caller: PrincipalBytes, id: Principal, method: string): Canister | Reject {
    const canister = this.lookup(id);
    if (!(canister instanceof Canister)) return canister;
    return canister.isController(caller) ? canister : rejects.notController(canister.text, method);
  }

  private controlledOrSelf(caller: PrincipalBytes, id: Principal, method: string): Canister | Reject {
    const canister = this.lookup(id);
    if (!(canister instanceof Canister)) return canister;
    return canister.isController(caller) || bytesEqual(caller, canister.id)
      ? canister
      : rejects.notController(principalText(canister.id), method);
  }
}

class BadPayload extends Error {}

function invalidModule(canister: Canister, e: unknown): Reject {
  if (!(e instanceof InvalidWasmError) && !(e instanceof WebAssembly.CompileError) && !(e instanceof WebAssembly.LinkError)) {
    throw e; // a replica bug, not the module's fault: let it surface
  }
  return rejects.invalidWasm(canister.text, e.message);
}

function decode<T>(type: IDL.Type, payload: Uint8Array, method: string): T {
  try {
    const [value] = IDL.decode([type], payload);
    return value as T;
  } catch (e) {
    throw new BadPayload(`${method}: ${(e as Error).message}`);
  }
}
