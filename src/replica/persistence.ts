// A replica's state in a folder, so `ic-upload replica` survives restarts like `dfx start`.
//
// Layout: `manifest.json` names everything that makes up one consistent state; it is replaced
// atomically (write, fsync, rename), so a kill at any moment leaves the previous or the next
// state, never a mix. Wasm modules are stored by hash, heaps as one file per save generation,
// and stable memory as an append-only log of 64 KiB pages per canister: stable pages are
// copy-on-write objects (stable_memory.ts), so a save appends only the pages written since the
// last one, and the manifest records how much of each log is valid.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Canister, type ReplicaOptions } from './canister.js';
import { WASM_PAGE } from './stable_memory.js';
import { StateMachine } from './state_machine.js';
import { hex } from './principal.js';

const FORMAT = 1;
const RECORD = 4 + WASM_PAGE;

interface CanisterManifest {
  id: string;
  controllers: string[];
  cycles: string;
  status: 'running' | 'stopping' | 'stopped';
  version: string;
  certifiedData: string;
  globalTimer: string;
  wasm?: string;
  heap?: string;
  globals?: Array<string | number>;
  stablePages: number;
  stableLog: string;
  stableLogBytes: number;
}

interface Manifest {
  format: number;
  generation: number;
  time: string;
  nextCanister: string;
  canisters: CanisterManifest[];
}

export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDirError';
  }
}

/** Per-canister bookkeeping of what the log already holds. */
interface LogState {
  file: string;
  bytes: number;
  /** Page objects already in the log, by index (pages are never written in place once saved). */
  saved: Map<number, Uint8Array>;
}

export class ReplicaStateDir {
  private generation = 0;
  private readonly logs = new Map<string, LogState>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  get exists(): boolean {
    return existsSync(join(this.dir, 'manifest.json'));
  }

  /** Loads the saved state into a new StateMachine. */
  load(options: ReplicaOptions): StateMachine {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(this.dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch (e) {
      throw new StateDirError(`cannot read the replica state in ${this.dir}: ${(e as Error).message}`);
    }
    if (manifest.format !== FORMAT) throw new StateDirError(`unknown replica state format ${manifest.format} in ${this.dir}`);
    this.generation = manifest.generation;
    const machine = new StateMachine(options);
    const canisters = manifest.canisters.map((m) => this.loadCanister(m, options));
    machine.restore({ time: BigInt(manifest.time), nextCanister: BigInt(manifest.nextCanister) }, canisters);
    return machine;
  }

  /** Saves the machine's state; call it between rounds (nothing in flight). */
  save(machine: StateMachine): void {
    const generation = this.generation + 1;
    const canisters = machine.allCanisters().map((c) => this.saveCanister(c, generation));
    const meta = machine.meta();
    const manifest: Manifest = {
      format: FORMAT,
      generation,
      time: meta.time.toString(),
      nextCanister: meta.nextCanister.toString(),
      canisters
    };
    writeAtomically(join(this.dir, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 1)));
    this.generation = generation;
    this.collectGarbage(manifest);
  }

  private saveCanister(c: Canister, generation: number): CanisterManifest {
    const id = hex(c.id);
    let wasm: string | undefined;
    if (c.wasmBytes && c.moduleHash) {
      wasm = `wasm-${hex(c.moduleHash)}.wasm`;
      if (!existsSync(join(this.dir, wasm))) writeAtomically(join(this.dir, wasm), c.wasmBytes);
    }
    const image = c.heapImage();
    let heap: string | undefined;
    if (image) {
      heap = `heap-${id}-${generation}.bin`;
      writeDurably(join(this.dir, heap), image.heap);
    }
    const log = this.appendStablePages(c, id);
    return {
      id,
      controllers: c.controllers.map(hex),
      cycles: c.cycles.toString(),
      status: c.status,
      version: c.version().toString(),
      certifiedData: hex(c.certifiedData),
      globalTimer: c.globalTimer.toString(),
      wasm,
      heap,
      globals: image?.globals.map((g) => (typeof g === 'bigint' ? `${g}n` : (g as number))),
      stablePages: c.stable.size,
      stableLog: log.file,
      stableLogBytes: log.bytes
    };
  }

