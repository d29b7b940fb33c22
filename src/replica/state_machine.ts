// One replica instance (one application subnet): canisters, the ingress queue, inter-canister
// messages, call contexts and rounds (spec D.1, D.2, D.4). Execution is synchronous: a round
// runs everything runnable, including same-subnet message cascades, before it returns. Rounds
// follow the IC's scheduler (rounds.ts): one message at a time per canister, a long message one
// 2-billion-instruction slice per round, short ones sharing a round up to 7 billion.
import { randomBytes } from 'node:crypto';
import { Canister, InstructionLimit, type ExecutionOutcome, type ReplicaOptions } from './canister.js';
import {
  BadIngressError,
  IngressRejectedError,
  RejectCode,
  SettingTimeIntoPastError,
  UnknownCanisterError,
  rejects
} from './errors.js';
import { ManagementCanister, type ManagementResult } from './management_canister.js';
import {
  APP_SUBNET_RANGE_END,
  APP_SUBNET_RANGE_START,
  canisterIdFromU64,
  canisterIdToU64,
  principalKey,
  principalText
} from './principal.js';
import { bytesEqual, toHex as hex } from '../shared/bytes.js';
import { EXECUTION_LOG_LIMIT, ROUND_INSTRUCTIONS, SLICE_INSTRUCTIONS, slicesOf, type ExecutionRecord } from './rounds.js';
import type { Response } from './system_api.js';
import type { CallResult, CanisterCall, IngressStatus, PrincipalBytes, ReplicaInstance, Reject } from './types.js';

/** PocketIC's initial time: 2021-05-06T19:17:10Z. */
export const GENESIS_NS = 1_620_328_630_000_000_000n;
/** The IC's ingress message size limit (application subnets). */
export const MAX_INGRESS_BYTES = 2 * 1024 * 1024;
/** Rounds an ingress await may tick: a message at the 40-billion limit alone takes 20. */
const MAX_AWAIT_ROUNDS = 1_000;
/** Bound on messages a round executes, so a canister calling itself forever can't hang the replica. */
const MAX_MESSAGES_PER_ROUND = 100_000;

type Origin =
  | { kind: 'ingress'; messageId: string }
  | { kind: 'call'; callerCanister: PrincipalBytes; callbackId: number; cycles: bigint }
  | { kind: 'system' };

interface CallContext {
  id: number;
  canister: Canister;
  origin: Origin;
  caller: PrincipalBytes;
  responded: boolean;
  outstanding: number;
  instructions: bigint;
  /** A query method executed as a replicated call: its changes are never kept. */
  persist: boolean;
  /** Cycles the caller attached and no execution of this context has accepted yet (refunded with the response). */
  cyclesAvailable: bigint;
}

interface Callback {
  id: number;
  callContext: CallContext;
  reply: { fun: number; env: number };
  reject: { fun: number; env: number };
  cleanup?: { fun: number; env: number };
  cycles: bigint;
}

type Message =
  | { kind: 'request'; from: PrincipalBytes; callbackId: number; to: PrincipalBytes; method: string; payload: Uint8Array; cycles: bigint }
  | { kind: 'response'; callbackId: number; result: CallResult; refund: bigint };

interface IngressRecord {
  /** Dropped once executed: payloads are up to 2 MiB each. */
  call?: CanisterCall;
  status: IngressStatus;
}

/** How long completed ingress results stay queryable (the IC keeps them about 5 minutes). */
const INGRESS_HISTORY_NS = 5n * 60n * 1_000_000_000n;

