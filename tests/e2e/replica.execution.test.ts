// Replica conformance: message execution. Atomic updates, queries that never persist, callers,
// explicit rejects and traps, missing methods, inspect_message, time, performance counters.
// Plain pic-js against tests/canisters/conformance; passes on a real PocketIC server too.
import { type Actor, createIdentity, PocketIc } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  callFailure,
  CONFORMANCE_DID,
  CONFORMANCE_WASM,
  type ConformanceService,
  fromCanister,
  idlFactory,
  type MisdeclaredService,
  misdeclaredIdlFactory,
  trapText
} from '../support/conformance.js';

// Far beyond the free space in Azle's heap and in a stable-structures bucket (8 MiB), so both memories must grow.
const GROWTH_BYTES = 24 * 1024 * 1024;

let pic: PocketIc;
let canisterId: Principal;
let actor: Actor<ConformanceService>;

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  ({ canisterId, actor } = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM }));
});

afterAll(async () => {
  await pic?.tearDown();
});

function misdeclared(): Actor<MisdeclaredService> {
  return pic.createActor<MisdeclaredService>(misdeclaredIdlFactory, canisterId);
}

describe('interface', () => {
  it('the hand-written idlFactory matches the .did Azle generated for the canister', () => {
    const generated = readFileSync(CONFORMANCE_DID, 'utf8')
      .split('\n')
      .filter((line) => /^\s+\w+: /.test(line))
      .map((line) => line.trim().replace(/;$/, '').replace(' -> ', ' → '))
      .sort();
    const service = idlFactory({ IDL }) as IDL.ServiceClass;
    const handWritten = service._fields
      .map(([name, func]) => `${name}: ${func.display()}`.trimEnd())
      .sort();
    expect(handWritten).toEqual(generated);
  });
});

describe('atomicity', () => {
  it('an update that returns commits its heap and stable writes', async () => {
    const written = await actor.set_state(11n);
    expect(written.counter).toBe(11n);
    expect(written.stored).toEqual([11n]);
    const read = await actor.get_state();
    expect(read.counter).toBe(11n);
    expect(read.stored).toEqual([11n]);
  });

  it('an update that traps leaves heap and stable memory unchanged', async () => {
    await actor.set_state(21n);
    const failure = await callFailure(actor.write_then_trap(999n));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.certified).toBe(true);
    expect(failure.rejectMessage.startsWith(fromCanister(canisterId) + trapText('write_then_trap(999)'))).toBe(true);
    expect(failure.rejectMessage).toContain('execution-errors#trapped-explicitly');
    const after = await actor.get_state();
    expect(after.counter).toBe(21n);
    expect(after.stored).toEqual([21n]);
  });

  it('a query sees its own writes, and they vanish when it returns', async () => {
    await actor.set_state(31n);
    const inside = await actor.write_in_query(777n);
    expect(inside.counter).toBe(777n);
    expect(inside.stored).toEqual([777n]);
    const after = await actor.get_state();
    expect(after.counter).toBe(31n);
    expect(after.stored).toEqual([31n]);
  });

  it('rollbacks after rollbacks and commits land on the last committed state (the heap snapshot is reused only while it is that state)', async () => {
    await actor.set_state(51n);
    expect((await actor.write_in_query(1n)).counter).toBe(1n);
    expect((await callFailure(actor.write_then_trap(2n))).errorCode).toBe(503);
    expect((await actor.write_in_query(3n)).counter).toBe(3n);
    expect((await actor.get_state()).counter).toBe(51n);
    // A commit after a rolled-back query: a trap next must not go back to before the commit.
    await actor.set_state(52n);
    expect((await callFailure(actor.write_then_trap(4n))).errorCode).toBe(503);
    const after = await actor.get_state();
    expect([after.counter, after.stored]).toEqual([52n, [52n]]);
  });

  it('a query method called as an update runs replicated and still persists nothing', async () => {
    await actor.set_state(41n);
    const inside = await misdeclared().write_in_query(888n);
    expect(inside.counter).toBe(888n);
    expect(inside.stored).toEqual([888n]);
    const after = await actor.get_state();
    expect(after.counter).toBe(41n);
    expect(after.stored).toEqual([41n]);
  });

  it('an update that grows the Wasm heap and then traps leaves the memory size unchanged', async () => {
    const before = (await pic.canisterStatus({ canisterId })).memorySize;
    const failure = await callFailure(actor.grow_heap_then_trap(GROWTH_BYTES));
    expect(failure.errorCode).toBe(503);
    expect((await pic.canisterStatus({ canisterId })).memorySize).toBe(before);
    // The same growth in an update that returns is kept, so the measure above can tell. (The
    // allocator may first use free space inside the heap, so the growth can be a bit smaller.)
    expect(await actor.grow_heap(GROWTH_BYTES)).toBe(BigInt(GROWTH_BYTES));
    expect((await pic.canisterStatus({ canisterId })).memorySize).toBeGreaterThan(before + BigInt(GROWTH_BYTES / 2));
  });

  it('an update that grows stable memory and then traps leaves the memory size unchanged', async () => {
    const before = (await pic.canisterStatus({ canisterId })).memorySize;
    const failure = await callFailure(actor.grow_stable_then_trap('a', GROWTH_BYTES));
    expect(failure.errorCode).toBe(503);
    expect((await pic.canisterStatus({ canisterId })).memorySize).toBe(before);
    expect(await actor.grow_stable('a', GROWTH_BYTES)).toBe(1n);
    expect((await pic.canisterStatus({ canisterId })).memorySize).toBeGreaterThan(before + BigInt(GROWTH_BYTES / 2));
  });

  it('in_replicated_execution is 0 for a query call and 1 for the same method called as an update', async () => {
    expect(await actor.replicated()).toBe(false);
    expect(await misdeclared().replicated()).toBe(true);
  });

  it('canister_version grows with a successful update and not with a query', async () => {
    const before = await actor.version();
    await actor.write_in_query(5n);
    expect(await actor.version()).toBe(before);
    await actor.set_state(51n);
    expect(await actor.version()).toBeGreaterThan(before);
  });
});

