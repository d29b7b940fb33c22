// In-memory stand-ins for the canister's platform: a KeyValueStore ordered like a StableBTreeMap
// (byte-wise keys), a clock, an instruction counter that hashing advances at a chosen cost per
// byte, and a timer queue the test runs by hand.
import { sha256, Sha256 } from '../../../src/backend/hash/sha256.js';
import { Backend, type Stores } from '../../../src/backend/backend.js';
import type { InitArgsInput } from '../../../src/backend/init_args.js';
import type { KeyValueStore } from '../../../src/backend/kv.js';
import type { Platform } from '../../../src/backend/platform.js';
import type { Absorb } from '../../../src/backend/session/hashing.js';
import { fromSha256State, toSha256State, type AbsorbOptions, type AbsorbResult } from '../../../src/backend/native/midstate.js';

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, [Uint8Array, Uint8Array]>();

  get(key: Uint8Array) {
    return this.entries.get(hexOf(key))?.[1];
  }

  insert(key: Uint8Array, value: Uint8Array) {
    const previous = this.get(key);
    // Copy, as stable memory does: later changes to the caller's array must not show through.
    this.entries.set(hexOf(key), [key.slice(), value.slice()]);
    return previous;
  }

  remove(key: Uint8Array) {
    const previous = this.get(key);
    this.entries.delete(hexOf(key));
    return previous;
  }

  containsKey(key: Uint8Array) {
    return this.entries.has(hexOf(key));
  }

  len() {
    return this.entries.size;
  }

  items(startIndex = 0, length = Number.MAX_SAFE_INTEGER): [Uint8Array, Uint8Array][] {
    // Hex strings of bytes sort exactly like the bytes (Rust's Vec<u8> order).
    const sorted = [...this.entries.keys()].sort();
    return sorted.slice(startIndex, startIndex + length).map((k) => {
      const [key, value] = this.entries.get(k)!;
      return [key.slice(), value.slice()];
    });
  }

  snapshotEntries(): Map<string, [Uint8Array, Uint8Array]> {
    return new Map(this.entries);
  }

  restoreEntries(entries: Map<string, [Uint8Array, Uint8Array]>) {
    this.entries.clear();
    for (const [k, v] of entries) this.entries.set(k, v);
  }

  totalBytes(): number {
    let total = 0;
    for (const [key, value] of this.entries.values()) total += key.length + value.length;
    return total;
  }
}

export function memoryStores(): Stores {
  return {
    config: new MemoryStore(),
    sessions: new MemoryStore(),
    chunks: new MemoryStore(),
    smallChunks: new MemoryStore(),
    mediumChunks: new MemoryStore(),
    blobs: new MemoryStore(),
    assets: new MemoryStore(),
    hashStates: new MemoryStore(),
    garbage: new MemoryStore(),
    openSessions: new MemoryStore(),
    closedQueue: new MemoryStore(),
    ownerUploads: new MemoryStore(),
    ownerAssets: new MemoryStore(),
    ownerTotals: new MemoryStore(),
    idempotency: new MemoryStore(),
    httpTree: new MemoryStore(),
    chunkDigests: new MemoryStore(),
    httpPending: new MemoryStore(),
    httpServed: new MemoryStore()
  };
}

export const CANISTER_INSTRUCTIONS_PER_BYTE = 8_650;
export const UPDATE_LIMIT = 40_000_000_000n;
export const QUERY_LIMIT = 5_000_000_000n;

interface FakeTimer {
  due: bigint;
  run: () => void | Promise<void>;
  /** Set for setTimerInterval: rescheduled after every run, even one that trapped. */
  periodSeconds?: number;
}

/** What a trapped message rolls back: its heap changes, store writes and timers it set. */
type Rollback = () => void;

/**
 * Snapshots every object reachable from `roots` (own properties, Map/Set entries, typed array
 * bytes) and answers a function that restores them in place: the IC discards a trapped message's
 * heap changes, and so does this. MemoryStores are snapshotted by their entry map (their values
 * are never mutated in place); FakePlatforms by their timer list (time and counters move on).
 */
