// The mainnet projection model of the benchmark (bench/mainnet.ts): rounds under the IC's
// scheduler rules and the 13-node fee arithmetic.
import { describe, expect, it } from 'vitest';

import { FEES_13_NODE, cyclesPerGib, simulateRounds, type ChunkWork } from '../../../bench/mainnet.js';

const chunk = (executions: bigint[], ingressBytes = 1_900_000): ChunkWork => ({ ingressBytes, executions, xnetBytes: 0, xnetCalls: 0 });

describe('simulateRounds', () => {
  it('gives a 17-billion-instruction chunk 9 rounds, one slice per round', () => {
    expect(simulateRounds(chunk([17_000_000_000n]), 1, 1)).toBe(9);
    // The next chunk starts in the round the previous one's last (1-billion) slice ends: 9 + 8 + 8.
    expect(simulateRounds(chunk([17_000_000_000n]), 3, 4)).toBe(25);
  });

  it('lets short chunks share rounds, bounded by 4 MB of ingress per round', () => {
    // 2 chunks of 1.9 MB fit a round's ingress; their execution is short.
    expect(simulateRounds(chunk([100_000_000n]), 10, 10)).toBe(5);
    // Small chunks: the 7-billion round limit binds (5 × 1.5 B start per round).
    expect(simulateRounds(chunk([1_500_000_000n], 1000), 10, 10)).toBe(2);
  });

  it('waits a round for a reply before the client sends the next chunk', () => {
    expect(simulateRounds(chunk([100_000_000n]), 4, 1)).toBe(4);
  });
});

describe('cyclesPerGib', () => {
  it('adds ingress, execution and call fees per chunk', () => {
    const work: ChunkWork = { ingressBytes: 1_000, executions: [10n, 20n], xnetBytes: 100, xnetCalls: 1 };
    const perChunk =
      FEES_13_NODE.ingressMessage + 1_000 * FEES_13_NODE.ingressByte + 2 * FEES_13_NODE.updateMessage + 30 * 0.4 + FEES_13_NODE.xnetCall + 100 * FEES_13_NODE.xnetByte;
    const { total, ingress_only } = cyclesPerGib(work, 1_000);
    expect(total).toBeCloseTo((2 ** 30 / 1_000) * perChunk, 0);
    expect(ingress_only).toBeCloseTo((2 ** 30 / 1_000) * (FEES_13_NODE.ingressMessage + 1_000 * FEES_13_NODE.ingressByte), 0);
  });
});