export class StateMachine implements ReplicaInstance {
  private readonly canisters = new Map<string, Canister>();
  private nextCanister = APP_SUBNET_RANGE_START;
  private now = GENESIS_NS;
  private lastRound = 0n;
  private readonly ingress = new Map<string, IngressRecord>();
  /**
   * Completed ingress ids in the order they completed, which is the order they fall due for
   * forgetting (time never goes back): each round forgets from the front instead of scanning a
   * history of every call of the last five minutes.
   */
  private completed: Array<{ key: string; time: bigint }> = [];
  private completedHead = 0;
  private ingressQueue: string[] = [];
  private messages: Message[] = [];
  private nextId = 1;
  private readonly callContexts = new Map<number, CallContext>();
  private readonly callbacks = new Map<number, Callback>();
  /** stop_canister calls waiting for their canister's call contexts to close. */
  private pendingStops: Array<{ canister: Canister; answer: (r: CallResult) => void }> = [];
  private readonly management = new ManagementCanister({
    createCanister: (controllers, cycles, specified) => this.createCanister(controllers, cycles, specified),
    canister: (id) => this.canisters.get(principalKey(id)),
    deleteCanister: (id) => this.canisters.delete(principalKey(id)),
    hasOpenCallContexts: (c) => this.hasOpenCallContexts(c),
    time: () => this.now,
    random: (n) => this.options.random?.(n) ?? new Uint8Array(randomBytes(n))
  });
  private readonly subnet: Uint8Array;
  private changes = 0;
  private rounds = 0n;
  /** Instructions each canister executed in the current round. */
  private roundUsed = new Map<Canister, bigint>();
  /** Executions spanning rounds: their effects wait for the round of their last slice. */
  private readonly paused = new Map<Canister, { lastRound: bigint; remainder: bigint; record: ExecutionRecord; apply: () => void }>();
  private readonly log: ExecutionRecord[] = [];

  constructor(readonly options: ReplicaOptions) {
    this.subnet = options.subnetId ?? new Uint8Array(29).fill(0x5a).fill(0x02, 28);
  }

  /**
   * Counts what changed replicated state (executed messages, timers, management changes), so
   * persistence saves after changes only — not after queries or idle rounds.
   */
  changeCount(): number {
    return this.changes;
  }

  /**
   * A management canister call made directly by local tooling (not ingress): how `ic-upload
   * replica` installs a canister whose Wasm is larger than an ingress message may be.
   */
  managementCall(sender: PrincipalBytes, method: string, payload: Uint8Array): CallResult {
    const result = this.management.call(sender, method, payload, 0n);
    this.changes++;
    if (result.kind === 'stopping') throw new Error('stop_canister is not available as a direct call');
    return result;
  }

  // ---- ReplicaInstance ----

  time(): bigint {
    return this.now;
  }

  setTime(nanos: bigint): void {
    if (nanos < this.now) throw new SettingTimeIntoPastError(this.now, nanos);
    this.now = nanos;
  }

  submitIngress(call: CanisterCall, messageId?: Uint8Array): Uint8Array {
    const id = messageId ?? new Uint8Array(randomBytes(32));
    const key = hex(id);
    if (this.ingress.has(key)) return id;
    const size = call.payload.length + Buffer.byteLength(call.method) + call.sender.length + call.canisterId.length;
    if (size > MAX_INGRESS_BYTES) {
      throw new BadIngressError(
        `Request 0x${key} is too large. Message byte size ${size} is larger than the max allowed ${MAX_INGRESS_BYTES}.`
      );
    }
    const refused = this.ingressFilter(call);
    if (refused) throw new IngressRejectedError(refused);
    this.ingress.set(key, { call, status: { kind: 'processing' } });
    this.ingressQueue.push(key);
    return id;
  }

  awaitIngress(messageId: Uint8Array): CallResult {
    const record = this.ingress.get(hex(messageId));
    if (!record) throw new BadIngressError(`Unknown ingress message ${hex(messageId)}`);
    for (let round = 0; record.status.kind !== 'done'; round++) {
      if (round >= MAX_AWAIT_ROUNDS) {
        throw new BadIngressError(`Failed to answer to ingress ${hex(messageId)} after ${MAX_AWAIT_ROUNDS} rounds.`);
      }
      this.tick();
    }
    return record.status.result;
  }

  ingressStatus(messageId: Uint8Array): IngressStatus | undefined {
    return this.ingress.get(hex(messageId))?.status;
  }

  /**
   * Signs the certificate a query reads with `ic0.data_certificate_copy`; set by whoever holds
   * the root key (the HTTP interface). Without it queries see no certificate.
   */
  dataCertifier?: (canisterId: PrincipalBytes, certifiedData: Uint8Array, time: bigint) => Uint8Array;

