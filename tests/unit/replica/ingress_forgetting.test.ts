// The state machine's ingress history: a completed call's status stays readable for five minutes
// after it completed (the IC's ingress history) and is forgotten at the first round after that,
// in the order calls completed, without any round scanning the whole history; an id forgotten and
// submitted again is kept for five minutes from its second completion.
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import type { Canister } from '../../../src/replica/canister.js';
import { StateMachine } from '../../../src/replica/state_machine.js';
import type { CanisterCall } from '../../../src/replica/types.js';

const MINUTE = 60_000_000_000n;
const HISTORY = 5n * MINUTE;
const controller = Uint8Array.from({ length: 29 }, (_, i) => (i === 28 ? 2 : 7));

function statusCall(machine: StateMachine): CanisterCall {
  const canister = machine.createCanister([controller], 1_000_000_000_000n) as Canister;
  const payload = new Uint8Array(IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: Principal.fromUint8Array(canister.id) }]));
  return { sender: controller, canisterId: new Uint8Array(0), method: 'canister_status', payload };
}

const id = (n: number) => new Uint8Array(32).fill(n);

describe('ingress history in the state machine', () => {
  it('forgets each completed call five minutes after it completed, oldest first', () => {
    const machine = new StateMachine({ metering: false, log: () => {} });
    const call = statusCall(machine);
    const start = machine.time();
    for (const n of [1, 2, 3]) expect(machine.awaitIngress(machine.submitIngress(call, id(n))).kind).toBe('reply');
    machine.setTime(start + 2n * MINUTE);
    for (const n of [4, 5]) machine.awaitIngress(machine.submitIngress(call, id(n)));
    const done = () => [1, 2, 3, 4, 5].filter((n) => machine.ingressStatus(id(n))?.kind === 'done');
    expect(done()).toEqual([1, 2, 3, 4, 5]);

    machine.setTime(start + HISTORY - 1n);
    machine.tick();
    expect(done()).toEqual([1, 2, 3, 4, 5]);
    machine.setTime(start + HISTORY + 10n);
    machine.tick();
    expect(done()).toEqual([4, 5]);
    expect(machine.ingressStatus(id(1))).toBeUndefined();

    // Forgotten, submitted again: it completes again, and its new completion sets its due time.
    machine.awaitIngress(machine.submitIngress(call, id(1)));
    const again = machine.time();
    machine.setTime(start + 2n * MINUTE + HISTORY + 10n);
    machine.tick();
    expect(done()).toEqual([1]);
    machine.setTime(again + HISTORY + 10n);
    machine.tick();
    expect(done()).toEqual([]);
  });

  it('keeps the last five minutes of a long run of calls, and nothing older', () => {
    const machine = new StateMachine({ metering: false, log: () => {} });
    const call = statusCall(machine);
    const start = machine.time();
    for (let n = 0; n < 1000; n++) {
      machine.setTime(start + BigInt(n) * 1_000_000_000n); // one call a second
      const messageId = new Uint8Array(32);
      new DataView(messageId.buffer).setUint32(0, n);
      machine.awaitIngress(machine.submitIngress(call, messageId));
    }
    // At 999 s, the calls of the last 300 s (and the one exactly at the limit) are kept.
    const kept = Array.from({ length: 1000 }, (_, n) => n).filter((n) => {
      const messageId = new Uint8Array(32);
      new DataView(messageId.buffer).setUint32(0, n);
      return machine.ingressStatus(messageId) !== undefined;
    });
    expect(kept).toEqual(Array.from({ length: 301 }, (_, i) => 699 + i));
  });
});
