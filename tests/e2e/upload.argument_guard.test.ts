// The API layer's own argument check (src/backend/inspect.ts, called by every method before any
// Candid decoding) for what canister_inspect_message never sees: queries, and updates called by
// another canister. Cheap arguments that would make Azle's decoder burn a query's 5-billion or an
// update's 40-billion limit are rejected at a cost of millions of instructions, read from the
// replica's own metering. An in-process replica, so its execution records can be read.
import { PocketIc } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PocketIcRestServer } from '../../src/replica/pocketic/server.js';
import type { StateMachine } from '../../src/replica/state_machine.js';
import { principalKey } from '../../src/backend/platform.js';
import { CONFORMANCE_WASM, type ConformanceService, idlFactory as conformanceIdl } from '../support/conformance.js';
import { contractTypes } from '../../candid/ic_upload.js';
import { alice, setupUpload, type UploadCanister } from '../support/upload.js';

const t = contractTypes(IDL);
/** A GET with `headers` empty headers (2 bytes each). */
const request = (headers: number) => ({ method: 'GET', url: '/', headers: Array.from({ length: headers }, () => ['', '']), body: new Uint8Array(), certificate_version: [2] });
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const DIDL = [0x44, 0x49, 0x44, 0x4c];
/** A trailing `vec null` of 2^24 elements after the method's own arguments (22 bytes for abort). */
const VEC_NULL_2_24 = [0x80, 0x80, 0x80, 0x08];
const ABORT_VEC_NULL = bytes(DIDL, [0x01, 0x6d, 0x7f], [0x02, 0x78, 0x00], [1, 0, 0, 0, 0, 0, 0, 0], VEC_NULL_2_24);
/** stats() takes nothing; `(vec null)` of 2^24 elements: 12 bytes. */
const STATS_VEC_NULL = bytes(DIDL, [0x01, 0x6d, 0x7f], [0x01, 0x00], VEC_NULL_2_24);
/** get_asset(text) with a trailing `vec record { null; null }` of 2^24 elements (zero-sized too). */
const GET_ASSET_VEC_EMPTY_PAIRS = bytes(DIDL, [0x02, 0x6c, 0x02, 0x00, 0x7f, 0x01, 0x7f, 0x6d, 0x00], [0x02, 0x71, 0x01], [0x00], VEC_NULL_2_24);
/** A refusal costs about 0.2-0.3 million instructions (Azle's entry into JavaScript, the header read). */
const CHEAP = 5_000_000n;

let server: PocketIcRestServer;
let pic: PocketIc;
let machine: StateMachine;
let upload: UploadCanister;
let caller: ConformanceService;

const canisterOf = (id: Principal) => machine.allCanisters().find((c) => principalKey(c.id) === principalKey(id.toUint8Array()))!;

/** Instructions the ic_upload canister used during `run` (every execution, queries included). */
async function instructionsDuring(run: () => Promise<unknown>): Promise<bigint> {
  const before = canisterOf(upload.canisterId).metrics.instructions;
  await run().catch(() => undefined);
  return canisterOf(upload.canisterId).metrics.instructions - before;
}

const query = (method: string, arg: Uint8Array) => pic.queryCall({ canisterId: upload.canisterId, method, arg, sender: alice.getPrincipal() });

beforeAll(async () => {
  server = new PocketIcRestServer({ metering: true });
  pic = await PocketIc.create(`http://127.0.0.1:${await server.listen()}`, { processingTimeoutMs: 600_000 });
  machine = server.machine(0)!;
  upload = await setupUpload(pic);
  caller = (await pic.setupCanister<ConformanceService>({ idlFactory: conformanceIdl, wasm: CONFORMANCE_WASM })).actor;
  await pic.tick(2); // Azle's start-up timers
}, 120_000);

afterAll(async () => {
  await pic?.tearDown();
  await server?.close();
});