  query(call: CanisterCall): CallResult {
    const canister = this.canisters.get(principalKey(call.canisterId));
    if (call.canisterId.length === 0) {
      return { kind: 'reject', ...rejects.methodNotFound('aaaaa-aa', 'query', call.method) };
    }
    if (!canister) return { kind: 'reject', ...rejects.canisterNotFound(principalText(call.canisterId)) };
    if (canister.isEmpty) return { kind: 'reject', ...rejects.noWasm(canister.text) };
    if (canister.status !== 'running') {
      return { kind: 'reject', ...(canister.status === 'stopped' ? rejects.stopped(canister.text) : rejects.stopping(canister.text)) };
    }
    const kind = canister.methodKind(call.method);
    if (kind !== 'query' && kind !== 'composite_query') {
      return { kind: 'reject', ...rejects.methodNotFound(canister.text, 'query', call.method) };
    }
    const out = canister.execute({
      kind: 'NRQ',
      entry: { export: `canister_${kind} ${call.method}` },
      ctx: {
        arg: call.payload,
        caller: call.sender,
        mayRespond: true,
        callContextInstructions: 0n,
        time: this.now,
        dataCertificate: this.dataCertifier?.(call.canisterId, canister.certifiedData, this.now)
      },
      limit: InstructionLimit.query,
      persist: false
    });
    if (out.trap) return { kind: 'reject', ...out.trap.toReject(canister.text) };
    if (out.ctx.calls.length > 0 && !out.ctx.response) {
      return { kind: 'reject', ...rejects.management('Composite query calls are not supported by the embedded replica.') };
    }
    return responseToResult(out.ctx.response, canister);
  }

  /** One round (a PocketIC `tick`). */
  tick(): void {
    this.now = this.now > this.lastRound ? this.now : this.lastRound + 1n;
    this.lastRound = this.now;
    this.rounds++;
    this.roundUsed = new Map();
    for (const [canister, p] of [...this.paused]) {
      if (p.lastRound > this.rounds) continue;
      this.paused.delete(canister);
      this.roundUsed.set(canister, p.remainder);
      p.record.completed = true;
      p.apply();
    }
    for (const canister of this.canisters.values()) if (this.runnable(canister)) this.runTimer(canister);
    const queue = this.ingressQueue;
    this.ingressQueue = [];
    let executed = 0;
    for (const key of queue) {
      const target = this.ingress.get(key)!.call!.canisterId;
      const canister = target.length === 0 ? undefined : this.canisters.get(principalKey(target));
      if (canister && !this.runnable(canister)) {
        this.ingressQueue.push(key); // its canister is busy or out of round budget: next round
        continue;
      }
      this.executeIngress(key);
      executed++;
    }
    const waiting: Message[] = [];
    for (let n = 0; this.messages.length > 0 && n < MAX_MESSAGES_PER_ROUND; n++) {
      const message = this.messages.shift()!;
      const canister = this.targetOf(message);
      if (canister && !this.runnable(canister)) waiting.push(message);
      else this.deliver(message);
    }
    this.messages = waiting.concat(this.messages);
    this.changes += executed;
    this.settleStops();
    this.forgetOldIngress();
  }

  /** Rounds executed so far. */
  round(): bigint {
    return this.rounds;
  }

  /** The executions of the last EXECUTION_LOG_LIMIT, oldest first: instructions and rounds each took. */
  executions(): readonly ExecutionRecord[] {
    return this.log;
  }

  /** True if `canister` may start an execution in this round. */
  private runnable(canister: Canister): boolean {
    return !this.paused.has(canister) && (this.roundUsed.get(canister) ?? 0n) < ROUND_INSTRUCTIONS;
  }

  /** The canister a message would execute on (undefined for the management canister or a missing one). */
  private targetOf(message: Message): Canister | undefined {
    if (message.kind === 'request') return message.to.length === 0 ? undefined : this.canisters.get(principalKey(message.to));
    return this.callbacks.get(message.callbackId)?.callContext.canister;
  }

