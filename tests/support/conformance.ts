// Shared pieces of the replica conformance suite (tests/e2e/replica.*.test.ts): the hand-written
// Candid interface of tests/canisters/conformance (keep it equal to .azle/conformance.did), the
// parser for pic-js call errors, and small helpers. Everything here is plain pic-js, so the suite
// runs unchanged against a real PocketIC server (POCKET_IC_BIN).
import type { ActorMethod } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_WASM = fileURLToPath(
  new URL('../../.azle/conformance/conformance.wasm', import.meta.url)
);

// Written by `node scripts/build.mjs conformance` (CANISTER_CANDID_PATH=.azle/conformance.did).
export const CONFORMANCE_DID = fileURLToPath(new URL('../../.azle/conformance.did', import.meta.url));

export function conformanceWasmBytes(): Uint8Array {
  return readFileSync(CONFORMANCE_WASM);
}

// The IC's per-message instruction limits (resource-limits page), as they appear in IC0522 texts.
export const UPDATE_INSTRUCTION_LIMIT = 40_000_000_000n;
export const QUERY_INSTRUCTION_LIMIT = 5_000_000_000n;
// Ingress payload limit of an application subnet, and the reply limits.
export const MAX_INGRESS_BYTES = 2 * 1024 * 1024;
export const MAX_REPLICATED_REPLY_BYTES = 2 * 1024 * 1024;
export const MAX_QUERY_REPLY_BYTES = 3 * 1024 * 1024;

export interface State {
  counter: bigint;
  stored: [] | [bigint];
  installs: bigint;
  upgrades: bigint;
  timer_fired: bigint;
}

export type RawCallResult =
  | { Ok: Uint8Array }
  | { Err: { reject_code: number; reject_message: string } };

export interface ConformanceService {
  get_state: ActorMethod<[], State>;
  set_state: ActorMethod<[bigint], State>;
  write_then_trap: ActorMethod<[bigint], State>;
  write_in_query: ActorMethod<[bigint], State>;
  grow_heap: ActorMethod<[number], bigint>;
  grow_heap_then_trap: ActorMethod<[number], bigint>;
  grow_stable: ActorMethod<[string, number], bigint>;
  grow_stable_then_trap: ActorMethod<[string, number], bigint>;
  replicated: ActorMethod<[], boolean>;
  version: ActorMethod<[], bigint>;
  whoami: ActorMethod<[], Principal>;
  whoami_query: ActorMethod<[], Principal>;
  self_id: ActorMethod<[], Principal>;
  is_controller: ActorMethod<[Principal], boolean>;
  reject_with: ActorMethod<[string], string>;
  reject_with_query: ActorMethod<[string], string>;
  trap_with: ActorMethod<[string], string>;
  trap_with_query: ActorMethod<[string], string>;
  inspect_denied: ActorMethod<[], string>;
  inspect_trap: ActorMethod<[], string>;
  schedule: ActorMethod<[number], { timer_id: bigint; scheduled_at: bigint }>;
  schedule_trap: ActorMethod<[number], { timer_id: bigint; scheduled_at: bigint }>;
  timer_state: ActorMethod<[], { fired: number; last_fired_at: [] | [bigint] }>;
  now: ActorMethod<[], bigint>;
  now_update: ActorMethod<[], bigint>;
  time_twice: ActorMethod<[number], { first: bigint; second: bigint }>;
  instruction_counts: ActorMethod<[number], { before: bigint; after: bigint }>;
  instruction_count_of: ActorMethod<[number], bigint>;
  instruction_count_of_query: ActorMethod<[number], bigint>;
  counts_across_await: ActorMethod<[number], { execution: bigint; call_context: bigint }>;
  spin: ActorMethod<[], bigint>;
  spin_query: ActorMethod<[], bigint>;
  arg_len: ActorMethod<[Uint8Array], bigint>;
  big_reply: ActorMethod<[number], Uint8Array>;
  big_reply_query: ActorMethod<[number], Uint8Array>;
  random: ActorMethod<[], Uint8Array>;
  random_values: ActorMethod<[], Uint8Array>;
  call_raw: ActorMethod<[Principal, string, Uint8Array], RawCallResult>;
  write_call_then_trap: ActorMethod<[Principal, bigint], State>;
  accept_half: ActorMethod<[], { available: bigint; accepted: bigint }>;
  send_cycles: ActorMethod<[Principal, bigint], { available: bigint; accepted: bigint; refunded: bigint }>;
}