export function snapshotHeap(...roots: object[]): Rollback {
  const restores: Rollback[] = [];
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    const object = value as object;
    if (seen.has(object) || typeof value === 'function') return;
    seen.add(object);
    if (object instanceof MemoryStore) {
      const entries = object.snapshotEntries();
      restores.push(() => object.restoreEntries(entries));
      return;
    }
    if (object instanceof FakePlatform) {
      const timers = [...object.timers];
      restores.push(() => (object.timers = [...timers]));
      return;
    }
    if (ArrayBuffer.isView(object)) {
      const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
      const copy = bytes.slice();
      restores.push(() => bytes.set(copy));
      return;
    }
    if (object instanceof Map) {
      const entries = [...object.entries()];
      restores.push(() => {
        object.clear();
        for (const [k, v] of entries) object.set(k, v);
      });
      for (const [k, v] of entries) {
        visit(k);
        visit(v);
      }
    } else if (object instanceof Set) {
      const values = [...object];
      restores.push(() => {
        object.clear();
        for (const v of values) object.add(v);
      });
      for (const v of values) visit(v);
    }
    const own = Object.getOwnPropertyDescriptors(object);
    const record = object as Record<string | symbol, unknown>;
    const names = Reflect.ownKeys(own).filter((k) => 'value' in own[k as string] && own[k as string].writable);
    const values = names.map((k) => record[k]);
    restores.push(() => {
      for (const k of Reflect.ownKeys(object)) if (!names.includes(k) && Object.getOwnPropertyDescriptor(object, k)?.configurable) delete record[k];
      names.forEach((k, i) => (record[k] = values[i]));
    });
    for (const v of values) visit(v);
  };
  for (const root of roots) visit(root);
  return () => {
    for (const restore of restores) restore();
  };
}

export class FakePlatform implements Platform {
  now = 1_700_000_000_000_000_000n;
  instructions = 0n;
  /** The most any message used: must stay under the IC's limit. */
  maxInstructions = 0n;
  controllers = new Set<string>();
  timers: FakeTimer[] = [];
  /**
   * With heap roots set (see trapsRollBack), a message that throws is rolled back as the IC rolls
   * back a trap: heap reachable from the roots, stores and timers as before the message.
   */
  private heapRoots: object[] = [];
  /** Timer runs that trapped (and were rolled back). */
  traps: unknown[] = [];

  time() {
    return this.now;
  }

  instructionCounter() {
    return this.instructions;
  }

  isController(principal: Uint8Array) {
    return this.controllers.has(hexOf(principal));
  }

  setTimer(delaySeconds: number, callback: () => void | Promise<void>) {
    this.timers.push({ due: this.now + BigInt(delaySeconds) * 1_000_000_000n, run: callback });
  }

  setTimerInterval(periodSeconds: number, callback: () => void) {
    this.timers.push({ due: this.now + BigInt(periodSeconds) * 1_000_000_000n, run: callback, periodSeconds });
  }

  /** From now on, a message that throws rolls back everything reachable from `roots`. */
  trapsRollBack(...roots: object[]) {
    this.heapRoots = roots;
  }

  /** Runs `body` as one message: the counter starts at zero (plus the argument's decoding). */
  message<T>(body: () => T, argumentBytes = 0, limit = UPDATE_LIMIT): T {
    this.instructions = BigInt(argumentBytes * 18);
    const rollback = this.heapRoots.length > 0 ? snapshotHeap(this, ...this.heapRoots) : undefined;
    try {
      const result = body();
      if (this.instructions > limit) throw new Error(`message used ${this.instructions} instructions`);
      return result;
    } catch (error) {
      rollback?.();
      throw error;
    } finally {
      if (this.instructions > this.maxInstructions) this.maxInstructions = this.instructions;
    }
  }

  /**
   * Runs an async update (put_chunk, finish, a hashing timer) to its end: each native hashing call
   * the fake absorb answers is a message of its own on the IC, so no rollback spans the awaits.
   */
  async messageAsync<T>(body: () => Promise<T>, argumentBytes = 0): Promise<T> {
    this.instructions = BigInt(argumentBytes * 18);
    const result = await body();
    if (this.instructions > this.maxInstructions) this.maxInstructions = this.instructions;
    return result;
  }

  /** runDueTimers for async timers (hashing): each run awaited; answers how many ran. */
  async runDueTimersAsync(): Promise<number> {
    const due = this.timers.filter((t) => t.due <= this.now);
    this.timers = this.timers.filter((t) => t.due > this.now);
    for (const timer of due) {
      await this.messageAsync(async () => timer.run());
      if (timer.periodSeconds !== undefined) this.setTimerInterval(timer.periodSeconds, timer.run);
    }
    return due.length;
  }

