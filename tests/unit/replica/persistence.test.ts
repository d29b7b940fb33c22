// The replica's state folder: a checkpoint saved and loaded again is the same state; a
// checkpoint killed half-way (garbage after the valid part of a page log) is neither read nor
// built on; only changed pages are written; and every kind of damage — a log cut short or
// emptied, a flipped byte, a page index past the memory, an altered manifest or Wasm — is
// refused with a DamagedStateError naming the file, never loaded.
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DamagedStateError, ReplicaStateDir } from '../../../src/replica/persistence.js';
import { StateMachine } from '../../../src/replica/state_machine.js';
import { Canister } from '../../../src/replica/canister.js';
import { WASM_PAGE } from '../../../src/replica/stable_memory.js';
import { RECORD_BYTES } from '../../../src/replica/page_log.js';
import { assemble } from '../wasm/assemble.js';

const options = { metering: false, log: () => {} };
/** A module with a 4-page heap and nothing else: enough for heap page logs. */
const WASM = assemble({ funcs: [], memoryPages: 4 });

function machineWithStable(pages: Record<number, number>): { machine: StateMachine; canister: Canister } {
  const machine = new StateMachine(options);
  const canister = machine.createCanister([new Uint8Array([4])], 1000n) as Canister;
  canister.stable.grow(8n);
  writePages(canister, pages);
  return { machine, canister };
}

function machineWithHeap(): { machine: StateMachine; canister: Canister } {
  const { machine, canister } = machineWithStable({ 1: 11 });
  canister.loadModule(WASM);
  heap(canister).fill(0x5a, WASM_PAGE, 2 * WASM_PAGE);
  return { machine, canister };
}

const heap = (c: Canister) => c.heapImage()!.heap;

function writePages(canister: Canister, pages: Record<number, number>): void {
  canister.stable.checkpoint(); // as an execution would: pages saved before are never written in place
  for (const [index, fill] of Object.entries(pages)) canister.stable.write(new Uint8Array(WASM_PAGE).fill(fill), BigInt(Number(index) * WASM_PAGE));
}

function pageFills(canister: Canister): Record<number, number> {
  return Object.fromEntries([...canister.stable.nonEmptyPages()].map(([i, page]) => [i, page[0]!]));
}

const logOf = (dir: string, prefix: string) => join(dir, readdirSync(dir).find((f) => f.startsWith(prefix))!);

function refusal(dir: string): DamagedStateError {
  try {
    new ReplicaStateDir(dir).load(options);
  } catch (e) {
    if (e instanceof DamagedStateError) return e;
    throw e;
  }
  throw new Error('the damaged state loaded');
}