  /**
   * Accounts an execution to the rounds and applies its effects now (one slice) or in the round
   * of its last slice. Returns nothing: effects go through `apply`.
   */
  private scheduled(canister: Canister, entry: string, instructions: bigint, apply: () => void): void {
    const slices = slicesOf(instructions);
    const record: ExecutionRecord = { canister: canister.text, entry, instructions, startRound: this.rounds, rounds: slices, completed: slices === 1n };
    this.log.push(record);
    if (this.log.length > EXECUTION_LOG_LIMIT) this.log.splice(0, this.log.length - EXECUTION_LOG_LIMIT);
    if (slices === 1n) {
      this.roundUsed.set(canister, (this.roundUsed.get(canister) ?? 0n) + instructions);
      apply();
      return;
    }
    this.roundUsed.set(canister, ROUND_INSTRUCTIONS);
    this.paused.set(canister, {
      lastRound: this.rounds + slices - 1n,
      remainder: instructions - (slices - 1n) * SLICE_INSTRUCTIONS,
      record,
      apply
    });
  }

  /**
   * Finishes every paused execution now. Management calls (install, upgrade, stop …) act on a
   * canister synchronously; the IC would first abort or finish a paused execution too.
   */
  private completePaused(): void {
    for (const [canister, p] of [...this.paused]) {
      this.paused.delete(canister);
      p.record.completed = true;
      p.apply();
    }
  }

  private forgetOldIngress(): void {
    while (this.completedHead < this.completed.length) {
      const { key, time } = this.completed[this.completedHead]!;
      if (this.now - time <= INGRESS_HISTORY_NS) break;
      // An id forgotten and submitted again is queued again when it completes again.
      const record = this.ingress.get(key);
      if (record?.status.kind === 'done' && record.status.time === time) this.ingress.delete(key);
      this.completedHead++;
    }
    if (this.completedHead > 1024 && this.completedHead * 2 > this.completed.length) {
      this.completed = this.completed.slice(this.completedHead);
      this.completedHead = 0;
    }
  }

  /** True when nothing is queued or in flight: the state is a clean point to persist. */
  isQuiescent(): boolean {
    return this.ingressQueue.length === 0 && this.messages.length === 0 && this.callContexts.size === 0 && this.paused.size === 0;
  }

  /** What persistence needs besides the canisters. */
  meta(): { time: bigint; nextCanister: bigint } {
    return { time: this.now, nextCanister: this.nextCanister };
  }

  /** Restores persisted state into a fresh machine. */
  restore(meta: { time: bigint; nextCanister: bigint }, canisters: Canister[]): void {
    this.now = meta.time;
    this.lastRound = meta.time;
    this.nextCanister = meta.nextCanister;
    for (const c of canisters) this.canisters.set(principalKey(c.id), c);
  }

  canisterExists(canisterId: PrincipalBytes): boolean {
    return this.canisters.has(principalKey(canisterId));
  }

  controllers(canisterId: PrincipalBytes): PrincipalBytes[] {
    return this.get(canisterId).controllers;
  }

  moduleHash(canisterId: PrincipalBytes): Uint8Array | undefined {
    return this.get(canisterId).moduleHash;
  }

  /** A custom section of the canister's module served through read_state (`/canister/<id>/metadata/<name>`). */
  canisterMetadata(canisterId: PrincipalBytes, name: string): { content: Uint8Array; private: boolean } | undefined {
    return this.canisterExists(canisterId) ? this.get(canisterId).metadataSection(name) : undefined;
  }

  certifiedData(canisterId: PrincipalBytes): Uint8Array {
    return this.get(canisterId).certifiedData;
  }

  cycles(canisterId: PrincipalBytes): bigint {
    return this.get(canisterId).cycles;
  }

  addCycles(canisterId: PrincipalBytes, amount: bigint): bigint {
    const canister = this.get(canisterId);
    canister.cycles += amount;
    this.changes++;
    return canister.cycles;
  }

  stableMemory(canisterId: PrincipalBytes): Uint8Array {
    return this.get(canisterId).stable.snapshot();
  }

  setStableMemory(canisterId: PrincipalBytes, bytes: Uint8Array): void {
    this.get(canisterId).stable.replace(bytes);
    this.changes++;
  }

  subnetId(): PrincipalBytes {
    return this.subnet;
  }

