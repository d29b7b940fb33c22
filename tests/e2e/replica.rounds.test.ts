// Rounds as the IC runs them (src/replica/rounds.ts): a message over 2 billion instructions runs
// one slice per round, so a long update spans several PocketIC ticks; nothing else runs on its
// canister meanwhile; short messages share a round up to 7 billion instructions. Checked through
// pic-js (deferred calls, ticks, ic0.time, which moves 1 ns per round here) and against the
// replica's own record of each execution, so this suite runs an in-process replica.
import { PocketIc } from '@dfinity/pic';
import type { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PocketIcRestServer } from '../../src/replica/pocketic/server.js';
import { ROUND_INSTRUCTIONS, SLICE_INSTRUCTIONS, slicesOf, type ExecutionRecord } from '../../src/replica/rounds.js';
import type { StateMachine } from '../../src/replica/state_machine.js';
import { CONFORMANCE_WASM, type ConformanceService, idlFactory } from '../support/conformance.js';

let server: PocketIcRestServer;
let pic: PocketIc;
let machine: StateMachine;
let canisterId: Principal;
let perIteration = 0;

const records = (method: string, from: number) =>
  machine.executions().slice(from).filter((r: ExecutionRecord) => r.entry === `canister_update ${method}`);

/** Iterations of the conformance canister's work loop that cost about `instructions`. */
const iterations = (instructions: bigint) => Math.round(Number(instructions) / perIteration);

beforeAll(async () => {
  server = new PocketIcRestServer({ metering: true });
  pic = await PocketIc.create(`http://127.0.0.1:${await server.listen()}`, { processingTimeoutMs: 600_000 });
  machine = server.machine(0)!;
  const fixture = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM });
  canisterId = fixture.canisterId;
  const a = await fixture.actor.instruction_count_of(1_000_000);
  const b = await fixture.actor.instruction_count_of(3_000_000);
  perIteration = Number(b - a) / 2_000_000;
});

afterAll(async () => {
  await pic?.tearDown();
  await server?.close();
});

describe('rounds', () => {
  it('a long update spans several ticks, and its canister runs nothing else meanwhile', async () => {
    const deferred = pic.createDeferredActor<ConformanceService>(idlFactory, canisterId);
    const from = machine.executions().length;
    const long = await deferred.time_twice(iterations(5n * SLICE_INSTRUCTIONS + SLICE_INSTRUCTIONS / 2n));
    const short = await deferred.now_update();
    const [record] = records('time_twice', from);
    expect(record).toBeUndefined(); // submitted, not yet executed: no round has run
    await pic.tick();
    const [started] = records('time_twice', from);
    expect(started.rounds).toBe(slicesOf(started.instructions));
    expect(started.rounds).toBe(6n);
    for (let tick = 2n; tick <= started.rounds; tick++) {
      expect(started.completed).toBe(false);
      expect(records('now_update', from)).toEqual([]); // the canister is busy
      await pic.tick();
    }
    expect(started.completed).toBe(true);
    const [after] = records('now_update', from);
    expect(after.startRound).toBe(started.startRound + started.rounds - 1n);
    const { first } = await long();
    // ic0.time moves one nanosecond per round here: the short update ran 5 rounds later.
    expect((await short()) - first).toBe(started.rounds - 1n);
  });

  it('short messages share a round up to the per-round limit', async () => {
    const deferred = pic.createDeferredActor<ConformanceService>(idlFactory, canisterId);
    const from = machine.executions().length;
    const each = (SLICE_INSTRUCTIONS * 3n) / 4n; // 1.5 billion: one slice each
    const pending = [];
    for (let i = 0; i < 7; i++) pending.push(await deferred.instruction_count_of(iterations(each)));
    await pic.tick();
    const first = records('instruction_count_of', from);
    // Messages start while the round has used less than 7 billion: 0, 1.5, 3, 4.5, 6 billion.
    expect(first.length).toBe(Number((ROUND_INSTRUCTIONS + each - 1n) / each));
    expect(first.every((r) => r.rounds === 1n && r.startRound === first[0].startRound)).toBe(true);
    await pic.tick();
    const all = records('instruction_count_of', from);
    expect(all.length).toBe(7);
    expect(all.slice(first.length).every((r) => r.startRound === first[0].startRound + 1n)).toBe(true);
    for (const p of pending) expect(await p()).toBeGreaterThan(0n);
  });
});

describe('System API charges', () => {
  it('charges a reply 50 instructions per byte and a received argument 1 per byte, beyond the Wasm executed', async () => {
    const actor = pic.createActor<ConformanceService>(idlFactory, canisterId);
    const instructionsOf = async (run: () => Promise<unknown>, method: string) => {
      const from = machine.executions().length;
      await run();
      return records(method, from)[0].instructions;
    };
    // big_reply builds its n-byte reply with one native fill: its Wasm cost hardly depends on n.
    const reply0 = await instructionsOf(() => actor.big_reply(0), 'big_reply');
    const reply1M = await instructionsOf(() => actor.big_reply(1_000_000), 'big_reply');
    expect(reply1M - reply0).toBeGreaterThanOrEqual(50n * 1_000_000n);
    expect(reply1M - reply0).toBeLessThan(60n * 1_000_000n);
    const arg0 = await instructionsOf(() => actor.arg_len(new Uint8Array(0)), 'arg_len');
    const arg1M = await instructionsOf(() => actor.arg_len(new Uint8Array(1_000_000)), 'arg_len');
    expect(arg1M - arg0).toBeGreaterThanOrEqual(1_000_000n);
  });
});
