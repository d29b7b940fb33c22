// A replica's state in a folder, so `ic-upload replica` survives restarts like `dfx start`.
//
// Layout: `manifest.json` names everything that makes up one consistent state (a checkpoint);
// it is replaced atomically (write, fsync, rename, fsync the folder), so a kill at any moment
// leaves the previous or the next checkpoint, never a mix. Wasm modules are stored by hash;
// each canister's heap and stable memory are page logs (page_log.ts) to which a checkpoint
// appends only the pages that changed. The manifest carries its own checksum, every page
// record carries one, and the Wasm files are checked against the hash in their name.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Canister, type ReplicaOptions } from './canister.js';
import type { IngressRecord } from './http/state_tree.js';
import { RECORD_BYTES, appendPages, createPageLog, readPageLog, type PageLogRef } from './page_log.js';
import { fromHex, toHex } from '../shared/bytes.js';
import { WASM_PAGE } from './stable_memory.js';
import { StateMachine } from './state_machine.js';
import { DamagedStateError, StateDirError, WrittenBytes, sha256, writeAtomically } from './state_files.js';

export { DamagedStateError, StateDirError } from './state_files.js';

const FORMAT = 2;
const MANIFEST = 'manifest.json';
/** A page log is rewritten once it holds this much more than its live pages. */
const COMPACT_SLACK_BYTES = 4 * 1024 * 1024;

interface MemoryManifest {
  pages: number;
  log: string;
  logBytes: number;
}

interface CanisterManifest {
  id: string;
  controllers: string[];
  cycles: string;
  status: 'running' | 'stopping' | 'stopped';
  version: string;
  certifiedData: string;
  globalTimer: string;
  wasm?: string;
  globals?: Array<string | number>;
  heap?: MemoryManifest;
  stable: MemoryManifest;
}

interface IngressManifest {
  id: string;
  sender: string;
  receiver: string;
  expiry: string;
}

interface Manifest {
  format: number;
  generation: number;
  time: string;
  nextCanister: string;
  canisters: CanisterManifest[];
  /** Request ids the HTTP interface answered, kept until their expiry has long passed. */
  ingress: IngressManifest[];
  /** The input log (input_log.ts) of what happened after this checkpoint, replayed at load. */
  inputLog?: string;
}

/** What the folder holds besides the canisters: the HTTP interface's memory of requests. */
export type IngressHistory = Map<string, IngressRecord>;

/** One memory's page log and the pages it already holds (what a checkpoint compares against). */
interface MemoryLog extends PageLogRef {
  /** Heap: copies of the bytes saved. Stable: the page objects saved (copy-on-write, never written in place). */
  saved: Map<number, Uint8Array>;
  livePages: number;
}

export interface LoadedState {
  machine: StateMachine;
  ingress: IngressHistory;
  /** The input log that follows the checkpoint, if any. */
  inputLog?: string;
}

export class ReplicaStateDir {
  private generation = 0;
  private readonly heaps = new Map<string, MemoryLog>();
  private readonly stables = new Map<string, MemoryLog>();
  /** Bytes this process wrote to the folder (page records, manifests, Wasm), for the benchmark. */
  readonly written = new WrittenBytes();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  get exists(): boolean {
    return existsSync(join(this.dir, MANIFEST));
  }

  /** Loads the last checkpoint, checking every file it names; throws DamagedStateError. */
  load(options: ReplicaOptions): LoadedState {
    const manifest = this.readManifest();
    this.generation = manifest.generation;
    const machine = new StateMachine(options);
    const canisters = manifest.canisters.map((m) => this.loadCanister(m, options));
    machine.restore({ time: BigInt(manifest.time), nextCanister: BigInt(manifest.nextCanister) }, canisters);
    const ingress: IngressHistory = new Map(
      manifest.ingress.map((r) => [r.id, { sender: fromHex(r.sender), receiver: fromHex(r.receiver), ingressExpiry: BigInt(r.expiry) }])
    );
    return { machine, ingress, ...(manifest.inputLog ? { inputLog: manifest.inputLog } : {}) };
  }