describe('callers', () => {
  it('an update sees each identity as its own caller', async () => {
    const alice = createIdentity('conformance-alice');
    const bob = createIdentity('conformance-bob');
    const asAlice = pic.createActor<ConformanceService>(idlFactory, canisterId);
    asAlice.setIdentity(alice);
    const asBob = pic.createActor<ConformanceService>(idlFactory, canisterId);
    asBob.setIdentity(bob);
    const seenAlice = await asAlice.whoami();
    const seenBob = await asBob.whoami();
    expect(seenAlice.toText()).toBe(alice.getPrincipal().toText());
    expect(seenBob.toText()).toBe(bob.getPrincipal().toText());
    expect(seenAlice.toText()).not.toBe(seenBob.toText());
    // Self-authenticating ids: 29 bytes ending in 0x02.
    const raw = seenAlice.toUint8Array();
    expect(raw.length).toBe(29);
    expect(raw[28]).toBe(0x02);
  });

  it('a query sees the identity too', async () => {
    const carol = createIdentity('conformance-carol');
    const asCarol = pic.createActor<ConformanceService>(idlFactory, canisterId);
    asCarol.setIdentity(carol);
    expect((await asCarol.whoami_query()).toText()).toBe(carol.getPrincipal().toText());
  });

  it('the anonymous caller is 2vxsx-fae', async () => {
    expect((await actor.whoami()).toText()).toBe('2vxsx-fae');
    expect((await actor.whoami_query()).toText()).toBe('2vxsx-fae');
  });

  it('canister_self is the canister id', async () => {
    expect((await actor.self_id()).toText()).toBe(canisterId.toText());
  });

  it('is_controller holds for the installer (anonymous) only', async () => {
    expect(await actor.is_controller(await actor.whoami())).toBe(true);
    expect(await actor.is_controller(createIdentity('conformance-dave').getPrincipal())).toBe(false);
  });
});

describe('rejects and traps', () => {
  it('msg_reject in an update is reject code 4, IC0406, with the message verbatim', async () => {
    const failure = await callFailure(actor.reject_with('no thanks'));
    expect(failure).toEqual({ rejectMessage: 'no thanks', rejectCode: 4, errorCode: 406, certified: true });
  });

  it('msg_reject in a query is reject code 4, IC0406, uncertified', async () => {
    const failure = await callFailure(actor.reject_with_query('not today'));
    expect(failure).toEqual({ rejectMessage: 'not today', rejectCode: 4, errorCode: 406, certified: false });
  });

  it('ic0.trap in an update is reject code 5, IC0503, with the trap message', async () => {
    const failure = await callFailure(actor.trap_with('boom'));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.rejectMessage.startsWith(`${fromCanister(canisterId)}${trapText('boom')}.`)).toBe(true);
  });

  it('ic0.trap in a query is IC0503 too', async () => {
    const failure = await callFailure(actor.trap_with_query('query boom'));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.certified).toBe(false);
    expect(failure.rejectMessage.startsWith(`${fromCanister(canisterId)}${trapText('query boom')}.`)).toBe(true);
  });

  it('the canister answers normally after rejects and traps', async () => {
    expect((await actor.set_state(61n)).counter).toBe(61n);
  });
});

