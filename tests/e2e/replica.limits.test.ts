// Replica conformance: the IC's resource limits. Instruction limits per update and per query
// (IC0522, state rolled back), the 2 MiB ingress limit, and the reply size limits.
import { type Actor, PocketIc } from '@dfinity/pic';
import type { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  callFailure,
  CONFORMANCE_WASM,
  type ConformanceService,
  fromCanister,
  idlFactory,
  instructionLimitText,
  MAX_INGRESS_BYTES,
  MAX_QUERY_REPLY_BYTES,
  MAX_REPLICATED_REPLY_BYTES,
  QUERY_INSTRUCTION_LIMIT,
  thrownError,
  UPDATE_INSTRUCTION_LIMIT
} from '../support/conformance.js';

let pic: PocketIc;
let canisterId: Principal;
let actor: Actor<ConformanceService>;

beforeAll(async () => {
  // Running 40 billion instructions takes a while on any replica: allow it per request.
  pic = await PocketIc.create(inject('PIC_URL'), { processingTimeoutMs: 280_000 });
  ({ canisterId, actor } = await pic.setupCanister<ConformanceService>({ idlFactory, wasm: CONFORMANCE_WASM }));
});

afterAll(async () => {
  await pic?.tearDown();
});

// The canister replies with one msg_reply_data_append of a Candid blob: 9 header bytes, the
// length as a 4-byte LEB128 (for these sizes), then n bytes.
function replyTooLarge(n: number, limit: number): string {
  return `ic0.msg_reply_data_append: application payload size (${n + 13}) cannot be larger than ${limit}`;
}

describe('instruction limits', () => {
  it('a runaway update fails with IC0522 at 40 billion instructions and changes nothing', async () => {
    await actor.set_state(7n);
    const failure = await callFailure(actor.spin());
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(522);
    expect(failure.certified).toBe(true);
    expect(failure.rejectMessage.startsWith(fromCanister(canisterId) + instructionLimitText(UPDATE_INSTRUCTION_LIMIT))).toBe(
      true
    );
    const state = await actor.get_state();
    expect(state.counter).toBe(7n);
    expect(state.stored).toEqual([7n]);
    // ...and the canister keeps working.
    expect((await actor.set_state(8n)).counter).toBe(8n);
  });

  it('a runaway query fails with IC0522 at 5 billion instructions', async () => {
    const failure = await callFailure(actor.spin_query());
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(522);
    expect(failure.rejectMessage.startsWith(fromCanister(canisterId) + instructionLimitText(QUERY_INSTRUCTION_LIMIT))).toBe(
      true
    );
    expect((await actor.get_state()).counter).toBe(8n);
  });
});

describe('ingress size', () => {
  it('accepts an argument just under 2 MiB', async () => {
    const size = 2_000_000;
    expect(size).toBeLessThan(MAX_INGRESS_BYTES);
    expect(await actor.arg_len(new Uint8Array(size).fill(7))).toBe(BigInt(size));
  });

  it('refuses a 2.1 MB ingress message before it reaches the canister', async () => {
    await actor.set_state(9n);
    const error = await thrownError(actor.arg_len(new Uint8Array(2_100_000).fill(7)));
    // PocketIC reports the IC's ingress validation error: "Request 0x… is too large. Message byte
    // size N is larger than the max allowed 2097152."
    expect(error.message).toMatch(/is too large\. Message byte size \d+ is larger than the max allowed 2097152\./);
    expect((await actor.get_state()).counter).toBe(9n);
  });
});

describe('reply size', () => {
  it('an update may reply with 2,000,000 bytes', async () => {
    const reply = await actor.big_reply(2_000_000);
    expect(reply.length).toBe(2_000_000);
  });

  it('an update reply over 2 MiB is a contract violation (IC0504)', async () => {
    const n = MAX_REPLICATED_REPLY_BYTES + 100_000;
    const failure = await callFailure(actor.big_reply(n));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(504);
    expect(failure.rejectMessage).toContain(
      `${fromCanister(canisterId)}Canister violated contract: ${replyTooLarge(n, MAX_REPLICATED_REPLY_BYTES)}`
    );
  });

  it('a query may reply with up to 3 MiB but not more', async () => {
    const reply = await actor.big_reply_query(3_000_000);
    expect(reply.length).toBe(3_000_000);
    const n = MAX_QUERY_REPLY_BYTES + 100_000;
    const failure = await callFailure(actor.big_reply_query(n));
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(504);
    expect(failure.rejectMessage).toContain(
      `${fromCanister(canisterId)}Canister violated contract: ${replyTooLarge(n, MAX_QUERY_REPLY_BYTES)}`
    );
  });
});
