// How the IC divides execution into rounds, and the record of the rounds each execution took.
//
// Source: `rs/config/src/subnet_config.rs` in https://github.com/dfinity/ic (read at commit
// 002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe), application subnets:
// - MAX_INSTRUCTIONS_PER_SLICE = 2B: with deterministic time slicing a message runs in slices of
//   at most this many instructions, one slice per round, pausing in between;
// - MAX_INSTRUCTIONS_PER_ROUND = 7B: a canister (on its scheduler thread) starts no further
//   message in a round once the round's instructions reach this.
//
// The replica executes a message's Wasm in one go (it cannot pause an instance), then holds its
// effects (reply, outgoing calls) back until the round its last slice would finish in, and keeps
// the canister busy until then: nothing else executes on it in between, as on the IC. Queries
// meanwhile see the state the message left, where the IC would show the state before it.

export const SLICE_INSTRUCTIONS = 2_000_000_000n;
export const ROUND_INSTRUCTIONS = 7_000_000_000n;

/** Slices (hence rounds) an execution of this many instructions takes. */
export function slicesOf(instructions: bigint): bigint {
  return instructions <= SLICE_INSTRUCTIONS ? 1n : (instructions + SLICE_INSTRUCTIONS - 1n) / SLICE_INSTRUCTIONS;
}

/** One execution on a canister: a method, a callback, a timer. */
export interface ExecutionRecord {
  /** Canister id, textual. */
  canister: string;
  /** The export (`canister_update put_chunk`) or `callback` for a reply or reject callback. */
  entry: string;
  instructions: bigint;
  /** The round it started in (`StateMachine.round()`), and how many rounds it spans. */
  startRound: bigint;
  rounds: bigint;
  /** True once its effects were applied (its last slice's round has run). */
  completed: boolean;
}

/** How many execution records a machine keeps (oldest dropped first). */
export const EXECUTION_LOG_LIMIT = 100_000;
