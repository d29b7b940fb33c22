// Replica conformance: inter-canister calls and the management canister as seen from a canister.
// Callers across canisters, replies and rejects delivered to the caller, a trap after an await
// rolling back only the callback, cycles attached and refunded, raw_rand, ingress ordering.
import { type Actor, PocketIc } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  callFailure,
  CONFORMANCE_WASM,
  type ConformanceService,
  decodeOne,
  encodeArgs,
  fromCanister,
  idlFactory,
  type RawCallResult,
  StateType,
  type State,
  trapText
} from '../support/conformance.js';

let pic: PocketIc;
let aId: Principal;
let a: Actor<ConformanceService>;
let bId: Principal;
let b: Actor<ConformanceService>;

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  ({ canisterId: aId, actor: a } = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM }));
  ({ canisterId: bId, actor: b } = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM }));
});

afterAll(async () => {
  await pic?.tearDown();
});

function ok(result: RawCallResult): Uint8Array {
  if (!('Ok' in result)) {
    throw new Error(`expected Ok, got reject ${result.Err.reject_code}: ${result.Err.reject_message}`);
  }
  return result.Ok;
}

function err(result: RawCallResult): { reject_code: number; reject_message: string } {
  if (!('Err' in result)) {
    throw new Error('expected a reject, got a reply');
  }
  return result.Err;
}

const EMPTY_ARGS = encodeArgs([], []);

describe('calls between canisters', () => {
  it('the callee sees the calling canister as its caller', async () => {
    const reply = ok(await a.call_raw(bId, 'whoami', EMPTY_ARGS));
    expect(decodeOne<Principal>(IDL.Principal, reply).toText()).toBe(aId.toText());
  });

  it('a canister can call itself', async () => {
    const reply = ok(await a.call_raw(aId, 'whoami', EMPTY_ARGS));
    expect(decodeOne<Principal>(IDL.Principal, reply).toText()).toBe(aId.toText());
  });

  it("the callee's update commits and its reply reaches the caller", async () => {
    const reply = ok(await a.call_raw(bId, 'set_state', encodeArgs([IDL.Nat64], [17n])));
    expect(decodeOne<State>(StateType, reply).counter).toBe(17n);
    const state = await b.get_state();
    expect(state.counter).toBe(17n);
    expect(state.stored).toEqual([17n]);
  });

  it("a callee's msg_reject reaches the caller as reject code 4 with the message", async () => {
    const reject = err(await a.call_raw(bId, 'reject_with', encodeArgs([IDL.Text], ['go away'])));
    expect(reject).toEqual({ reject_code: 4, reject_message: 'go away' });
  });

  it("a callee's trap reaches the caller as reject code 5, and the callee's writes are rolled back", async () => {
    await b.set_state(18n);
    const reject = err(await a.call_raw(bId, 'write_then_trap', encodeArgs([IDL.Nat64], [99n])));
    expect(reject.reject_code).toBe(5);
    expect(reject.reject_message).toContain(fromCanister(bId) + trapText('write_then_trap(99)'));
    const state = await b.get_state();
    expect(state.counter).toBe(18n);
    expect(state.stored).toEqual([18n]);
  });

  it('a call to a method the callee lacks is rejected with code 5 and the IC0536 text', async () => {
    const reject = err(await a.call_raw(bId, 'no_such_method', EMPTY_ARGS));
    expect(reject.reject_code).toBe(5);
    expect(reject.reject_message).toContain(`Canister has no update method 'no_such_method'.`);
  });

  it('a call to a canister that does not exist is rejected with code 3', async () => {
    // The first canister id of the application subnet's range plus 1000: never created here.
    const missing = Principal.fromUint8Array(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xe0, 0x03, 0xe8, 0x01, 0x01]));
    const reject = err(await a.call_raw(missing, 'whoami', EMPTY_ARGS));
    expect(reject.reject_code).toBe(3);
  });

  it('a trap after an await rolls back only the callback: the writes before the await stay', async () => {
    await a.set_state(20n);
    const failure = await callFailure(a.write_call_then_trap(bId, 21n));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.rejectMessage).toContain(fromCanister(aId) + trapText('trap after await (21)'));
    const state = await a.get_state();
    expect(state.counter).toBe(21n);
    expect(state.stored).toEqual([21n]);
  });
});