// Methods the canister does not export, and exported methods called with the wrong kind, for
// the IC0536 tests. A query-annotated method is sent to /read/query, anything else as ingress.
export interface MisdeclaredService {
  no_such_method: ActorMethod<[], string>;
  no_such_query: ActorMethod<[], string>;
  set_state: ActorMethod<[bigint], State>;
  write_in_query: ActorMethod<[bigint], State>;
  replicated: ActorMethod<[], boolean>;
}

type IdlNamespace = Parameters<IDL.InterfaceFactory>[0]['IDL'];

function types(idl: IdlNamespace) {
  const State = idl.Record({
    counter: idl.Nat64,
    stored: idl.Opt(idl.Nat64),
    installs: idl.Nat64,
    upgrades: idl.Nat64,
    timer_fired: idl.Nat64
  });
  return { State };
}

export const idlFactory: IDL.InterfaceFactory = ({ IDL: idl }) => {
  const { State } = types(idl);
  const Blob = idl.Vec(idl.Nat8);
  const Accepted = idl.Record({ available: idl.Nat, accepted: idl.Nat });
  return idl.Service({
    get_state: idl.Func([], [State], ['query']),
    set_state: idl.Func([idl.Nat64], [State], []),
    write_then_trap: idl.Func([idl.Nat64], [State], []),
    write_in_query: idl.Func([idl.Nat64], [State], ['query']),
    grow_heap: idl.Func([idl.Nat32], [idl.Nat64], []),
    grow_heap_then_trap: idl.Func([idl.Nat32], [idl.Nat64], []),
    grow_stable: idl.Func([idl.Text, idl.Nat32], [idl.Nat64], []),
    grow_stable_then_trap: idl.Func([idl.Text, idl.Nat32], [idl.Nat64], []),
    replicated: idl.Func([], [idl.Bool], ['query']),
    version: idl.Func([], [idl.Nat64], ['query']),
    whoami: idl.Func([], [idl.Principal], []),
    whoami_query: idl.Func([], [idl.Principal], ['query']),
    self_id: idl.Func([], [idl.Principal], ['query']),
    is_controller: idl.Func([idl.Principal], [idl.Bool], ['query']),
    reject_with: idl.Func([idl.Text], [idl.Text], []),
    reject_with_query: idl.Func([idl.Text], [idl.Text], ['query']),
    trap_with: idl.Func([idl.Text], [idl.Text], []),
    trap_with_query: idl.Func([idl.Text], [idl.Text], ['query']),
    inspect_denied: idl.Func([], [idl.Text], []),
    inspect_trap: idl.Func([], [idl.Text], []),
    schedule: idl.Func([idl.Nat32], [idl.Record({ timer_id: idl.Nat64, scheduled_at: idl.Nat64 })], []),
    schedule_trap: idl.Func([idl.Nat32], [idl.Record({ timer_id: idl.Nat64, scheduled_at: idl.Nat64 })], []),
    timer_state: idl.Func([], [idl.Record({ fired: idl.Nat32, last_fired_at: idl.Opt(idl.Nat64) })], ['query']),
    now: idl.Func([], [idl.Nat64], ['query']),
    now_update: idl.Func([], [idl.Nat64], []),
    time_twice: idl.Func([idl.Nat32], [idl.Record({ first: idl.Nat64, second: idl.Nat64 })], []),
    instruction_counts: idl.Func([idl.Nat32], [idl.Record({ before: idl.Nat64, after: idl.Nat64 })], []),
    instruction_count_of: idl.Func([idl.Nat32], [idl.Nat64], []),
    instruction_count_of_query: idl.Func([idl.Nat32], [idl.Nat64], ['query']),
    counts_across_await: idl.Func([idl.Nat32], [idl.Record({ execution: idl.Nat64, call_context: idl.Nat64 })], []),
    spin: idl.Func([], [idl.Nat64], []),
    spin_query: idl.Func([], [idl.Nat64], ['query']),
    arg_len: idl.Func([Blob], [idl.Nat64], []),
    big_reply: idl.Func([idl.Nat32], [Blob], []),
    big_reply_query: idl.Func([idl.Nat32], [Blob], ['query']),
    random: idl.Func([], [Blob], []),
    random_values: idl.Func([], [Blob], []),
    call_raw: idl.Func(
      [idl.Principal, idl.Text, Blob],
      [idl.Variant({ Ok: Blob, Err: idl.Record({ reject_code: idl.Nat32, reject_message: idl.Text }) })],
      []
    ),
    write_call_then_trap: idl.Func([idl.Principal, idl.Nat64], [State], []),
    accept_half: idl.Func([], [Accepted], []),
    send_cycles: idl.Func(
      [idl.Principal, idl.Nat],
      [idl.Record({ available: idl.Nat, accepted: idl.Nat, refunded: idl.Nat })],
      []
    )
  });
};