  /** Writes a checkpoint of the machine; call it between rounds (nothing in flight). */
  save(machine: StateMachine, ingress: IngressHistory = new Map(), inputLog?: string): void {
    const generation = this.generation + 1;
    const canisters = machine.allCanisters().map((c) => this.saveCanister(c, generation));
    const meta = machine.meta();
    const manifest: Manifest = {
      format: FORMAT,
      generation,
      time: meta.time.toString(),
      nextCanister: meta.nextCanister.toString(),
      canisters,
      ingress: [...ingress].map(([id, r]) => ({ id, sender: toHex(r.sender), receiver: toHex(r.receiver), expiry: r.ingressExpiry.toString() })),
      ...(inputLog ? { inputLog } : {})
    };
    const body = JSON.stringify(manifest);
    const bytes = Buffer.from(JSON.stringify({ sha256: sha256(Buffer.from(body)).toString('hex'), manifest: body }) + '\n');
    writeAtomically(join(this.dir, MANIFEST), bytes);
    this.written.add('manifest', bytes.length);
    this.generation = generation;
    this.collectGarbage(manifest);
  }

  private readManifest(): Manifest {
    const path = join(this.dir, MANIFEST);
    let outer: { sha256?: unknown; manifest?: unknown };
    try {
      outer = JSON.parse(readFileSync(path, 'utf8')) as typeof outer;
    } catch (e) {
      throw new DamagedStateError(path, 'unreadable', (e as Error).message);
    }
    if (typeof outer !== 'object' || outer === null || typeof outer.manifest !== 'string' || typeof outer.sha256 !== 'string') {
      if (typeof (outer as { format?: unknown })?.format === 'number') {
        throw new StateDirError(`the replica state in ${this.dir} was written by an older ic-upload (format ${(outer as { format: number }).format}); move it away to start afresh`);
      }
      throw new DamagedStateError(path, 'format', 'not a replica manifest');
    }
    if (sha256(Buffer.from(outer.manifest)).toString('hex') !== outer.sha256) {
      throw new DamagedStateError(path, 'checksum', 'its contents do not match its checksum');
    }
    const manifest = JSON.parse(outer.manifest) as Manifest;
    if (manifest.format !== FORMAT) throw new StateDirError(`unknown replica state format ${manifest.format} in ${path}`);
    return manifest;
  }

  private saveCanister(c: Canister, generation: number): CanisterManifest {
    const id = toHex(c.id);
    let wasm: string | undefined;
    if (c.wasmBytes && c.moduleHash) {
      wasm = `wasm-${toHex(c.moduleHash)}.wasm`;
      if (!existsSync(join(this.dir, wasm))) {
        writeAtomically(join(this.dir, wasm), c.wasmBytes);
        this.written.add('wasm', c.wasmBytes.length);
      }
    }
    const image = c.heapImage();
    const heap = image ? this.saveHeap(id, image.heap, generation) : undefined;
    if (!image) this.heaps.delete(id);
    return {
      id,
      controllers: c.controllers.map(toHex),
      cycles: c.cycles.toString(),
      status: c.status,
      version: c.version().toString(),
      certifiedData: toHex(c.certifiedData),
      globalTimer: c.globalTimer.toString(),
      wasm,
      globals: image?.globals.map((g) => (typeof g === 'bigint' ? `${g}n` : (g as number))),
      heap,
      stable: this.saveStable(id, c, generation)
    };
  }

  /** The heap is written in place by the Wasm: changed pages are found by comparing with copies. */
  private saveHeap(id: string, heap: Uint8Array, generation: number): MemoryManifest {
    const pages = heap.length / WASM_PAGE;
    let log = this.heaps.get(id);
    // A smaller heap (reinstall, upgrade) can't be expressed by appending.
    if (log && [...log.saved.keys()].some((i) => i >= pages)) log = undefined;
    const changed: Array<[number, Uint8Array]> = [];
    let live = 0;
    for (let i = 0; i < pages; i++) {
      const page = heap.subarray(i * WASM_PAGE, (i + 1) * WASM_PAGE);
      const before = log?.saved.get(i);
      const zero = isZero(page);
      if (!zero) live++;
      if (before ? !Buffer.from(before.buffer, before.byteOffset, before.length).equals(page) : !zero) changed.push([i, page]);
    }
    log = this.fresh(log, live, `heap-${id}-${generation}`, this.heaps, id);
    if (log.bytes === 0) {
      changed.length = 0;
      for (let i = 0; i < pages; i++) {
        const page = heap.subarray(i * WASM_PAGE, (i + 1) * WASM_PAGE);
        if (!isZero(page)) changed.push([i, page]);
      }
    }
    const entry = log;
    if (changed.length > 0) {
      entry.bytes = appendPages(this.dir, entry, changed, this.written, 'heap');
      for (const [i, page] of changed) entry.saved.set(i, page.slice());
    }
    entry.livePages = live;
    return { pages, log: entry.file, logBytes: entry.bytes };
  }

