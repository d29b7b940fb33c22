// State folders from before the input log: their checkpoint (format 2 without an input log) is
// the whole state, since every change was saved at once. Opening one keeps everything in it and
// checkpoints it again with a log; a folder of the first format is refused naming the folder.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableReplica } from '../../../src/replica/durable_replica.js';
import { ReplicaStateDir, StateDirError } from '../../../src/replica/persistence.js';
import { StateMachine } from '../../../src/replica/state_machine.js';
import { WASM_PAGE } from '../../../src/replica/stable_memory.js';
import type { Canister } from '../../../src/replica/canister.js';

const options = { metering: false, log: () => {} };

function manifest(dir: string): { inputLog?: string } {
  const outer = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { manifest: string };
  return JSON.parse(outer.manifest) as { inputLog?: string };
}

describe('older state folders', () => {
  it('a checkpoint with no input log opens with its state and is checkpointed again with one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const machine = new StateMachine(options);
    const canister = machine.createCanister([new Uint8Array([4])], 1234n) as Canister;
    canister.stable.grow(2n);
    canister.stable.write(new Uint8Array(WASM_PAGE).fill(9), BigInt(WASM_PAGE));
    const ingress = new Map([['cd'.repeat(32), { sender: Uint8Array.of(1), receiver: Uint8Array.of(2), ingressExpiry: 77n }]]);
    new ReplicaStateDir(dir).save(machine, ingress);
    expect(manifest(dir).inputLog).toBeUndefined();

    const replica = DurableReplica.open(new ReplicaStateDir(dir), options);
    const [again] = replica.machine.allCanisters();
    expect(again!.cycles).toBe(1234n);
    const bytes = new Uint8Array(4);
    again!.stable.read(bytes, BigInt(WASM_PAGE), 4);
    expect(bytes).toEqual(new Uint8Array([9, 9, 9, 9]));
    expect([...replica.ingress.keys()]).toEqual(['cd'.repeat(32)]);
    replica.close();
    expect(manifest(dir).inputLog).toMatch(/^input-.*\.log$/);
    // And it opens again as a folder of today's.
    const reopened = DurableReplica.open(new ReplicaStateDir(dir), options);
    expect(reopened.machine.allCanisters()[0]!.cycles).toBe(1234n);
    reopened.close();
  });

  it('a folder of the first format is refused with a sentence naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 1, generation: 3, canisters: [] }));
    expect(() => DurableReplica.open(new ReplicaStateDir(dir), options)).toThrow(StateDirError);
    expect(() => DurableReplica.open(new ReplicaStateDir(dir), options)).toThrow(new RegExp(`${dir}.*older ic-upload.*move it away`));
  });
});