  /** A query: the 5 billion instruction limit. */
  query<T>(body: () => T): T {
    return this.message(body, 0, QUERY_LIMIT);
  }

  /**
   * Runs the timers due now, each as its own message; answers how many ran. Like ic-cdk-timers:
   * a timer is taken off the queue before its message runs, so a trap does not bring it back,
   * but an interval timer is rescheduled whatever its run did. With trapsRollBack, a trapping
   * run is recorded in `traps` instead of thrown.
   */
  runDueTimers(): number {
    const due = this.timers.filter((t) => t.due <= this.now);
    this.timers = this.timers.filter((t) => t.due > this.now);
    for (const timer of due) {
      try {
        this.message(timer.run as () => void);
      } catch (error) {
        if (this.heapRoots.length === 0) throw error;
        this.traps.push(error);
      }
      if (timer.periodSeconds !== undefined) this.setTimerInterval(timer.periodSeconds, timer.run);
    }
    return due.length;
  }

  advance(seconds: number) {
    this.now += BigInt(seconds) * 1_000_000_000n;
  }
}

let meteredPlatform: FakePlatform | undefined;
let costPerByte = CANISTER_INSTRUCTIONS_PER_BYTE;
const originalUpdate = Sha256.prototype.update;
/** Makes every Sha256.update charge the platform's counter, as QuickJS would. */
Sha256.prototype.update = function (this: Sha256, bytes: Uint8Array) {
  if (meteredPlatform !== undefined) meteredPlatform.instructions += BigInt(bytes.length * costPerByte);
  return originalUpdate.call(this, bytes);
};

export function meter(platform: FakePlatform | undefined, perByte = CANISTER_INSTRUCTIONS_PER_BYTE) {
  meteredPlatform = platform;
  costPerByte = perByte;
}

/**
 * The native method's contract in JavaScript (the canister makes a self-call): the midstate
 * advanced by `bytes`, and the digest of those bytes alone when asked. Counts its calls.
 */
export const fakeAbsorb: Absorb & { calls: number; chunkDigestsAsked: number; finalsAsked: number } = Object.assign(
  async (midstate: Uint8Array, bytes: Uint8Array, options: AbsorbOptions = {}): Promise<AbsorbResult> => {
    fakeAbsorb.calls++;
    if (options.chunkDigest) fakeAbsorb.chunkDigestsAsked++;
    if (options.final) fakeAbsorb.finalsAsked++;
    await Promise.resolve();
    // Native work runs in the method's own message: nothing charged to the caller's.
    const metered = meteredPlatform;
    meteredPlatform = undefined;
    try {
      const hasher = Sha256.importState(toSha256State(midstate));
      hasher.update(bytes);
      const state = hasher.exportState();
      return {
        kind: 'ok',
        midstate: fromSha256State(state)!,
        digest: options.final ? Sha256.importState(state).digest() : undefined,
        chunkDigest: options.chunkDigest ? sha256(bytes) : undefined
      };
    } finally {
      meteredPlatform = metered;
    }
  },
  { calls: 0, chunkDigestsAsked: 0, finalsAsked: 0 }
);

export const ALICE = Uint8Array.of(1, 1, 1, 1, 1);
export const BOB = Uint8Array.of(2, 2, 2, 2, 2);
export const ADMIN = Uint8Array.of(9, 9, 9);

export function newBackend(initArgs?: InitArgsInput, stores = memoryStores(), platform = new FakePlatform()) {
  platform.controllers.add(hexOf(ADMIN));
  const backend = new Backend(stores, platform, fakeAbsorb);
  platform.message(() => backend.lifecycle.init(initArgs));
  meter(platform);
  return { backend, stores, platform };
}

/** After an upgrade: a new heap (new Backend) over the same stores. */
export function upgradeBackend(
  old: { backend: Backend; stores: Stores; platform: FakePlatform },
  initArgs?: InitArgsInput,
  runPreUpgrade = true
) {
  if (runPreUpgrade) old.platform.message(() => old.backend.lifecycle.preUpgrade());
  old.platform.timers = [];
  const backend = new Backend(old.stores, old.platform, fakeAbsorb);
  old.platform.message(() => backend.lifecycle.postUpgrade(initArgs));
  return { backend, stores: old.stores, platform: old.platform };
}

export { pseudoRandomBytes as pseudoRandom } from '../../support/bytes.js';
