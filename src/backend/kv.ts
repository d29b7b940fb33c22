// The byte-level key-value store every service works on. Azle's StableBTreeMap with identity
// serializers satisfies it in the canister; tests use an in-memory fake with the same ordering
// (keys compare as byte strings, like Rust's Vec<u8>).

export interface KeyValueStore {
  get(key: Uint8Array): Uint8Array | undefined;
  /** Answers the previous value, if any. */
  insert(key: Uint8Array, value: Uint8Array): Uint8Array | undefined;
  /** Answers the removed value, if any. */
  remove(key: Uint8Array): Uint8Array | undefined;
  containsKey(key: Uint8Array): boolean;
  len(): number;
  /** Entries in key order, from position `startIndex`, at most `length`. */
  items(startIndex?: number, length?: number): [Uint8Array, Uint8Array][];
}

/** Identity (de)serializer: our values are already encoded (./model/codec.ts). */
export const rawBytes = {
  toBytes: (data: Uint8Array): Uint8Array => data,
  fromBytes: (bytes: Uint8Array): Uint8Array => bytes
};

/** A tally that a CountingStore keeps up to date: bytes of keys and values held. */
export interface ByteTally {
  add(delta: number): void;
}

/**
 * Wraps a store and reports every change in the bytes it holds (keys + values), so that `stats`
 * can answer exactly without scanning stable memory.
 */
export class CountingStore implements KeyValueStore {
  constructor(
    private readonly inner: KeyValueStore,
    private readonly tally: ByteTally
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.inner.get(key);
  }

  insert(key: Uint8Array, value: Uint8Array): Uint8Array | undefined {
    const previous = this.inner.insert(key, value);
    this.tally.add(previous === undefined ? key.length + value.length : value.length - previous.length);
    return previous;
  }

  remove(key: Uint8Array): Uint8Array | undefined {
    const removed = this.inner.remove(key);
    if (removed !== undefined) this.tally.add(-(key.length + removed.length));
    return removed;
  }

  containsKey(key: Uint8Array): boolean {
    return this.inner.containsKey(key);
  }

  len(): number {
    return this.inner.len();
  }

  items(startIndex?: number, length?: number): [Uint8Array, Uint8Array][] {
    return this.inner.items(startIndex, length);
  }
}