describe('cycles', () => {
  it('cycles attached to a call are available to the callee; what it does not accept is refunded', async () => {
    const amount = 100_000_000_001n;
    const accepted = amount / 2n;
    const aBefore = BigInt(await pic.getCyclesBalance(aId));
    const bBefore = BigInt(await pic.getCyclesBalance(bId));
    const transfer = await a.send_cycles(bId, amount);
    expect(transfer).toEqual({ available: amount, accepted, refunded: amount - accepted });
    // A pays what B accepted (plus any execution fees); B gains it (minus any fees).
    const aPaid = aBefore - BigInt(await pic.getCyclesBalance(aId));
    const bGained = BigInt(await pic.getCyclesBalance(bId)) - bBefore;
    expect(aPaid).toBeGreaterThanOrEqual(accepted);
    expect(aPaid).toBeLessThan(amount);
    expect(bGained).toBeGreaterThan(0n);
    expect(bGained).toBeLessThanOrEqual(accepted);
  });

  it('an ingress call carries no cycles', async () => {
    expect(await a.accept_half()).toEqual({ available: 0n, accepted: 0n });
  });
});

describe('management canister from a canister', () => {
  const StatusArgs = IDL.Record({ canister_id: IDL.Principal });
  // A prefix of canister_status's reply record: Candid decoding skips the other fields.
  const StatusReply = IDL.Record({
    status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
    module_hash: IDL.Opt(IDL.Vec(IDL.Nat8))
  });

  it('canister_status from a canister that is not a controller is rejected; once it is, it answers', async () => {
    const management = Principal.fromText('aaaaa-aa');
    const arg = encodeArgs([StatusArgs], [{ canister_id: bId }]);
    const reject = err(await a.call_raw(management, 'canister_status', arg));
    expect(reject.reject_code).toBe(5);
    expect(reject.reject_message).toContain(bId.toText());

    await pic.updateCanisterSettings({ canisterId: bId, controllers: [Principal.anonymous(), aId] });
    const status = decodeOne<{ status: Record<string, null>; module_hash: [] | [Uint8Array] }>(
      StatusReply,
      ok(await a.call_raw(management, 'canister_status', arg))
    );
    expect(status.status).toEqual({ running: null });
    expect(status.module_hash).toHaveLength(1);
    expect(await b.is_controller(aId)).toBe(true);
  });

  it('raw_rand returns 32 fresh bytes each call', async () => {
    const first = await a.random();
    const second = await a.random();
    expect(first.length).toBe(32);
    expect(second.length).toBe(32);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
  });

  it('crypto.getRandomValues (seeded from raw_rand) differs between calls and between canisters', async () => {
    const first = await a.random_values();
    const second = await a.random_values();
    const other = await b.random_values();
    expect(first.length).toBe(16);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
    expect(Buffer.from(first).equals(Buffer.from(other))).toBe(false);
  });
});

describe('ingress', () => {
  it('a query between submit and await does not see the update; the await does', async () => {
    await a.set_state(30n);
    const deferred = pic.createDeferredActor<ConformanceService>(idlFactory, aId);
    const pending = await deferred.set_state(31n);
    expect((await a.get_state()).counter).toBe(30n);
    const done = await pending();
    expect(done.counter).toBe(31n);
    expect((await a.get_state()).counter).toBe(31n);
  });

  it('ingress messages to one canister execute in submission order, however they are awaited', async () => {
    const deferred = pic.createDeferredActor<ConformanceService>(idlFactory, aId);
    const first = await deferred.set_state(41n);
    const second = await deferred.set_state(42n);
    expect((await second()).counter).toBe(42n);
    expect((await first()).counter).toBe(41n);
    // The later submission ran last.
    expect((await a.get_state()).counter).toBe(42n);
  });
});
