// Replica conformance: the global timer as ic-cdk-timers (Azle setTimer) uses it. PocketIC time
// moves only with setTime/advanceTime, and timers run only in rounds (tick or an awaited call).
import { type Actor, PocketIc } from '@dfinity/pic';
import type { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONFORMANCE_WASM, type ConformanceService, idlFactory } from '../support/conformance.js';

const SECOND_NS = 1_000_000_000n;

let pic: PocketIc;
let canisterId: Principal;
let actor: Actor<ConformanceService>;

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  ({ canisterId, actor } = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM }));
  // Let Azle's own start-up timer (seeding from raw_rand) run before the tests count anything.
  await pic.tick(3);
});

afterAll(async () => {
  await pic?.tearDown();
});

describe('setTimer', () => {
  it('fires only after the time has passed and a round has run, exactly once', async () => {
    const { scheduled_at } = await actor.schedule(60);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(0);

    await pic.advanceTime(59_000);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(0);

    await pic.advanceTime(2_000);
    // Moving the clock runs no round: nothing has fired yet.
    expect((await actor.timer_state()).fired).toBe(0);

    await pic.tick(3);
    const fired = await actor.timer_state();
    expect(fired.fired).toBe(1);
    expect(fired.last_fired_at).toHaveLength(1);
    const firedAt = fired.last_fired_at[0] as bigint;
    expect(firedAt).toBeGreaterThanOrEqual(scheduled_at + 60n * SECOND_NS);
    expect(firedAt).toBeLessThan(scheduled_at + 62n * SECOND_NS);
    expect((await actor.get_state()).timer_fired).toBe(1n);

    await pic.advanceTime(120_000);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(1);
  });

  it('a zero-delay timer fires in the next rounds without moving the clock', async () => {
    const before = (await actor.timer_state()).fired;
    await actor.schedule(0);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(before + 1);
  });

  it('several timers fire in deadline order as time passes each one', async () => {
    const before = (await actor.timer_state()).fired;
    await actor.schedule(20);
    await actor.schedule(10);
    await pic.advanceTime(15_000);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(before + 1);
    await pic.advanceTime(10_000);
    await pic.tick(3);
    expect((await actor.timer_state()).fired).toBe(before + 2);
  });

  it('a timer that traps is rolled back, and later timers still run', async () => {
    const before = await actor.get_state();
    const firedBefore = (await actor.timer_state()).fired;
    await actor.schedule_trap(0);
    await pic.tick(3);
    expect((await actor.get_state()).timer_fired).toBe(before.timer_fired);
    expect((await actor.timer_state()).fired).toBe(firedBefore);
    await actor.schedule(0);
    await pic.tick(3);
    expect((await actor.get_state()).timer_fired).toBe(before.timer_fired + 1n);
  });

  it('an upgrade deactivates pending timers', async () => {
    const firedBefore = (await actor.get_state()).timer_fired;
    await actor.schedule(30);
    await pic.upgradeCanister({ canisterId, wasm: CONFORMANCE_WASM });
    await pic.advanceTime(60_000);
    await pic.tick(3);
    expect((await actor.get_state()).timer_fired).toBe(firedBefore);
    expect((await actor.timer_state()).fired).toBe(0);
  });
});
