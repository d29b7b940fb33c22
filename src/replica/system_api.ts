// The `ic0` System API (IC interface specification, "Canister interface (System API)"), one
// function per import, named exactly as the spec names them. Each import checks that it is
// available in the running execution's context and traps (IC0504) otherwise, after charging
// what the IC charges for the call (`charged`).
import { trap, CanisterTrap, ErrorCode } from './errors.js';
import { DIRTY_PAGE_OVERHEAD, SYSTEM_API_OVERHEAD, bytesCharge, stablePages } from './wasm/system_api_costs.js';
import type { PrincipalBytes } from './types.js';
import { exactNumber, WASM_PAGE, type StableMemory } from './stable_memory.js';

/** Execution contexts, with the spec's letters. */
export type ApiContext = 'I' | 'G' | 'U' | 'RQ' | 'NRQ' | 'CQ' | 'Ry' | 'Rt' | 'C' | 'F' | 'T';

const ALL: ApiContext[] = ['I', 'G', 'U', 'RQ', 'NRQ', 'CQ', 'Ry', 'Rt', 'C', 'F', 'T'];
const RESPOND: ApiContext[] = ['U', 'RQ', 'NRQ', 'CQ', 'Ry', 'Rt'];
const CALL: ApiContext[] = ['U', 'CQ', 'Ry', 'Rt', 'T'];

/** Where each import may be called (spec table; "*" is every context). */
const AVAILABLE: Record<string, ApiContext[]> = {
  msg_arg_data_size: ['I', 'U', 'RQ', 'NRQ', 'CQ', 'Ry', 'F'],
  msg_arg_data_copy: ['I', 'U', 'RQ', 'NRQ', 'CQ', 'Ry', 'F'],
  msg_caller_size: ALL,
  msg_caller_copy: ALL,
  msg_reject_code: ['Ry', 'Rt', 'C'],
  msg_reject_msg_size: ['Rt'],
  msg_reject_msg_copy: ['Rt'],
  msg_reply_data_append: RESPOND,
  msg_reply: RESPOND,
  msg_reject: RESPOND,
  msg_cycles_available128: ['U', 'RQ', 'Ry', 'Rt'],
  msg_cycles_refunded128: ['Ry', 'Rt'],
  msg_cycles_accept128: ['U', 'RQ', 'Ry', 'Rt'],
  cycles_burn128: ['I', 'G', 'U', 'RQ', 'Ry', 'Rt', 'C', 'T'],
  canister_self_size: ALL,
  canister_self_copy: ALL,
  canister_cycle_balance128: ALL,
  canister_liquid_cycle_balance128: ALL,
  canister_version: ALL,
  msg_method_name_size: ['F'],
  msg_method_name_copy: ['F'],
  accept_message: ['F'],
  call_new: CALL,
  call_on_cleanup: CALL,
  call_data_append: CALL,
  call_cycles_add128: ['U', 'Ry', 'Rt', 'T'],
  call_with_best_effort_response: CALL,
  call_perform: CALL,
  stable64_size: ALL,
  stable64_grow: ALL,
  stable64_write: ALL,
  stable64_read: ALL,
  certified_data_set: ['I', 'G', 'U', 'Ry', 'Rt', 'T'],
  data_certificate_present: ALL,
  data_certificate_size: ['NRQ', 'CQ'],
  data_certificate_copy: ['NRQ', 'CQ'],
  time: ALL,
  global_timer_set: ['I', 'G', 'U', 'Ry', 'Rt', 'C', 'T'],
  performance_counter: ALL,
  is_controller: ALL,
  in_replicated_execution: ALL,
  cost_call: ALL,
  debug_print: ALL,
  trap: ALL
};

const ALLOWED: Record<string, ReadonlySet<ApiContext>> = Object.fromEntries(
  Object.entries(AVAILABLE).map(([name, contexts]) => [name, new Set(contexts)])
);