  canisterRange(): { start: PrincipalBytes; end: PrincipalBytes } {
    return { start: canisterIdFromU64(APP_SUBNET_RANGE_START), end: canisterIdFromU64(APP_SUBNET_RANGE_END) };
  }

  /** All canisters, for persistence. */
  allCanisters(): Canister[] {
    return [...this.canisters.values()];
  }

  // ---- canisters ----

  private get(id: PrincipalBytes): Canister {
    const canister = this.canisters.get(principalKey(id));
    if (!canister) throw new UnknownCanisterError(principalText(id));
    return canister;
  }

  createCanister(controllers: PrincipalBytes[], cycles: bigint, specifiedId?: PrincipalBytes): Canister | Reject {
    let id: PrincipalBytes;
    if (specifiedId) {
      const n = canisterIdToU64(specifiedId);
      if (n === undefined || this.canisters.has(principalKey(specifiedId))) {
        return rejects.management(`The specified canister id ${principalText(specifiedId)} is invalid or already in use.`);
      }
      id = specifiedId;
    } else {
      while (this.canisters.has(principalKey(canisterIdFromU64(this.nextCanister)))) this.nextCanister++;
      if (this.nextCanister > APP_SUBNET_RANGE_END) return rejects.management('The subnet has no canister ids left.');
      id = canisterIdFromU64(this.nextCanister++);
    }
    const canister = new Canister(id, controllers, cycles, this.options);
    this.canisters.set(principalKey(id), canister);
    return canister;
  }

  private hasOpenCallContexts(canister: Canister): boolean {
    for (const cc of this.callContexts.values()) if (cc.canister === canister) return true;
    return false;
  }

  // ---- ingress ----

  /** Checks made before an ingress message is accepted (the IC's ingress filter). */
  private ingressFilter(call: CanisterCall): Reject | undefined {
    if (call.canisterId.length === 0) {
      if (!this.management.acceptsIngress(call.method)) {
        return rejects.management(`Only canisters can call ic00 method ${call.method}`);
      }
      return undefined;
    }
    const canister = this.canisters.get(principalKey(call.canisterId));
    if (!canister) return rejects.canisterNotFound(principalText(call.canisterId));
    if (canister.isEmpty) return rejects.noWasm(canister.text);
    if (canister.status === 'stopped') return rejects.stopped(canister.text);
    if (canister.status === 'stopping') return rejects.stopping(canister.text);
    if (canister.methodKind(call.method) === 'update' && canister.hasExport('canister_inspect_message')) {
      const out = canister.execute({
        kind: 'F',
        entry: { export: 'canister_inspect_message' },
        ctx: { arg: call.payload, caller: call.sender, methodName: call.method, mayRespond: false, callContextInstructions: 0n, time: this.now },
        limit: InstructionLimit.inspect,
        persist: false
      });
      if (out.trap) return out.trap.toReject(canister.text);
      if (!out.ctx.accepted) return rejects.rejectedMessage(canister.text);
    }
    return undefined;
  }

  private executeIngress(key: string): void {
    const record = this.ingress.get(key)!;
    const call = record.call!;
    record.call = undefined;
    const origin: Origin = { kind: 'ingress', messageId: key };
    if (call.canisterId.length === 0) {
      this.completePaused();
      this.answerManagement(this.management.call(call.sender, call.method, call.payload, 0n), (r) => this.completeIngress(key, r));
      return;
    }
    this.deliverCall(call.canisterId, call.sender, call.method, call.payload, 0n, origin);
  }

  private completeIngress(key: string, result: CallResult): void {
    const record = this.ingress.get(key);
    if (record && record.status.kind === 'processing') {
      record.status = { kind: 'done', result, time: this.now };
      this.completed.push({ key, time: this.now });
    }
  }

  private answerManagement(result: ManagementResult, answer: (r: CallResult) => void): void {
    if (result.kind === 'stopping') this.pendingStops.push({ canister: result.canister, answer });
    else answer(result);
  }

