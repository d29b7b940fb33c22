// The replica's state folder: a state saved and loaded again is the same state, and a save that
// was killed half-way (garbage after the valid part of a page log) is neither read nor built on.
import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplicaStateDir } from '../../../src/replica/persistence.js';
import { StateMachine } from '../../../src/replica/state_machine.js';
import { Canister } from '../../../src/replica/canister.js';
import { WASM_PAGE } from '../../../src/replica/stable_memory.js';

const options = { metering: false, log: () => {} };

function machineWithStable(pages: Record<number, number>): { machine: StateMachine; canister: Canister } {
  const machine = new StateMachine(options);
  const canister = machine.createCanister([new Uint8Array([4])], 1000n) as Canister;
  canister.stable.grow(8n);
  writePages(canister, pages);
  return { machine, canister };
}

function writePages(canister: Canister, pages: Record<number, number>): void {
  canister.stable.checkpoint(); // as an execution would: pages saved before are never written in place
  for (const [index, fill] of Object.entries(pages)) canister.stable.write(new Uint8Array(WASM_PAGE).fill(fill), BigInt(Number(index) * WASM_PAGE));
}

function pageFills(canister: Canister): Record<number, number> {
  return Object.fromEntries([...canister.stable.nonEmptyPages()].map(([i, page]) => [i, page[0]!]));
}

describe('replica state folder', () => {
  it('loads what it saved: canisters, cycles, stable pages, time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithStable({ 1: 11, 2: 22 });
    machine.setTime(machine.time() + 5n);
    new ReplicaStateDir(dir).save(machine);
    const loaded = new ReplicaStateDir(dir).load(options);
    const [again] = loaded.allCanisters();
    expect(again!.text).toBe(canister.text);
    expect(again!.cycles).toBe(1000n);
    expect(again!.stable.size).toBe(8);
    expect(pageFills(again!)).toEqual({ 1: 11, 2: 22 });
    expect(loaded.time()).toBe(machine.time());
  });

  it('ignores and overwrites what a killed save left after the valid log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine } = machineWithStable({ 1: 11, 2: 22 });
    new ReplicaStateDir(dir).save(machine);
    const log = readdirSync(dir).find((f) => f.startsWith('stable-'))!;
    appendFileSync(join(dir, log), Buffer.alloc(1000, 0xee)); // a torn record from a killed save

    const store = new ReplicaStateDir(dir);
    const loaded = store.load(options);
    const [canister] = loaded.allCanisters();
    expect(pageFills(canister!)).toEqual({ 1: 11, 2: 22 });
    writePages(canister!, { 1: 33, 4: 44 });
    store.save(loaded);

    const [final] = new ReplicaStateDir(dir).load(options).allCanisters();
    expect(pageFills(final!)).toEqual({ 1: 33, 2: 22, 4: 44 });
  });

  it('starts a fresh log when pages vanish (reinstall), and keeps no stale files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithStable({ 1: 11, 2: 22 });
    const store = new ReplicaStateDir(dir);
    store.save(machine);
    canister.stable.replace(new Uint8Array(3 * WASM_PAGE).fill(7, 2 * WASM_PAGE));
    store.save(machine);
    const [loaded] = new ReplicaStateDir(dir).load(options).allCanisters();
    expect(pageFills(loaded!)).toEqual({ 2: 7 });
    expect(readdirSync(dir).filter((f) => f.startsWith('stable-'))).toHaveLength(1);
  });
});