/** Reply size limits: 2 MiB for replicated executions, 3 MiB for non-replicated queries. */
const REPLY_LIMIT_REPLICATED = 2 * 1024 * 1024;
const REPLY_LIMIT_QUERY = 3 * 1024 * 1024;
/** Inter-canister request payload limit (same subnet). */
const CALL_PAYLOAD_LIMIT = 10 * 1024 * 1024;

export interface OutgoingCall {
  callee: PrincipalBytes;
  method: string;
  payload: Uint8Array[];
  payloadSize: number;
  cycles: bigint;
  reply: { fun: number; env: number };
  reject: { fun: number; env: number };
  cleanup?: { fun: number; env: number };
  timeoutSeconds?: number;
}

export type Response = { kind: 'reply'; bytes: Uint8Array } | { kind: 'reject'; message: string };

/** Everything one execution sees and produces; discarded wholesale if the execution traps. */
export class ExecutionContext {
  response: Response | undefined;
  private replyParts: Uint8Array[] = [];
  private replySize = 0;
  pendingCall: OutgoingCall | undefined;
  readonly calls: OutgoingCall[] = [];
  accepted = false;
  certifiedData: Uint8Array | undefined;
  timer: bigint | undefined;
  cyclesAccepted = 0n;
  cyclesSpent = 0n;

  constructor(
    readonly kind: ApiContext,
    readonly opts: {
      arg?: Uint8Array;
      caller: PrincipalBytes;
      methodName?: string;
      /** 0 for a reply callback; the reject code for a reject callback. */
      rejectCode?: number;
      rejectMessage?: string;
      /** Whether this execution may still respond (its call context has not been answered). */
      mayRespond: boolean;
      cyclesAvailable?: bigint;
      cyclesRefunded?: bigint;
      instructionLimit: bigint;
      /** Instructions used by earlier executions of the same call context. */
      callContextInstructions: bigint;
      time: bigint;
      /** The certificate of this canister's certified data, offered to non-replicated queries. */
      dataCertificate?: Uint8Array;
    }
  ) {}

  get replicated(): boolean {
    return this.kind !== 'NRQ' && this.kind !== 'F' && this.kind !== 'CQ';
  }

  appendReply(bytes: Uint8Array): void {
    const limit = this.kind === 'NRQ' ? REPLY_LIMIT_QUERY : REPLY_LIMIT_REPLICATED;
    if (this.replySize + bytes.length > limit) {
      throw trap.contract(`ic0.msg_reply_data_append: application payload size (${this.replySize + bytes.length}) cannot be larger than ${limit}.`);
    }
    this.replyParts.push(bytes.slice());
    this.replySize += bytes.length;
  }

  takeReply(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.replyParts));
  }
}

