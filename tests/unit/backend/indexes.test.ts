// The stable-map indexes against plain references under random operations (IdLists, the owner
// skip list), and the rules built on them: quotas answered with LimitExceeded changing nothing,
// idempotent begin, list_assets_page's `next` exactly when more remain.
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import type { BeginInput } from '../../../src/backend/assert.js';
import { OwnerAssetIndex } from '../../../src/backend/assets/owner_index.js';
import { IdLists } from '../../../src/backend/session/id_lists.js';
import { ALICE, BOB, MemoryStore, newBackend, upgradeBackend } from './fakes.js';

function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('IdLists', () => {
  it('matches an array under random pushes and removals, in two lists of one store', async () => {
    const store = new MemoryStore();
    const lists = new IdLists(store);
    const names = [Uint8Array.of(1), Uint8Array.of(2)];
    const reference: bigint[][] = [[], []];
    const random = xorshift(7);
    for (let step = 0; step < 2_000; step++) {
      const which = random() < 0.5 ? 0 : 1;
      const id = BigInt(1 + Math.floor(random() * 60));
      if (random() < 0.6) {
        lists.pushFront(names[which]!, id);
        if (!reference[which]!.includes(id)) reference[which]!.unshift(id);
      } else {
        const at = reference[which]!.indexOf(id);
        expect(lists.remove(names[which]!, id)).toBe(at >= 0);
        if (at >= 0) reference[which]!.splice(at, 1);
      }
      if (step % 100 === 0) for (const w of [0, 1]) expect([...lists.walk(names[w]!)]).toEqual(reference[w]);
    }
    for (const w of [0, 1]) {
      for (const id of [...reference[w]!]) lists.remove(names[w]!, id);
      expect([...lists.walk(names[w]!)]).toEqual([]);
    }
    expect(store.len()).toBe(0);
  });
});

describe('OwnerAssetIndex', () => {
  it('seeks and walks like a sorted array under random inserts and removals, owners apart', async () => {
    const store = new MemoryStore();
    const index = new OwnerAssetIndex(store, 12345);
    const owners = [Uint8Array.of(1, 1), Uint8Array.of(1, 1, 1)];
    const reference = [new Set<string>(), new Set<string>()];
    const random = xorshift(11);
    const idOf = () => `a/${Math.floor(random() * 400).toString(36)}`;
    for (let step = 0; step < 3_000; step++) {
      const o = random() < 0.7 ? 0 : 1;
      const id = idOf();
      if (random() < 0.65) {
        expect(index.insert(owners[o]!, id)).toBe(!reference[o]!.has(id));
        reference[o]!.add(id);
      } else {
        expect(index.remove(owners[o]!, id)).toBe(reference[o]!.has(id));
        reference[o]!.delete(id);
      }
      if (step % 150 === 0) {
        for (const w of [0, 1]) {
          const sorted = [...reference[w]!].sort();
          expect([...index.after(owners[w]!, undefined)]).toEqual(sorted);
          const from = idOf();
          expect([...index.after(owners[w]!, from)]).toEqual(sorted.filter((x) => x > from));
        }
      }
    }
    for (const w of [0, 1]) for (const id of reference[w]!) index.remove(owners[w]!, id);
    expect(store.len()).toBe(0);
  });
});

const EMPTY = new Uint8Array(0);
const begin = (assetId: string, overrides: Partial<BeginInput> = {}): BeginInput => ({
  asset_id: assetId,
  variant: 'original',
  file_name: 'f',
  content_type: '',
  size: 0n,
  chunk_size: 1,
  sha256: sha256(EMPTY),
  ...overrides
});

