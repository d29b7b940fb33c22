// In-memory stand-ins for the canister's platform: a KeyValueStore ordered like a StableBTreeMap
// (byte-wise keys), a clock, an instruction counter that hashing advances at a chosen cost per
// byte, and a timer queue the test runs by hand.
import { Sha256 } from '../../../src/backend/hash/sha256.js';
import { Backend, type InitArgsInput, type Stores } from '../../../src/backend/backend.js';
import type { KeyValueStore } from '../../../src/backend/kv.js';
import type { Platform } from '../../../src/backend/platform.js';

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
    blobs: new MemoryStore(),
    assets: new MemoryStore(),
    hashStates: new MemoryStore(),
    garbage: new MemoryStore()
  };
}

export const CANISTER_INSTRUCTIONS_PER_BYTE = 8_650;
export const UPDATE_LIMIT = 40_000_000_000n;

export class FakePlatform implements Platform {
  now = 1_700_000_000_000_000_000n;
  instructions = 0n;
  /** The most any message used: must stay under the IC's limit. */
  maxInstructions = 0n;
  controllers = new Set<string>();
  timers: Array<{ due: bigint; run: () => void }> = [];

  time() {
    return this.now;
  }

  instructionCounter() {
    return this.instructions;
  }

  isController(principal: Uint8Array) {
    return this.controllers.has(hexOf(principal));
  }

  setTimer(delaySeconds: number, callback: () => void) {
    this.timers.push({ due: this.now + BigInt(delaySeconds) * 1_000_000_000n, run: callback });
  }

  /** Runs `body` as one message: the counter starts at zero (plus the argument's decoding). */
  message<T>(body: () => T, argumentBytes = 0): T {
    this.instructions = BigInt(argumentBytes * 18);
    try {
      return body();
    } finally {
      if (this.instructions > this.maxInstructions) this.maxInstructions = this.instructions;
      if (this.instructions > UPDATE_LIMIT) throw new Error(`message used ${this.instructions} instructions`);
    }
  }

  /** Runs the timers due now, each as its own message; answers how many ran. */
  runDueTimers(): number {
    const due = this.timers.filter((t) => t.due <= this.now);
    this.timers = this.timers.filter((t) => t.due > this.now);
    for (const timer of due) this.message(timer.run);
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

export const ALICE = Uint8Array.of(1, 1, 1, 1, 1);
export const BOB = Uint8Array.of(2, 2, 2, 2, 2);
export const ADMIN = Uint8Array.of(9, 9, 9);

export function newBackend(initArgs?: InitArgsInput, stores = memoryStores(), platform = new FakePlatform()) {
  platform.controllers.add(hexOf(ADMIN));
  const backend = new Backend(stores, platform);
  platform.message(() => backend.init(initArgs));
  meter(platform);
  return { backend, stores, platform };
}

/** After an upgrade: a new heap (new Backend) over the same stores. */
export function upgradeBackend(
  old: { backend: Backend; stores: Stores; platform: FakePlatform },
  initArgs?: InitArgsInput,
  runPreUpgrade = true
) {
  if (runPreUpgrade) old.platform.message(() => old.backend.preUpgrade());
  old.platform.timers = [];
  const backend = new Backend(old.stores, old.platform);
  old.platform.message(() => backend.postUpgrade(initArgs));
  return { backend, stores: old.stores, platform: old.platform };
}

export function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
