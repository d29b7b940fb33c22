import { describe, expect, it } from 'vitest';
import { lookup_path, LookupPathStatus, reconstruct, type HashTree as AgentHashTree } from '@icp-sdk/core/agent';
import { digest, type HashTree, leafNode, subtree, toHashTree, witness, type LabeledTree } from '../../../src/replica/http/hash_tree.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sampleState(): LabeledTree {
  const statuses: Array<[Uint8Array, LabeledTree]> = [];
  for (let i = 0; i < 9; i++) {
    statuses.push([new Uint8Array(32).fill(i), subtree([['status', leafNode('replied')], ['reply', leafNode(new Uint8Array([i]))]])]);
  }
  return subtree([
    ['time', leafNode(new Uint8Array([1, 2, 3]))],
    ['request_status', subtree(statuses)],
    ['subnet', subtree([[new Uint8Array([9]), subtree([['public_key', leafNode('key')]])]])],
  ]);
}

function labelsIn(tree: HashTree): string[] {
  switch (tree[0]) {
    case 1:
      return [...labelsIn(tree[1]), ...labelsIn(tree[2])];
    case 2:
      return [new TextDecoder().decode(tree[1]), ...labelsIn(tree[2])];
    default:
      return [];
  }
}

describe('hash trees', () => {
  it('digests as agent-js reconstructs', async () => {
    const tree = toHashTree(sampleState());
    expect(hex(digest(tree))).toBe(hex(await reconstruct(tree as unknown as AgentHashTree)));
  });

  it('keeps the root hash when pruning, for any requested paths', () => {
    const state = sampleState();
    const root = hex(digest(toHashTree(state)));
    const pathSets: Uint8Array[][][] = [
      [],
      [[enc('time')]],
      [[enc('request_status'), new Uint8Array(32).fill(4)]],
      [[enc('request_status'), new Uint8Array(32).fill(8), enc('reply')], [enc('subnet')]],
      [[enc('absent'), enc('deeper')]],
    ];
    for (const paths of pathSets) expect(hex(digest(witness(state, paths)))).toBe(root);
  });

  it('reveals requested paths and nothing else', () => {
    const w = witness(sampleState(), [[enc('time')], [enc('request_status'), new Uint8Array(32).fill(4), enc('reply')]]) as unknown as AgentHashTree;
    expect(lookup_path(['time'], w)).toEqual({ status: LookupPathStatus.Found, value: new Uint8Array([1, 2, 3]) });
    expect(lookup_path(['request_status', new Uint8Array(32).fill(4), 'reply'], w)).toEqual({ status: LookupPathStatus.Found, value: new Uint8Array([4]) });
    expect(lookup_path(['request_status', new Uint8Array(32).fill(4), 'status'], w).status).toBe(LookupPathStatus.Unknown);
    expect(lookup_path(['request_status', new Uint8Array(32).fill(5), 'reply'], w).status).toBe(LookupPathStatus.Unknown);
    // Not asserted through agent-js: its `find_label` compares labels bytewise-any rather than
    // lexicographically and calls this branch Absent. The witness must simply not contain it.
    expect(labelsIn(w as unknown as HashTree)).not.toContain('subnet');
    expect(labelsIn(w as unknown as HashTree)).toEqual(expect.arrayContaining(['time', 'request_status', 'reply']));
  });

  it('refuses duplicate labels', () => {
    expect(() => subtree([['a', leafNode('1')], ['a', leafNode('2')]])).toThrow(/duplicate label/);
  });
});