describe('replica state folder', () => {
  it('loads what it saved: canisters, cycles, heap and stable pages, time, answered request ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithHeap();
    machine.setTime(machine.time() + 5n);
    const ingress = new Map([['ab'.repeat(32), { sender: Uint8Array.of(1, 2), receiver: Uint8Array.of(3), ingressExpiry: 42n }]]);
    new ReplicaStateDir(dir).save(machine, ingress);
    const loaded = new ReplicaStateDir(dir).load(options);
    const [again] = loaded.machine.allCanisters();
    expect(again!.text).toBe(canister.text);
    expect(again!.cycles).toBe(1000n);
    expect(again!.stable.size).toBe(8);
    expect(pageFills(again!)).toEqual({ 1: 11 });
    expect(Buffer.compare(Buffer.from(heap(again!)), Buffer.from(heap(canister)))).toBe(0);
    expect(loaded.machine.time()).toBe(machine.time());
    expect(loaded.ingress).toEqual(ingress);
  });

  it('writes only the pages that changed since the last checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithHeap();
    const store = new ReplicaStateDir(dir);
    store.save(machine);
    const first = store.written.bytes;
    expect(statSync(logOf(dir, 'heap-')).size).toBe(RECORD_BYTES); // the one non-zero heap page
    heap(canister)[3 * WASM_PAGE + 7] = 1;
    writePages(canister, { 5: 55 });
    store.save(machine);
    const manifestBytes = statSync(join(dir, 'manifest.json')).size;
    expect(store.written.bytes - first).toBe(2 * RECORD_BYTES + manifestBytes);
    store.save(machine); // nothing changed: the manifest only
    expect(store.written.bytes - first).toBe(2 * RECORD_BYTES + 2 * manifestBytes);
    const [again] = new ReplicaStateDir(dir).load(options).machine.allCanisters();
    expect(heap(again!)[3 * WASM_PAGE + 7]).toBe(1);
    expect(pageFills(again!)).toEqual({ 1: 11, 5: 55 });
  });

  it('ignores and overwrites what a killed checkpoint left after the valid log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine } = machineWithStable({ 1: 11, 2: 22 });
    new ReplicaStateDir(dir).save(machine);
    appendFileSync(logOf(dir, 'stable-'), Buffer.alloc(1000, 0xee)); // a torn record from a killed save

    const store = new ReplicaStateDir(dir);
    const loaded = store.load(options).machine;
    const [canister] = loaded.allCanisters();
    expect(pageFills(canister!)).toEqual({ 1: 11, 2: 22 });
    writePages(canister!, { 1: 33, 4: 44 });
    store.save(loaded);

    const [final] = new ReplicaStateDir(dir).load(options).machine.allCanisters();
    expect(pageFills(final!)).toEqual({ 1: 33, 2: 22, 4: 44 });
  });

  it('starts a fresh log when pages vanish (reinstall), and keeps no stale files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithStable({ 1: 11, 2: 22 });
    const store = new ReplicaStateDir(dir);
    store.save(machine);
    canister.stable.replace(new Uint8Array(3 * WASM_PAGE).fill(7, 2 * WASM_PAGE));
    store.save(machine);
    const [loaded] = new ReplicaStateDir(dir).load(options).machine.allCanisters();
    expect(pageFills(loaded!)).toEqual({ 2: 7 });
    expect(readdirSync(dir).filter((f) => f.startsWith('stable-'))).toHaveLength(1);
  });

  it('keeps the folder within about twice the live state over many overwrites', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine, canister } = machineWithStable({});
    const store = new ReplicaStateDir(dir);
    let largest = 0;
    for (let round = 0; round < 100; round++) {
      writePages(canister, { [round % 8]: round + 1 });
      store.save(machine);
      largest = Math.max(largest, readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0));
    }
    // Live: 8 pages. The log is rewritten once it is 4 MiB past twice that.
    expect(largest).toBeLessThan(2 * 8 * RECORD_BYTES + 4 * 1024 * 1024 + 2 * RECORD_BYTES + 10_000);
    expect(pageFills(new ReplicaStateDir(dir).load(options).machine.allCanisters()[0]!)).toEqual(pageFills(canister));
  });
});

describe('a damaged state folder is refused, naming the file', () => {
  function saved(): string {
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const { machine } = machineWithHeap();
    writePages(machine.allCanisters()[0]!, { 2: 22, 3: 33 });
    new ReplicaStateDir(dir).save(machine);
    return dir;
  }

  it('a stable log cut short', () => {
    const dir = saved();
    const log = logOf(dir, 'stable-');
    truncateSync(log, statSync(log).size - 100);
    const e = refusal(dir);
    expect([e.file, e.damage]).toEqual([log, 'truncated']);
    expect(e.message).toContain(log);
  });

  it('a stable log and a heap log truncated to nothing', () => {
    for (const prefix of ['stable-', 'heap-']) {
      const dir = saved();
      const log = logOf(dir, prefix);
      truncateSync(log, 0);
      const e = refusal(dir);
      expect([e.file, e.damage]).toEqual([log, 'truncated']);
    }
  });

  it('a record header naming page 0xFFFFFFF0', () => {
    const dir = saved();
    const log = logOf(dir, 'stable-');
    const bytes = readFileSync(log);
    bytes.writeUInt32LE(0xfffffff0, RECORD_BYTES); // the second record's index
    writeFileSync(log, bytes);
    const e = refusal(dir);
    expect([e.file, e.damage]).toEqual([log, 'index']);
  });

  it('a flipped byte in a page, in the manifest, in the Wasm', () => {
    for (const [prefix, damage] of [['heap-', 'checksum'], ['stable-', 'checksum'], ['manifest.json', 'checksum'], ['wasm-', 'checksum']] as const) {
      const dir = saved();
      const file = logOf(dir, prefix);
      const bytes = readFileSync(file);
      const at = prefix === 'manifest.json' ? bytes.indexOf('"nextCanister') + 20 : Math.min(bytes.length - 1, 40 + 1000);
      bytes[at] ^= prefix === 'manifest.json' ? 0x01 : 0xff;
      writeFileSync(file, bytes);
      const e = refusal(dir);
      expect([e.file, e.damage]).toEqual([file, damage]);
    }
  });

  it('a missing log', () => {
    const dir = saved();
    const log = logOf(dir, 'heap-');
    rmSync(log);
    expect([refusal(dir).file, refusal(dir).damage]).toEqual([log, 'missing']);
  });
});