describe('queries (never inspected)', () => {
  it.each([
    ['stats', STATS_VEC_NULL, /zero-sized/],
    ['get_asset', GET_ASSET_VEC_EMPTY_PAIRS, /zero-sized/],
    ['upload_status', bytes(DIDL, [0x00], [0x01, 0x7c], [0x80, 0x80, 0x80, 0x80, 0x01]), /nat and int/],
    ['list_assets', bytes(DIDL, [0x01, 0x6d, 0x71], [0x01, 0x00], [0x80, 0x80, 0x04], new Array<number>(65_536).fill(0)), /bytes, list_assets takes at most/],
    ['http_request', new Uint8Array(IDL.encode([IDL.Vec(IDL.Record({}))], [[]])), /zero-sized/],
    // Well-formed but long: decoding would cost ≈ 0.4 and ≈ 3.4 billion instructions (measured).
    ['get_asset', new Uint8Array(IDL.encode([IDL.Text], ['x'.repeat(8_000)])), /get_asset takes at most/],
    ['http_request', new Uint8Array(IDL.encode([t.HttpRequest], [request(10_000)])), /http_request takes at most/]
  ])('%s refuses a costly argument before decoding it', async (method, arg, reason) => {
    let refusal: unknown;
    const used = await instructionsDuring(() => query(method, arg).catch((error: unknown) => (refusal = error)));
    expect(String(refusal)).toMatch(/refused the argument/);
    expect(String(refusal)).toMatch(reason);
    expect(used).toBeLessThan(CHEAP);
  });

  it('answers well-formed arguments as before', async () => {
    const reply = await query('stats', bytes(DIDL, [0x00, 0x00]));
    const served = await query('http_request', new Uint8Array(IDL.encode([t.HttpRequest], [request(20)])));
    expect(IDL.decode([IDL.Record({ status_code: IDL.Nat16 })], served)).toEqual([{ status_code: expect.any(Number) }]);
    expect(IDL.decode([IDL.Record({ open_uploads: IDL.Nat64 })], reply)).toEqual([{ open_uploads: 0n }]);
    expect(await upload.actor.list_assets_page([], 10)).toEqual({ assets: [], next: [] });
  });
});

describe('updates called by another canister (never inspected)', () => {
  it('rejects the 22-byte vec null argument cheaply, with a canister reject', async () => {
    const from = machine.executions().length;
    const answer = await caller.call_raw(upload.canisterId, 'abort', ABORT_VEC_NULL);
    expect(answer).toMatchObject({ Err: { reject_code: 4, reject_message: expect.stringMatching(/refused the argument of abort: vec of zero-sized elements/) } });
    const executions = machine.executions().slice(from).filter((r) => r.entry === 'canister_update abort');
    expect(executions).toHaveLength(1);
    expect(executions[0]!.instructions).toBeLessThan(CHEAP);
  });

  it('rejects a begin whose record carries a field it does not have, a vec of nat16 (skipped element by element)', async () => {
    // record { 0: vec nat16 } with 1,000 elements: decoding would skip each one in JavaScript.
    const arg = bytes(DIDL, [0x02, 0x6d, 0x7a, 0x6c, 0x01, 0x00, 0x00], [0x01, 0x01], [0xe8, 0x07], new Array<number>(2_000).fill(0));
    const answer = await caller.call_raw(upload.canisterId, 'begin', arg);
    expect(answer).toMatchObject({ Err: { reject_code: 4, reject_message: expect.stringMatching(/begin takes no vec but of bytes/) } });
  });

  it('answers a well-formed call from another canister', async () => {
    const answer = await caller.call_raw(upload.canisterId, 'abort', new Uint8Array(IDL.encode([IDL.Nat64], [7n])));
    expect(answer).toHaveProperty('Ok');
    const reply = 'Ok' in answer ? answer.Ok : new Uint8Array();
    const [result] = IDL.decode([IDL.Variant({ Ok: IDL.Null, Err: IDL.Variant({ NotFound: IDL.Text }) })], reply) as [object];
    expect(Object.keys(result)).toEqual(['Err']);
  });
});