describe('missing methods', () => {
  it('an update to a method the canister lacks is IC0536', async () => {
    const failure = await callFailure(misdeclared().no_such_method());
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(536);
    expect(failure.rejectMessage).toContain(`${fromCanister(canisterId)}Canister has no update method 'no_such_method'.`);
    expect(failure.rejectMessage).toContain('execution-errors#method-not-found');
  });

  it('a query to a method the canister lacks is IC0536', async () => {
    const failure = await callFailure(misdeclared().no_such_query());
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(536);
    expect(failure.rejectMessage).toContain(`Canister has no query method 'no_such_query'.`);
  });

  it('an update method called as a query is IC0536 and does not run', async () => {
    await actor.set_state(71n);
    const failure = await callFailure(misdeclared().set_state(5n));
    expect(failure.errorCode).toBe(536);
    expect(failure.rejectMessage).toContain(`Canister has no query method 'set_state'.`);
    expect((await actor.get_state()).counter).toBe(71n);
  });
});

describe('inspect_message', () => {
  it('a message inspect_message does not accept is rejected with IC0406 before it runs', async () => {
    const failure = await callFailure(actor.inspect_denied());
    expect(failure.rejectCode).toBe(4);
    expect(failure.errorCode).toBe(406);
    expect(failure.rejectMessage).toContain('Canister rejected the message');
  });

  it('a trap in inspect_message rejects the message with the trap', async () => {
    const failure = await callFailure(actor.inspect_trap());
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.rejectMessage).toContain(trapText('inspect_message refused'));
  });

  it('inspect_message does not run for queries', async () => {
    // whoami_query is accepted whatever inspect says; an update to an accepted method runs.
    expect((await actor.whoami_query()).toText()).toBe('2vxsx-fae');
    expect((await actor.whoami()).toText()).toBe('2vxsx-fae');
  });
});

describe('time', () => {
  it('ic0.time follows pic.setTime once a round has run', async () => {
    const target = new Date('2030-01-01T00:00:00Z').getTime();
    await pic.setTime(target);
    await pic.tick();
    const targetNs = BigInt(target) * 1_000_000n;
    // The round ran at exactly the time set; queries see the time of the last round.
    expect(await actor.now()).toBe(targetNs);
    expect(await pic.getTime()).toBe(target);
    // The update runs in a later round, whose time is bumped past the previous one.
    const inUpdate = await actor.now_update();
    expect(inUpdate).toBeGreaterThan(targetNs);
    expect(inUpdate).toBeLessThan(targetNs + 1_000_000_000n);
  });

  it('ic0.time is constant within one execution and grows between updates', async () => {
    const { first, second } = await actor.time_twice(50_000);
    expect(second).toBe(first);
    const later = await actor.now_update();
    expect(later).toBeGreaterThan(first);
  });

  it('setting the time into the past is refused', async () => {
    const now = await pic.getTime();
    await expect(pic.setTime(now - 60_000)).rejects.toThrow(/SettingTimeIntoPast/);
  });
});

describe('performance counter', () => {
  it('counter 0 grows within a message', async () => {
    const { before, after } = await actor.instruction_counts(20_000);
    expect(before).toBeGreaterThan(0n);
    expect(after).toBeGreaterThan(before);
  });

  it('instruction counts scale with the work done', async () => {
    const base = await actor.instruction_count_of(0);
    const single = (await actor.instruction_count_of(100_000)) - base;
    const double = (await actor.instruction_count_of(200_000)) - base;
    expect(single).toBeGreaterThan(100_000n);
    const ratio = Number(double) / Number(single);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.5);
  });

  it('queries count instructions too', async () => {
    const small = await actor.instruction_count_of_query(1_000);
    const large = await actor.instruction_count_of_query(100_000);
    expect(small).toBeGreaterThan(0n);
    expect(large).toBeGreaterThan(small);
  });

  it('counter 1 spans the call context across an await; counter 0 restarts in the callback', async () => {
    const work = 200_000;
    const alone = await actor.instruction_count_of(work);
    const { execution, call_context } = await actor.counts_across_await(work);
    expect(call_context).toBeGreaterThan(execution);
    // The first execution did the work, so the context counter includes it and the callback's does not.
    expect(call_context - execution).toBeGreaterThanOrEqual(alone);
    expect(execution).toBeLessThan(alone);
  });
});
