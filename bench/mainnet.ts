// What a measured upload would cost on mainnet: rounds (from the IC's scheduler rules, as the
// embedded replica applies them: src/replica/rounds.ts) turned into time, and cycles from the
// IC's fee schedule.
//
// Fees: "Cycles cost formulas", docs/developer-docs/gas-cost.mdx in https://github.com/dfinity/portal
// (read at commit a8e3d85bbdb7a8340271ff13c126461470bb2d76), column "13-node Application Subnets".
// Rounds: 1.5 per second and at most 4 MB of ingress per round (a block's ingress payload), the
// figures the project plans with.
import { ROUND_INSTRUCTIONS, SLICE_INSTRUCTIONS } from '../src/replica/rounds.js';

export const FEES_13_NODE = {
  updateMessage: 590_000,
  perInstruction: 0.4, // "Ten Update Instructions Execution": 4 cycles
  xnetCall: 260_000,
  xnetByte: 1_000,
  ingressMessage: 1_200_000,
  ingressByte: 2_000
};
export const ROUNDS_PER_SECOND = 1.5;
export const INGRESS_BYTES_PER_ROUND = 4_000_000;

/** One chunk's work: the put_chunk ingress, then any self-calls and callbacks it leads to, in order. */
export interface ChunkWork {
  ingressBytes: number;
  /** Instructions of each execution in order; the first is put_chunk itself. */
  executions: bigint[];
  /** Bytes the canister sends in inter-canister calls (requests and replies) for this chunk. */
  xnetBytes: number;
  xnetCalls: number;
}

/**
 * Rounds to upload `chunks` chunks into one canister with `inflight` chunks outstanding at a
 * time (the client's concurrency). A chunk is submitted in the round after the reply that freed
 * its slot; ingress enters FIFO up to INGRESS_BYTES_PER_ROUND per round; the canister executes
 * as the IC does: one execution at a time, one 2 B slice per round for a long one, short ones
 * until 7 B are used.
 */
export function simulateRounds(work: ChunkWork, chunks: number, inflight: number): number {
  let sent = 0;
  let done = 0;
  let round = 0;
  const pool: number[] = []; // chunks submitted, not yet inducted
  const queue: Array<{ chunk: number; stage: number }> = [];
  let long: { chunk: number; stage: number; roundsLeft: number; remainder: bigint } | undefined;
  while (done < chunks) {
    round++;
    if (round > 10_000_000) throw new Error('simulation does not terminate');
    // Replies of the previous rounds are known: their slots take new chunks.
    while (sent - done < inflight && sent < chunks) pool.push(sent++);
    let ingress = 0;
    while (pool.length > 0 && ingress + work.ingressBytes <= Math.max(INGRESS_BYTES_PER_ROUND, work.ingressBytes)) {
      ingress += work.ingressBytes;
      queue.push({ chunk: pool.shift()!, stage: 0 });
      if (ingress >= INGRESS_BYTES_PER_ROUND) break;
    }
    let used = 0n;
    const finish = (e: { chunk: number; stage: number }) => {
      if (e.stage + 1 < work.executions.length) queue.push({ chunk: e.chunk, stage: e.stage + 1 });
      else done++;
    };
    if (long) {
      long.roundsLeft--;
      if (long.roundsLeft > 0) continue;
      used = long.remainder;
      finish(long);
      long = undefined;
    }
    while (queue.length > 0 && used < ROUND_INSTRUCTIONS) {
      const e = queue.shift()!;
      const n = work.executions[e.stage]!;
      if (n <= SLICE_INSTRUCTIONS) {
        used += n;
        finish(e);
      } else {
        const slices = (n + SLICE_INSTRUCTIONS - 1n) / SLICE_INSTRUCTIONS;
        long = { ...e, roundsLeft: Number(slices) - 1, remainder: n - (slices - 1n) * SLICE_INSTRUCTIONS };
        break;
      }
    }
  }
  return round;
}

/** Projected MB/s for `uploads` uploads of `bytes` each into one canister, `inflightEach` chunks each. */
export function projectedMbPerSecond(work: ChunkWork, chunkBytes: number, bytes: number, uploads: number, inflightEach: number): number {
  const chunks = Math.ceil(bytes / chunkBytes) * uploads;
  const rounds = simulateRounds(work, chunks, inflightEach * uploads);
  return (bytes * uploads) / 1e6 / (rounds / ROUNDS_PER_SECOND);
}

/** Cycles per GiB uploaded in chunks of `chunkBytes`: total, and the ingress fees alone. */
export function cyclesPerGib(work: ChunkWork, chunkBytes: number): { total: number; ingress_only: number } {
  const chunks = 2 ** 30 / chunkBytes;
  const ingress = FEES_13_NODE.ingressMessage + FEES_13_NODE.ingressByte * work.ingressBytes;
  const instructions = work.executions.reduce((a, b) => a + Number(b), 0);
  const execution = FEES_13_NODE.updateMessage * work.executions.length + FEES_13_NODE.perInstruction * instructions;
  const xnet = FEES_13_NODE.xnetCall * work.xnetCalls + FEES_13_NODE.xnetByte * work.xnetBytes;
  return { total: chunks * (ingress + execution + xnet), ingress_only: chunks * ingress };
}