/** What the System API needs from the canister it runs in. */
export interface CanisterHost {
  readonly id: PrincipalBytes;
  readonly stable: StableMemory;
  memory(): WebAssembly.Memory;
  /** Where the canister's heap starts in `memory()` (wasm/write_tracking.ts). */
  heapBase(): number;
  /** Records that the System API wrote the heap bytes [start, start + length). */
  heapWritten(start: number, length: number): void;
  /** Instructions used so far in this execution (from the metering counter). */
  instructionsUsed(): bigint;
  /** Charges a System API call's instructions; throws (out of instructions) past the limit. */
  charge(instructions: bigint): void;
  cycleBalance(): bigint;
  version(): bigint;
  isController(principal: PrincipalBytes): boolean;
  currentTimer(): bigint;
  debugPrint(text: string): void;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the `ic0` import object for one canister instance. `current()` returns the execution in
 * progress; calling an import when none is running is a bug in the replica, not the canister.
 */
export function systemApi(host: CanisterHost, current: () => ExecutionContext): Record<string, Function> {
  // Stable structures call stable64_read/write thousands of times per message (a 1.9 MB value
  // is ~15,000 writes), so the hot path keeps one heap view until the memory grows.
  let view = new Uint8Array(0);
  const heap = (): Uint8Array => {
    const buffer = host.memory().buffer;
    if (view.buffer !== buffer) view = new Uint8Array(buffer, host.heapBase());
    return view;
  };

  const ctx = (name: string): ExecutionContext => {
    const c = current();
    if (!ALLOWED[name]!.has(c.kind)) {
      throw trap.contract(`"ic0_${name}" cannot be executed in ${contextName(c.kind)} mode`);
    }
    return c;
  };
  const read = (ptr: number, size: number): Uint8Array => {
    const p = ptr >>> 0;
    const n = size >>> 0;
    const h = heap();
    if (p + n > h.length) throw trap.contract(`heap out of bounds: ${p} + ${n} > ${h.length}`);
    return h.slice(p, p + n);
  };
  const write = (dst: number, bytes: Uint8Array): void => {
    const d = dst >>> 0;
    const h = heap();
    if (d + bytes.length > h.length) throw trap.contract(`heap out of bounds: ${d} + ${bytes.length} > ${h.length}`);
    h.set(bytes, d);
    host.heapWritten(d, bytes.length);
  };
  /** Copy (src[offset, offset+size)) to heap[dst…], trapping if the source range is exceeded. */
  const copyOut = (name: string, src: Uint8Array, dst: number, offset: number, size: number): void => {
    const off = offset >>> 0;
    const n = size >>> 0;
    if (off + n > src.length) {
      throw trap.contract(`${name}: src=${off} + length=${n} exceeds the slice size=${src.length}`);
    }
    write(dst, src.subarray(off, off + n));
  };
  const write128 = (dst: number, value: bigint): void => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt.asUintN(64, value), true);
    v.setBigUint64(8, BigInt.asUintN(64, value >> 64n), true);
    write(dst, b);
  };
  const u128 = (hi: bigint, lo: bigint) => (BigInt.asUintN(64, hi) << 64n) | BigInt.asUintN(64, lo);
  const respond = (c: ExecutionContext, name: string) => {
    if (!c.opts.mayRespond || c.response) {
      throw trap.contract(`${name}: the call is already replied`);
    }
  };

  const api = {
    msg_arg_data_size(): number {
      const c = ctx('msg_arg_data_size');
      if (c.kind === 'Ry' && c.opts.arg === undefined) throw trap.contract('msg_arg_data_size: no argument');
      return c.opts.arg?.length ?? 0;
    },
    msg_arg_data_copy(dst: number, offset: number, size: number): void {
      copyOut('ic0.msg_arg_data_copy', ctx('msg_arg_data_copy').opts.arg ?? new Uint8Array(0), dst, offset, size);
    },
    msg_caller_size(): number {
      return ctx('msg_caller_size').opts.caller.length;
    },
    msg_caller_copy(dst: number, offset: number, size: number): void {
      copyOut('ic0.msg_caller_copy', ctx('msg_caller_copy').opts.caller, dst, offset, size);
    },
    msg_reject_code(): number {
      return ctx('msg_reject_code').opts.rejectCode ?? 0;
    },
    msg_reject_msg_size(): number {
      return Buffer.byteLength(ctx('msg_reject_msg_size').opts.rejectMessage ?? '');
    },
    msg_reject_msg_copy(dst: number, offset: number, size: number): void {
      const c = ctx('msg_reject_msg_copy');
      copyOut('ic0.msg_reject_msg_copy', Buffer.from(c.opts.rejectMessage ?? ''), dst, offset, size);
    },
    msg_reply_data_append(src: number, size: number): void {
      const c = ctx('msg_reply_data_append');
      respond(c, 'ic0.msg_reply_data_append');
      c.appendReply(read(src, size));
    },
    msg_reply(): void {
      const c = ctx('msg_reply');
      respond(c, 'ic0.msg_reply');
      c.response = { kind: 'reply', bytes: c.takeReply() };
    },
    msg_reject(src: number, size: number): void {
      const c = ctx('msg_reject');
      respond(c, 'ic0.msg_reject');
      let message: string;
      try {
        message = strictDecoder.decode(read(src, size));
      } catch {
        throw trap.contract('ic0.msg_reject: invalid UTF-8 string provided');
      }
      c.response = { kind: 'reject', message };
    },
    msg_cycles_available128(dst: number): void {
      const c = ctx('msg_cycles_available128');
      write128(dst, (c.opts.cyclesAvailable ?? 0n) - c.cyclesAccepted);
    },
    msg_cycles_refunded128(dst: number): void {
      write128(dst, ctx('msg_cycles_refunded128').opts.cyclesRefunded ?? 0n);
    },
    msg_cycles_accept128(hi: bigint, lo: bigint, dst: number): void {
      const c = ctx('msg_cycles_accept128');
      const available = (c.opts.cyclesAvailable ?? 0n) - c.cyclesAccepted;
      const amount = u128(hi, lo) < available ? u128(hi, lo) : available;
      c.cyclesAccepted += amount;
      write128(dst, amount);
    },
    cycles_burn128(hi: bigint, lo: bigint, dst: number): void {
      const c = ctx('cycles_burn128');
      const liquid = host.cycleBalance() + c.cyclesAccepted - c.cyclesSpent;
      const amount = u128(hi, lo) < liquid ? u128(hi, lo) : liquid;
      c.cyclesSpent += amount;
      write128(dst, amount);
    },
    canister_self_size(): number {
      ctx('canister_self_size');
      return host.id.length;
    },
    canister_self_copy(dst: number, offset: number, size: number): void {
      ctx('canister_self_copy');
      copyOut('ic0.canister_self_copy', host.id, dst, offset, size);
    },
    canister_cycle_balance128(dst: number): void {
      const c = ctx('canister_cycle_balance128');
      write128(dst, host.cycleBalance() + c.cyclesAccepted - c.cyclesSpent);
    },
    canister_liquid_cycle_balance128(dst: number): void {
      const c = ctx('canister_liquid_cycle_balance128');
      write128(dst, host.cycleBalance() + c.cyclesAccepted - c.cyclesSpent);
    },
    canister_version(): bigint {
      ctx('canister_version');
      return host.version();
    },
    msg_method_name_size(): number {
      return Buffer.byteLength(ctx('msg_method_name_size').opts.methodName ?? '');
    },
    msg_method_name_copy(dst: number, offset: number, size: number): void {
      const c = ctx('msg_method_name_copy');
      copyOut('ic0.msg_method_name_copy', Buffer.from(c.opts.methodName ?? ''), dst, offset, size);
    },
    accept_message(): void {
      const c = ctx('accept_message');
      if (c.accepted) throw trap.contract('ic0.accept_message: the function was already called.');
      c.accepted = true;
    },
    call_new(
      calleeSrc: number,
      calleeSize: number,
      nameSrc: number,
      nameSize: number,
      replyFun: number,
      replyEnv: number,
      rejectFun: number,
      rejectEnv: number
    ): void {
      const c = ctx('call_new');
      // An unfinished call is discarded, and the cycles put on it go back to the balance.
      if (c.pendingCall) c.cyclesSpent -= c.pendingCall.cycles;
      c.pendingCall = {
        callee: read(calleeSrc, calleeSize),
        method: decoder.decode(read(nameSrc, nameSize)),
        payload: [],
        payloadSize: 0,
        cycles: 0n,
        reply: { fun: replyFun >>> 0, env: replyEnv >>> 0 },
        reject: { fun: rejectFun >>> 0, env: rejectEnv >>> 0 }
      };
    },
    call_on_cleanup(fun: number, env: number): void {
      const call = pending(ctx('call_on_cleanup'), 'call_on_cleanup');
      if (call.cleanup) throw trap.contract('ic0.call_on_cleanup: cleanup already set');
      call.cleanup = { fun: fun >>> 0, env: env >>> 0 };
    },
    call_data_append(src: number, size: number): void {
      const call = pending(ctx('call_data_append'), 'call_data_append');
      const bytes = read(src, size);
      if (call.payloadSize + bytes.length > CALL_PAYLOAD_LIMIT) {
        throw trap.contract(`ic0.call_data_append: payload too large (${call.payloadSize + bytes.length} bytes)`);
      }
      call.payload.push(bytes);
      call.payloadSize += bytes.length;
    },
    call_cycles_add128(hi: bigint, lo: bigint): void {
      const c = ctx('call_cycles_add128');
      const call = pending(c, 'call_cycles_add128');
      const amount = u128(hi, lo);
      const liquid = host.cycleBalance() + c.cyclesAccepted - c.cyclesSpent;
      if (amount > liquid) throw trap.contract(`ic0.call_cycles_add128: insufficient cycles balance`);
      c.cyclesSpent += amount;
      call.cycles += amount;
    },
    call_with_best_effort_response(timeoutSeconds: number): void {
      const call = pending(ctx('call_with_best_effort_response'), 'call_with_best_effort_response');
      if (call.timeoutSeconds !== undefined) throw trap.contract('ic0.call_with_best_effort_response: timeout already set');
      call.timeoutSeconds = Math.min(timeoutSeconds >>> 0, 300);
    },
    call_perform(): number {
      const c = ctx('call_perform');
      const call = pending(c, 'call_perform');
      c.pendingCall = undefined;
      c.calls.push(call);
      return 0;
    },
    stable64_size(): bigint {
      ctx('stable64_size');
      return BigInt(host.stable.size);
    },
    stable64_grow(newPages: bigint): bigint {
      ctx('stable64_grow');
      return host.stable.grow(BigInt.asUintN(64, newPages));
    },
    // The two hot imports (see `heap`): plain numbers after one conversion each, no views for
    // small copies, the same checks in the same order as the spec's pseudo-code. Both are
    // available in every context, so only `current()`'s check is left of `ctx`.
    stable64_write(offset: bigint, src: bigint, size: bigint): void {
      current();
      const s = exactNumber(src);
      const n = exactNumber(size);
      const h = heap();
      if (s + n > h.length) throw trap.contract(`heap out of bounds: ${BigInt.asUintN(64, src)} + ${BigInt.asUintN(64, size)} > ${h.length}`);
      host.stable.writeFrom(h, s, n, exactNumber(offset));
    },
    stable64_read(dst: bigint, offset: bigint, size: bigint): void {
      current();
      const d = exactNumber(dst);
      const n = exactNumber(size);
      const h = heap();
      if (d + n > h.length) throw trap.contract(`heap out of bounds: ${BigInt.asUintN(64, dst)} + ${BigInt.asUintN(64, size)} > ${h.length}`);
      host.stable.readInto(h, d, exactNumber(offset), n);
      host.heapWritten(d, n);
    },
    certified_data_set(src: number, size: number): void {
      const c = ctx('certified_data_set');
      if (size >>> 0 > 32) throw trap.contract('ic0_certified_data_set failed because the passed data must be no larger than 32 bytes.');
      c.certifiedData = read(src, size);
    },
    data_certificate_present(): number {
      return ctx('data_certificate_present').opts.dataCertificate ? 1 : 0;
    },
    data_certificate_size(): number {
      const certificate = ctx('data_certificate_size').opts.dataCertificate;
      if (!certificate) throw trap.contract('ic0.data_certificate_size: no certificate present');
      return certificate.length;
    },
    data_certificate_copy(dst: number, offset: number, size: number): void {
      const certificate = ctx('data_certificate_copy').opts.dataCertificate;
      if (!certificate) throw trap.contract('ic0.data_certificate_copy: no certificate present');
      copyOut('ic0.data_certificate_copy', certificate, dst, offset, size);
    },
    time(): bigint {
      return ctx('time').opts.time;
    },
    global_timer_set(timestamp: bigint): bigint {
      const c = ctx('global_timer_set');
      const previous = c.timer ?? host.currentTimer();
      c.timer = BigInt.asUintN(64, timestamp);
      return previous;
    },
    performance_counter(type: number): bigint {
      const c = ctx('performance_counter');
      if (type === 0) return host.instructionsUsed();
      if (type === 1) return c.opts.callContextInstructions + host.instructionsUsed();
      throw trap.contract(`ic0.performance_counter: unknown counter type ${type}`);
    },
    is_controller(src: number, size: number): number {
      ctx('is_controller');
      const principal = read(src, size);
      if (principal.length > 29) throw trap.contract('ic0.is_controller: invalid principal');
      return host.isController(principal) ? 1 : 0;
    },
    in_replicated_execution(): number {
      return ctx('in_replicated_execution').replicated ? 1 : 0;
    },
    cost_call(methodNameSize: bigint, payloadSize: bigint, dst: number): void {
      ctx('cost_call');
      // The IC's fees on a 13-node subnet: 260k base for the call and its response, 1k per byte.
      write128(dst, 260_000n + 1_000n * (BigInt.asUintN(64, methodNameSize) + BigInt.asUintN(64, payloadSize)));
    },
    debug_print(src: number, size: number): void {
      const p = src >>> 0;
      const h = heap();
      const end = Math.min(h.length, p + (size >>> 0));
      host.debugPrint(decoder.decode(h.subarray(Math.min(p, end), end)));
    },
    trap(src: number, size: number): never {
      const p = src >>> 0;
      const h = heap();
      const end = Math.min(h.length, p + (size >>> 0));
      throw new CanisterTrap(ErrorCode.CanisterCalledTrap, decoder.decode(h.subarray(Math.min(p, end), end)));
    }
  };
  return charged(host, current, api);
}