  /** Stable pages are copy-on-write objects: a page object not saved before is a changed page. */
  private saveStable(id: string, c: Canister, generation: number): MemoryManifest {
    let log = this.stables.get(id);
    const live = new Map(c.stable.nonEmptyPages());
    // A page that disappeared (reinstall, set_stable_memory) can't be expressed by appending.
    if (log && [...log.saved.keys()].some((i) => !live.has(i))) log = undefined;
    log = this.fresh(log, live.size, `stable-${id}-${generation}`, this.stables, id);
    const saved = log.saved;
    const changed = [...live].filter(([i, page]) => saved.get(i) !== page);
    if (changed.length > 0) {
      log.bytes = appendPages(this.dir, log, changed, this.written, 'stable');
      for (const [i, page] of changed) saved.set(i, page);
    }
    log.livePages = live.size;
    return { pages: c.stable.size, log: log.file, logBytes: log.bytes };
  }

  /** The log to append to: the current one, or a new one when none is usable or it has grown too big. */
  private fresh(log: MemoryLog | undefined, livePages: number, prefix: string, logs: Map<string, MemoryLog>, id: string): MemoryLog {
    if (log && log.bytes <= 2 * livePages * RECORD_BYTES + COMPACT_SLACK_BYTES) return log;
    const created: MemoryLog = { ...createPageLog(this.dir, `${prefix}-${randomUUID()}.log`), saved: new Map(), livePages };
    logs.set(id, created);
    return created;
  }

  private loadCanister(m: CanisterManifest, options: ReplicaOptions): Canister {
    const c = new Canister(fromHex(m.id), m.controllers.map(fromHex), BigInt(m.cycles), options);
    c.status = m.status;
    c.certifiedData = fromHex(m.certifiedData);
    c.globalTimer = BigInt(m.globalTimer);
    const globals = m.globals?.map((g) => (typeof g === 'string' && g.endsWith('n') ? BigInt(g.slice(0, -1)) : g));
    let heap: Uint8Array | undefined;
    if (m.heap) {
      const pages = readPageLog(this.dir, { file: m.heap.log, bytes: m.heap.logBytes }, m.heap.pages);
      heap = new Uint8Array(m.heap.pages * WASM_PAGE);
      for (const [i, page] of pages) heap.set(page, i * WASM_PAGE);
      this.heaps.set(m.id, { file: m.heap.log, bytes: m.heap.logBytes, saved: pages, livePages: pages.size });
    }
    c.restoreImage({ wasm: m.wasm ? this.readWasm(m.wasm) : undefined, heap, globals, version: BigInt(m.version) });
    const stable = readPageLog(this.dir, { file: m.stable.log, bytes: m.stable.logBytes }, m.stable.pages);
    c.stable.restorePages(m.stable.pages, stable);
    this.stables.set(m.id, { file: m.stable.log, bytes: m.stable.logBytes, saved: new Map(stable), livePages: stable.size });
    return c;
  }

  private readWasm(name: string): Uint8Array {
    const path = join(this.dir, name);
    if (!existsSync(path)) throw new DamagedStateError(path, 'missing', 'the file does not exist');
    const bytes = new Uint8Array(readFileSync(path));
    if (`wasm-${sha256(bytes).toString('hex')}.wasm` !== name) throw new DamagedStateError(path, 'checksum', 'its bytes do not match the hash in its name');
    return bytes;
  }

  /** Removes files no manifest refers to (replaced logs, half-written temporaries). */
  private collectGarbage(manifest: Manifest): void {
    const keep = new Set<string>([MANIFEST]);
    if (manifest.inputLog) keep.add(manifest.inputLog);
    for (const c of manifest.canisters) {
      if (c.wasm) keep.add(c.wasm);
      if (c.heap) keep.add(c.heap.log);
      keep.add(c.stable.log);
    }
    for (const name of readdirSync(this.dir)) {
      if (!keep.has(name) && /^(heap-|stable-|wasm-|input-|.*\.tmp$)/.test(name)) rmSync(join(this.dir, name), { force: true });
    }
  }
}

const ZERO_PAGE = Buffer.alloc(WASM_PAGE);

function isZero(page: Uint8Array): boolean {
  return ZERO_PAGE.equals(page);
}