  private settleStops(): void {
    this.pendingStops = this.pendingStops.filter(({ canister, answer }) => {
      if (canister.status !== 'stopping') {
        answer(
          canister.status === 'stopped'
            ? { kind: 'reply', bytes: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]) }
            : { kind: 'reject', ...rejects.management(`Canister ${canister.text} was started before it stopped.`) }
        );
        return false;
      }
      if (this.hasOpenCallContexts(canister)) return true;
      canister.status = 'stopped';
      answer({ kind: 'reply', bytes: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]) });
      return false;
    });
  }

  // ---- calls and responses ----

  /** Executes a call (ingress or inter-canister request) on a canister, opening a call context. */
  private deliverCall(to: PrincipalBytes, caller: PrincipalBytes, method: string, payload: Uint8Array, cycles: bigint, origin: Origin): void {
    const canister = this.canisters.get(principalKey(to));
    const refuse = (r: Reject) => this.respond({ origin, responded: false } as CallContext, { kind: 'reject', ...r }, cycles);
    if (!canister) return refuse(rejects.canisterNotFound(principalText(to)));
    if (canister.isEmpty) return refuse(rejects.noWasm(canister.text));
    if (canister.status === 'stopped') return refuse(rejects.stopped(canister.text));
    if (canister.status === 'stopping') return refuse(rejects.stopping(canister.text));
    const kind = canister.methodKind(method);
    if (!kind) return refuse(rejects.methodNotFound(canister.text, 'update', method));
    const cc: CallContext = {
      id: this.nextId++,
      canister,
      origin,
      caller,
      responded: false,
      outstanding: 0,
      instructions: 0n,
      persist: kind === 'update',
      cyclesAvailable: cycles
    };
    this.callContexts.set(cc.id, cc);
    const out = canister.execute({
      kind: kind === 'update' ? 'U' : 'RQ',
      entry: { export: `canister_${kind} ${method}` },
      ctx: { arg: payload, caller, mayRespond: true, cyclesAvailable: cycles, callContextInstructions: 0n, time: this.now },
      limit: kind === 'update' ? InstructionLimit.update : InstructionLimit.query,
      persist: cc.persist
    });
    this.scheduled(canister, `canister_${kind} ${method}`, out.instructions, () => this.afterExecution(cc, out));
  }

  private deliver(message: Message): void {
    this.changes++;
    if (message.kind === 'request') {
      const origin: Origin = { kind: 'call', callerCanister: message.from, callbackId: message.callbackId, cycles: message.cycles };
      if (message.to.length === 0) {
        this.completePaused();
        const result = this.management.call(message.from, message.method, message.payload, message.cycles);
        // The management canister keeps cycles only where the method takes them.
        const keeps = (r: CallResult) => r.kind === 'reply' && (message.method === 'create_canister' || message.method === 'deposit_cycles');
        this.answerManagement(result, (r) => this.respond({ origin, responded: false } as CallContext, r, keeps(r) ? 0n : message.cycles));
        return;
      }
      this.deliverCall(message.to, message.from, message.method, message.payload, message.cycles, origin);
      return;
    }
    this.deliverResponse(message);
  }

  private deliverResponse(message: Extract<Message, { kind: 'response' }>): void {
    const cb = this.callbacks.get(message.callbackId);
    if (!cb) return;
    this.callbacks.delete(cb.id);
    const cc = cb.callContext;
    cc.outstanding--;
    const canister = cc.canister;
    if (canister.isEmpty || !this.canisters.has(principalKey(canister.id))) {
      this.closeIfDone(cc);
      return;
    }
    // The IC credits the refund before the callback runs, whatever the callback then does.
    canister.cycles += message.refund;
    const result = message.result;
    const isReply = result.kind === 'reply';
    const out = canister.execute({
      kind: isReply ? 'Ry' : 'Rt',
      entry: { table: isReply ? cb.reply.fun : cb.reject.fun, env: isReply ? cb.reply.env : cb.reject.env },
      ctx: {
        arg: isReply ? result.bytes : undefined,
        caller: cc.caller,
        rejectCode: isReply ? 0 : result.rejectCode,
        rejectMessage: isReply ? undefined : result.message,
        mayRespond: !cc.responded,
        cyclesAvailable: cc.cyclesAvailable,
        cyclesRefunded: message.refund,
        callContextInstructions: cc.instructions,
        time: this.now
      },
      limit: InstructionLimit.update,
      persist: cc.persist
    });
    let cleanupInstructions = 0n;
    if (out.trap && cb.cleanup) {
      cleanupInstructions = canister.execute({
        kind: 'C',
        entry: { table: cb.cleanup.fun, env: cb.cleanup.env },
        ctx: { caller: cc.caller, rejectCode: isReply ? 0 : result.rejectCode, mayRespond: false, callContextInstructions: cc.instructions, time: this.now },
        limit: InstructionLimit.update,
        persist: cc.persist
      }).instructions;
    }
    this.scheduled(canister, 'callback', out.instructions + cleanupInstructions, () => this.afterExecution(cc, out));
  }

  /** Applies an execution's outcome to its call context: outgoing calls, response, closing. */
  private afterExecution(cc: CallContext, out: ExecutionOutcome): void {
    cc.instructions += out.instructions;
    if (out.trap) {
      if (!cc.responded && cc.outstanding === 0) {
        this.respond(cc, { kind: 'reject', ...out.trap.toReject(cc.canister.text) }, cc.cyclesAvailable);
      }
      this.closeIfDone(cc);
      return;
    }
    for (const call of out.ctx.calls) {
      const cb: Callback = { id: this.nextId++, callContext: cc, reply: call.reply, reject: call.reject, cleanup: call.cleanup, cycles: call.cycles };
      this.callbacks.set(cb.id, cb);
      cc.outstanding++;
      this.messages.push({
        kind: 'request',
        from: cc.canister.id,
        callbackId: cb.id,
        to: call.callee,
        method: call.method,
        payload: new Uint8Array(Buffer.concat(call.payload)),
        cycles: call.cycles
      });
    }
    if (cc.persist) cc.cyclesAvailable -= out.ctx.cyclesAccepted;
    if (out.ctx.response) {
      this.respond(cc, responseToResult(out.ctx.response, cc.canister), cc.cyclesAvailable);
    }
    this.closeIfDone(cc);
  }

  private closeIfDone(cc: CallContext): void {
    if (cc.outstanding > 0) return;
    if (!cc.responded && cc.origin.kind !== 'system') {
      this.respond(cc, { kind: 'reject', ...rejects.didNotReply(cc.canister.text) }, cc.cyclesAvailable);
    }
    this.callContexts.delete(cc.id);
  }

  private respond(cc: CallContext, result: CallResult, refund: bigint): void {
    if (cc.responded) return;
    cc.responded = true;
    const origin = cc.origin;
    if (origin.kind === 'ingress') this.completeIngress(origin.messageId, result);
    else if (origin.kind === 'call') this.messages.push({ kind: 'response', callbackId: origin.callbackId, result, refund });
  }

  // ---- timers ----

  private runTimer(canister: Canister): void {
    if (canister.isEmpty || canister.status !== 'running') return;
    if (canister.globalTimer === 0n || canister.globalTimer > this.now) return;
    canister.globalTimer = 0n;
    this.changes++;
    if (!canister.hasExport('canister_global_timer')) return;
    const cc: CallContext = {
      id: this.nextId++,
      canister,
      origin: { kind: 'system' },
      caller: new Uint8Array(0),
      responded: true,
      outstanding: 0,
      instructions: 0n,
      persist: true,
      cyclesAvailable: 0n
    };
    this.callContexts.set(cc.id, cc);
    const out = canister.execute({
      kind: 'T',
      entry: { export: 'canister_global_timer' },
      ctx: { caller: new Uint8Array(0), mayRespond: false, callContextInstructions: 0n, time: this.now },
      limit: InstructionLimit.update,
      persist: true
    });
    this.scheduled(canister, 'canister_global_timer', out.instructions, () => this.afterExecution(cc, out));
  }
}

function responseToResult(response: Response | undefined, canister: Canister): CallResult {
  if (!response) return { kind: 'reject', ...rejects.didNotReply(canister.text) };
  if (response.kind === 'reply') return { kind: 'reply', bytes: response.bytes };
  return { kind: 'reject', rejectCode: RejectCode.CANISTER_REJECT, errorCode: 406, message: response.message };
}

