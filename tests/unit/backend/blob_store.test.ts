// The chunk maps by size class (src/backend/assets/blob_store.ts): which map a chunk lands in,
// at and beside the class limits; and chunks stored before the classes (all in the large map,
// whatever their size) still found, compared and freed.
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/backend/assets/blob_store.js';
import { chunkKey } from '../../../src/backend/keys.js';
import { MemoryStore } from './fakes.js';

function newStore() {
  const maps = { small: new MemoryStore(), medium: new MemoryStore(), large: new MemoryStore() };
  const tally = { stored: 0, addStored: (delta: number) => (tally.stored += delta) };
  const removed: number[] = [];
  const store = new BlobStore(maps, new MemoryStore(), tally, (_key, index) => removed.push(index));
  return { maps, tally, removed, store };
}

const session = (n: number) => new Uint8Array(32).fill(n);
const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
const lengths = (map: MemoryStore) => map.items().map(([, v]) => v.length);

describe('chunk size classes', () => {
  it('stores each chunk in the map of its size, at and beside the limits, and finds each', () => {
    const { maps, store, tally } = newStore();
    const sizes = [0, 1, 10_000, 65_536, 65_537, 524_288, 524_289, 2_000_000];
    sizes.forEach((size, index) => store.store(session(1), index, bytes(size, index)));
    expect(lengths(maps.small).sort((a, b) => a - b)).toEqual([0, 1, 10_000, 65_536]);
    expect(lengths(maps.medium).sort((a, b) => a - b)).toEqual([65_537, 524_288]);
    expect(lengths(maps.large).sort((a, b) => a - b)).toEqual([524_289, 2_000_000]);
    expect(tally.stored).toBe(sizes.reduce((a, b) => a + b, 0));
    sizes.forEach((size, index) => {
      expect(store.get(session(1), index)).toEqual(bytes(size, index));
      expect(store.compare(session(1), index, bytes(size, index))).toBe('same');
      expect(store.compare(session(1), index, bytes(size, index + 1))).toBe(size === 0 ? 'same' : 'conflict');
    });
    expect(store.get(session(2), 0)).toBeUndefined();
    expect(store.compare(session(2), 0, bytes(5, 0))).toBe('missing');
  });

  it('frees chunks from every class, and reports each removal once', () => {
    const { maps, store, tally, removed } = newStore();
    [100, 100_000, 600_000, 100].forEach((size, index) => store.store(session(3), index, bytes(size, index)));
    store.store(session(4), 0, bytes(100, 9));
    expect(store.free(session(3), 4, () => true)).toBe(true);
    expect(removed).toEqual([0, 1, 2, 3]);
    expect([maps.small.len(), maps.medium.len(), maps.large.len()]).toEqual([1, 0, 0]);
    expect(tally.stored).toBe(100);
    expect(store.get(session(4), 0)).toEqual(bytes(100, 9));
  });

  it('finds, compares and frees chunks the first layout stored in the large map, whatever their size', () => {
    const { maps, store, tally, removed } = newStore();
    // As a canister upgraded from before the classes holds them: small chunks in the large map.
    const old = [bytes(10, 1), bytes(70_000, 2), bytes(3, 3)];
    old.forEach((chunk, index) => maps.large.insert(chunkKey(session(5), index), chunk));
    tally.stored = 70_013;
    old.forEach((chunk, index) => expect(store.get(session(5), index)).toEqual(chunk));
    expect(store.compare(session(5), 0, bytes(10, 1))).toBe('same');
    expect(store.compare(session(5), 0, bytes(10, 2))).toBe('conflict');
    // An upload open across the upgrade gets its later chunks in the classes' maps.
    store.store(session(5), 3, bytes(10, 4));
    expect(maps.small.len()).toBe(1);
    expect(store.free(session(5), 4, () => true)).toBe(true);
    expect(removed).toEqual([0, 1, 2, 3]);
    expect([maps.small.len(), maps.medium.len(), maps.large.len()]).toEqual([0, 0, 0]);
    expect(tally.stored).toBe(0);
  });
});
