// A small in-memory ReplicaInstance for testing the IC HTTP interface without Wasm. One canister
// with raw-bytes methods; every execution is counted so tests can prove a refused request never
// ran. Candid-shaped where it matters: `echo` replies with its argument (so `(text) -> (text)`
// works through an agent-js Actor) and `whoami` replies `(principal)` with the caller.
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import type { CallResult, CanisterCall, IngressStatus, PrincipalBytes, ReplicaInstance } from '../../src/replica/types.js';

/** What the real replica throws for rejects at submission (types.ts: IngressRejectedError). */
export class FakeIngressRejectedError extends Error {
  constructor(
    readonly rejectCode: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'IngressRejectedError';
  }
}

export const FAKE_CANISTER_ID = Principal.fromHex('00000000001000010101');
const RANGE_START = Principal.fromHex('00000000001000000101');
const RANGE_END = Principal.fromHex('00000000001fffff0101');

export interface Execution {
  kind: 'update' | 'query';
  method: string;
  sender: Principal;
  payload: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class FakeReplica implements ReplicaInstance {
  readonly executions: Execution[] = [];
  /** Added to the wall clock: lets a test put the replica's clock out of step with the client's. */
  clockOffsetNanos = 0n;
  #certifiedData = new Uint8Array(0);
  readonly #ingress = new Map<string, { call: CanisterCall; status: IngressStatus }>();
  #counter = 0;

  time(): bigint {
    return BigInt(Date.now()) * 1_000_000n + this.clockOffsetNanos;
  }
  setTime(nanos: bigint): void {
    this.clockOffsetNanos = nanos - BigInt(Date.now()) * 1_000_000n;
  }

  submitIngress(call: CanisterCall, messageId?: Uint8Array): Uint8Array {
    if (!this.canisterExists(call.canisterId)) {
      throw new FakeIngressRejectedError(3, 301, `Canister ${Principal.fromUint8Array(call.canisterId).toText()} not found`);
    }
    if (call.method === 'refused_by_inspect') {
      throw new FakeIngressRejectedError(4, 406, `Error from Canister ${FAKE_CANISTER_ID.toText()}: Canister rejected the message`);
    }
    const id = messageId ?? Uint8Array.of(++this.#counter);
    this.#ingress.set(hex(id), { call, status: { kind: 'processing' } });
    return id;
  }

  awaitIngress(messageId: Uint8Array): CallResult {
    const entry = this.#ingress.get(hex(messageId));
    if (!entry) throw new Error('unknown message');
    if (entry.call.method === 'never_completes') throw new Error('Failed to answer to ingress after 100 rounds.');
    if (entry.status.kind === 'processing') {
      entry.status = { kind: 'done', result: this.#execute('update', entry.call), time: this.time() };
    }
    return entry.status.result;
  }

  ingressStatus(messageId: Uint8Array): IngressStatus | undefined {
    return this.#ingress.get(hex(messageId))?.status;
  }

  query(call: CanisterCall): CallResult {
    if (!this.canisterExists(call.canisterId)) {
      return { kind: 'reject', rejectCode: 3, errorCode: 301, message: 'Canister not found' };
    }
    return this.#execute('query', call);
  }

  #execute(kind: 'update' | 'query', call: CanisterCall): CallResult {
    this.executions.push({ kind, method: call.method, sender: Principal.fromUint8Array(call.sender), payload: call.payload });
    switch (call.method) {
      case 'echo':
        return { kind: 'reply', bytes: call.payload };
      case 'whoami':
        return { kind: 'reply', bytes: new Uint8Array(IDL.encode([IDL.Principal], [Principal.fromUint8Array(call.sender)])) };
      case 'set_certified_data':
        this.#certifiedData = call.payload.slice(0, 32);
        return { kind: 'reply', bytes: new Uint8Array(IDL.encode([], [])) };
      case 'fail':
        return { kind: 'reject', rejectCode: 4, errorCode: 406, message: 'fail was called' };
      default:
        return { kind: 'reject', rejectCode: 5, errorCode: 302, message: `Canister has no method '${call.method}'` };
    }
  }

  tick(): void {}
  canisterExists(canisterId: PrincipalBytes): boolean {
    return hex(canisterId) === FAKE_CANISTER_ID.toHex().toLowerCase();
  }
  controllers(): PrincipalBytes[] {
    return [Principal.anonymous().toUint8Array()];
  }
  moduleHash(): Uint8Array | undefined {
    return new Uint8Array(32).fill(7);
  }
  certifiedData(): Uint8Array {
    return this.#certifiedData;
  }
  cycles(): bigint {
    return 0n;
  }
  addCycles(): bigint {
    return 0n;
  }
  stableMemory(): Uint8Array {
    return new Uint8Array(0);
  }
  setStableMemory(): void {}
  subnetId(): PrincipalBytes {
    return Principal.fromHex('01').toUint8Array();
  }
  canisterRange(): { start: PrincipalBytes; end: PrincipalBytes } {
    return { start: RANGE_START.toUint8Array(), end: RANGE_END.toUint8Array() };
  }
}