export const misdeclaredIdlFactory: IDL.InterfaceFactory = ({ IDL: idl }) => {
  const { State } = types(idl);
  return idl.Service({
    no_such_method: idl.Func([], [idl.Text], []),
    no_such_query: idl.Func([], [idl.Text], ['query']),
    // set_state is an update: calling it as a query must fail.
    set_state: idl.Func([idl.Nat64], [State], ['query']),
    // write_in_query and replicated are queries: calling them as updates runs them replicated.
    write_in_query: idl.Func([idl.Nat64], [State], []),
    replicated: idl.Func([], [idl.Bool], [])
  });
};

/** The parts of a rejected call as pic-js reports them (pocket-ic-client-types `decodeResultResponse`). */
export interface CallFailure {
  rejectMessage: string;
  rejectCode: number;
  errorCode: number;
  certified: boolean;
}

const CALL_FAILED = /^Canister call failed: ([\s\S]*)\. Reject code: (\d+)\. Error code: (\d+)\. Certified: (true|false)$/;

export function parseCallFailure(error: unknown): CallFailure {
  const message = error instanceof Error ? error.message : String(error);
  const m = CALL_FAILED.exec(message);
  if (m === null) {
    throw new Error(`not a pic-js canister call failure: ${message}`);
  }
  return {
    rejectMessage: m[1],
    rejectCode: Number(m[2]),
    errorCode: Number(m[3]),
    certified: m[4] === 'true'
  };
}

/** Awaits a call that must be rejected and returns its parsed rejection. */
export async function callFailure(call: Promise<unknown>): Promise<CallFailure> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    return parseCallFailure(error);
  }
  throw new Error(`expected the call to be rejected, but it returned ${String(result)}`);
}

/** Awaits a call that must throw anything (a server error, not a canister rejection) and returns it. */
export async function thrownError(call: Promise<unknown>): Promise<Error> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  throw new Error(`expected the call to throw, but it returned ${String(result)}`);
}

/** The replica's description prefix for a canister's own errors (HypervisorError::into_user_error). */
export function fromCanister(canisterId: Principal): string {
  return `Error from Canister ${canisterId.toText()}: `;
}

export function trapText(message: string): string {
  return `Canister called \`ic0.trap\` with message: '${message}'`;
}

export function instructionLimitText(limit: bigint): string {
  return `Canister exceeded the limit of ${limit} instructions for single message execution.`;
}

export function encodeArgs(argTypes: IDL.Type[], args: unknown[]): Uint8Array {
  return new Uint8Array(IDL.encode(argTypes, args));
}

export function decodeOne<T>(type: IDL.Type, bytes: Uint8Array): T {
  return IDL.decode([type], bytes)[0] as T;
}

export const StateType = types(IDL).State;