  private appendStablePages(c: Canister, id: string): LogState {
    let log = this.logs.get(id);
    const live = new Map(c.stable.nonEmptyPages());
    // A page that disappeared (reinstall, set_stable_memory) can't be expressed by appending,
    // and a log much larger than the memory wastes disk: both start a fresh log.
    const vanished = log ? [...log.saved.keys()].some((i) => !live.has(i)) : false;
    if (!log || vanished || log.bytes > 2 * live.size * RECORD + 64 * 1024 * 1024) {
      log = { file: `stable-${id}-${this.generation + 1}-${randomUUID()}.log`, bytes: 0, saved: new Map() };
      writeDurably(join(this.dir, log.file), new Uint8Array(0));
      this.logs.set(id, log);
    }
    const fresh = [...live].filter(([i, page]) => log.saved.get(i) !== page);
    if (fresh.length === 0) return log;
    // Records go at explicit offsets after the valid prefix: whatever a killed save left past
    // it is overwritten, never built upon. The bookkeeping moves only after the fsync.
    const fd = openSync(join(this.dir, log.file), 'r+');
    try {
      const header = Buffer.alloc(4);
      let at = log.bytes;
      for (const [i, page] of fresh) {
        header.writeUInt32LE(i, 0);
        writeSync(fd, header, 0, 4, at);
        writeSync(fd, page, 0, page.length, at + 4);
        at += RECORD;
      }
      ftruncateSync(fd, at);
      fsyncSync(fd);
      log.bytes = at;
    } finally {
      closeSync(fd);
    }
    for (const [i, page] of fresh) log.saved.set(i, page);
    return log;
  }

  private loadCanister(m: CanisterManifest, options: ReplicaOptions): Canister {
    const c = new Canister(Buffer.from(m.id, 'hex'), m.controllers.map((h) => Buffer.from(h, 'hex')), BigInt(m.cycles), options);
    c.status = m.status;
    c.certifiedData = new Uint8Array(Buffer.from(m.certifiedData, 'hex'));
    c.globalTimer = BigInt(m.globalTimer);
    const globals = m.globals?.map((g) => (typeof g === 'string' && g.endsWith('n') ? BigInt(g.slice(0, -1)) : g));
    c.restoreImage({
      wasm: m.wasm ? new Uint8Array(readFileSync(join(this.dir, m.wasm))) : undefined,
      heap: m.heap ? new Uint8Array(readFileSync(join(this.dir, m.heap))) : undefined,
      globals,
      version: BigInt(m.version)
    });
    const bytes = readFileSync(join(this.dir, m.stableLog)).subarray(0, m.stableLogBytes);
    const pages = new Map<number, Uint8Array>();
    for (let off = 0; off + RECORD <= bytes.length; off += RECORD) {
      pages.set(bytes.readUInt32LE(off), new Uint8Array(bytes.subarray(off + 4, off + RECORD)));
    }
    c.stable.restorePages(m.stablePages, pages);
    this.logs.set(m.id, { file: m.stableLog, bytes: m.stableLogBytes, saved: new Map(pages) });
    return c;
  }

  /** Removes files no manifest refers to (older heaps, replaced logs, half-written temp files). */
  private collectGarbage(manifest: Manifest): void {
    const keep = new Set<string>(['manifest.json']);
    for (const c of manifest.canisters) {
      if (c.wasm) keep.add(c.wasm);
      if (c.heap) keep.add(c.heap);
      keep.add(c.stableLog);
    }
    for (const name of readdirSync(this.dir)) {
      if (!keep.has(name) && /^(heap-|stable-|wasm-|.*\.tmp$)/.test(name)) rmSync(join(this.dir, name), { force: true });
    }
  }
}

function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeDurably(tmp, bytes);
  renameSync(tmp, path);
}
