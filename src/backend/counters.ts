// Counters kept on the heap during a message and written to the config map once at its end
// (flush), so that a put_chunk writes them once however many maps it touched.
import { CONFIG_KEYS } from './memory.js';
import type { ByteTally, KeyValueStore } from './kv.js';
import { decodeCounters, encodeCounters, type Counters } from './model/counters_record.js';
import type { StoredBytesTally } from './assets/blob_store.js';

export class CounterState implements ByteTally, StoredBytesTally {
  private value: Counters = { nextUploadId: 1n, nextBlobId: 1n, storedBytes: 0n, mapBytes: 0n };
  private dirty = false;

  constructor(private readonly config: KeyValueStore) {}

  load(): void {
    const bytes = this.config.get(CONFIG_KEYS.counters);
    if (bytes !== undefined) this.value = decodeCounters(bytes);
    this.dirty = false;
  }

  get snapshot(): Readonly<Counters> {
    return this.value;
  }

  takeUploadId(): bigint {
    this.dirty = true;
    return this.value.nextUploadId++;
  }

  takeBlobId(): bigint {
    this.dirty = true;
    return this.value.nextBlobId++;
  }

  add(delta: number): void {
    if (delta === 0) return;
    this.value.mapBytes += BigInt(delta);
    this.dirty = true;
  }

  addStored(delta: number): void {
    if (delta === 0) return;
    this.value.storedBytes += BigInt(delta);
    this.dirty = true;
  }

  flush(): void {
    if (!this.dirty) return;
    this.config.insert(CONFIG_KEYS.counters, encodeCounters(this.value));
    this.dirty = false;
  }
}