function ok<T>(result: { Ok: T } | { Err: unknown }): T {
  if ('Err' in result) throw new Error(`expected Ok, got ${JSON.stringify(result.Err, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return result.Ok;
}

/** Everything stored, to compare before and after an Err. */
function snapshot(stores: ReturnType<typeof newBackend>['stores']) {
  return Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, [...(store as MemoryStore).snapshotEntries().keys()].sort()]));
}

describe('quotas', () => {
  it('max_open_uploads: the whole canister, answered LimitExceeded naming it, changing nothing', async () => {
    const { backend, stores, platform } = newBackend({ max_open_uploads: [2n] });
    ok(platform.message(() => backend.uploads.begin(ALICE, begin('q1'))));
    ok(platform.message(() => backend.uploads.begin(BOB, begin('q2'))));
    const before = snapshot(stores);
    const refused = platform.message(() => backend.uploads.begin(ALICE, begin('q3')));
    expect(refused).toEqual({ Err: { LimitExceeded: expect.stringContaining('max_open_uploads') } });
    expect(snapshot(stores)).toEqual(before);
  });

  it('max_assets_per_caller counts the owner’s assets; a new variant of one is no new asset', async () => {
    const { backend, stores, platform } = newBackend({ max_assets_per_caller: [2n] });
    for (const id of ['a1', 'a2']) {
      const s = ok(platform.message(() => backend.uploads.begin(ALICE, begin(id))));
      ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, s.uploadId, undefined)));
    }
    const before = snapshot(stores);
    expect(platform.message(() => backend.uploads.begin(ALICE, begin('a3')))).toEqual({ Err: { LimitExceeded: expect.stringContaining('max_assets_per_caller') } });
    expect(snapshot(stores)).toEqual(before);
    ok(platform.message(() => backend.uploads.begin(ALICE, begin('a1', { variant: 'thumb' }))));
    ok(platform.message(() => backend.uploads.begin(BOB, begin('b1'))));
    ok(platform.message(() => backend.assets.deleteAsset(ALICE, 'a2')));
    ok(platform.message(() => backend.uploads.begin(ALICE, begin('a3'))));
  });

  it('max_bytes_per_caller counts stored blobs and open uploads’ sizes, across an upgrade', async () => {
    const first = newBackend({ max_bytes_per_caller: [100n], max_chunk_bytes: [100] });
    const data = new Uint8Array(60).fill(3);
    const s = ok(first.platform.message(() => first.backend.uploads.begin(ALICE, begin('big', { size: 60n, chunk_size: 60, sha256: sha256(data) }))));
    ok(await first.platform.messageAsync(() => first.backend.uploads.putChunk(ALICE, s.uploadId, 0, data)));
    expect(first.platform.message(() => first.backend.uploads.begin(ALICE, begin('more', { size: 41n, chunk_size: 41 })))).toEqual({
      Err: { LimitExceeded: expect.stringContaining('max_bytes_per_caller') }
    });
    ok(await first.platform.messageAsync(() => first.backend.uploads.finish(ALICE, s.uploadId, undefined)));
    const { backend, platform } = upgradeBackend(first);
    expect(platform.message(() => backend.uploads.begin(ALICE, begin('more', { size: 41n, chunk_size: 41 })))).toEqual({
      Err: { LimitExceeded: expect.stringContaining('max_bytes_per_caller') }
    });
    ok(platform.message(() => backend.uploads.begin(ALICE, begin('more', { size: 40n, chunk_size: 40 }))));
    ok(platform.message(() => backend.assets.deleteAsset(ALICE, 'big')));
    ok(platform.message(() => backend.uploads.begin(ALICE, begin('again', { size: 60n, chunk_size: 60 }))));
  });
});

describe('idempotent begin', () => {
  it('the same key and arguments answer the same upload; others InvalidArgument; after finish InvalidState', async () => {
    const { backend, stores, platform } = newBackend();
    const key = Uint8Array.of(1, 2, 3);
    const first = ok(platform.message(() => backend.uploads.begin(ALICE, begin('idem', { idempotency_key: key }))));
    const before = snapshot(stores);
    const again = ok(platform.message(() => backend.uploads.begin(ALICE, begin('idem', { idempotency_key: key }))));
    expect(again.uploadId).toBe(first.uploadId);
    expect(snapshot(stores)).toEqual(before);
    expect(platform.message(() => backend.uploads.begin(ALICE, begin('idem', { idempotency_key: key, file_name: 'other' })))).toEqual({
      Err: { InvalidArgument: expect.stringContaining(`upload ${first.uploadId}`) }
    });
    // Keys are the caller's own: Bob's same key is a new upload.
    expect(ok(platform.message(() => backend.uploads.begin(BOB, begin('idem-bob', { idempotency_key: key })))).uploadId).not.toBe(first.uploadId);
    ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, first.uploadId, undefined)));
    expect(platform.message(() => backend.uploads.begin(ALICE, begin('idem', { idempotency_key: key })))).toEqual({
      Err: { InvalidState: expect.stringContaining(`upload ${first.uploadId}`) }
    });
    expect(platform.message(() => backend.uploads.begin(ALICE, begin('idem', { idempotency_key: new Uint8Array(33) })))).toEqual({
      Err: { InvalidArgument: expect.stringContaining('idempotency_key') }
    });
  });
});

describe('list_assets_page', () => {
  it('answers next exactly when more remain, at every page size', async () => {
    const { backend, platform } = newBackend({ max_open_uploads_per_caller: [64] });
    const ids = Array.from({ length: 23 }, (_, n) => `p${String(n).padStart(2, '0')}`);
    for (const id of [...ids].reverse()) {
      const s = ok(platform.message(() => backend.uploads.begin(ALICE, begin(id))));
      ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, s.uploadId, undefined)));
    }
    for (const size of [1, 5, 22, 23, 24, 100]) {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = platform.query(() => backend.assets.listAssetsPage(ALICE, after, size));
        seen.push(...page.assets.map((v) => v.asset.assetId));
        if (page.next === undefined) break;
        expect(page.next).toBe(page.assets.at(-1)!.asset.assetId);
        after = page.next;
      }
      expect(seen).toEqual(ids);
    }
    expect(platform.query(() => backend.assets.listAssetsPage(BOB, undefined, 10))).toEqual({ assets: [], next: undefined });
  });
});