/**
 * Wraps each import so that it first charges what the IC charges for it (wasm/system_api_costs.ts),
 * as the IC's linker does before the call runs.
 */
function charged(host: CanisterHost, current: () => ExecutionContext, api: Record<string, Function>): Record<string, Function> {
  const dirty = new WeakMap<ExecutionContext, Set<number>>();
  const out: Record<string, Function> = {};
  for (const [name, fn] of Object.entries(api)) {
    const fixed = SYSTEM_API_OVERHEAD[name] ?? 0n;
    const perByte = name !== 'debug_print' && bytesCharge(name, [0, 1, 1, 1]) !== 0n;
    if (name === 'stable64_write') {
      out[name] = (offset: bigint, src: bigint, size: bigint) => {
        let n = fixed + BigInt.asUintN(64, size);
        // A write past the memory's end traps (in `fn`) and dirties nothing; charging its pages
        // first would loop over up to 2^52 of them.
        const o = exactNumber(offset);
        const bytes = exactNumber(size);
        if (bytes > 0 && o + bytes <= host.stable.size * WASM_PAGE) {
          const c = current();
          let seen = dirty.get(c);
          if (!seen) dirty.set(c, (seen = new Set()));
          const [first, last] = stablePages(o, bytes);
          for (let p = first; p <= last; p++) {
            if (!seen.has(p)) {
              seen.add(p);
              n += DIRTY_PAGE_OVERHEAD;
            }
          }
        }
        host.charge(n);
        return fn(offset, src, size);
      };
    } else if (name === 'stable64_read') {
      out[name] = (dst: bigint, offset: bigint, size: bigint) => {
        host.charge(fixed + BigInt.asUintN(64, size));
        return fn(dst, offset, size);
      };
    } else if (perByte) {
      out[name] = (...args: unknown[]) => {
        host.charge(fixed + bytesCharge(name, args));
        return fn(...args);
      };
    } else if (fixed > 0n) {
      out[name] = (...args: unknown[]) => {
        host.charge(fixed);
        return fn(...args);
      };
    } else {
      out[name] = fn;
    }
  }
  return out;
}

function pending(c: ExecutionContext, name: string): OutgoingCall {
  if (!c.pendingCall) throw trap.contract(`ic0.${name}: no call is under construction (call ic0.call_new first)`);
  return c.pendingCall;
}

function contextName(kind: ApiContext): string {
  const names: Record<ApiContext, string> = {
    I: 'init',
    G: 'pre_upgrade',
    U: 'update',
    RQ: 'replicated query',
    NRQ: 'non-replicated query',
    CQ: 'composite query',
    Ry: 'reply callback',
    Rt: 'reject callback',
    C: 'cleanup',
    F: 'inspect message',
    T: 'system task'
  };
  return names[kind];
}
