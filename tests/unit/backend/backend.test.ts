// The canister's services on in-memory stores: session state machine, hashing through the native
// method's contract (a JavaScript stand-in for the self-call), upgrades, expiry, and stats checked
// against the stores' real contents.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backend/backend.js';
import { applyInitArgs, InvalidInitArgs, MAX_CHUNK_BYTES_CEILING, type InitArgsInput } from '../../../src/backend/init_args.js';
import { DEFAULT_LIMITS } from '../../../src/backend/model/limits.js';
import { u64Key } from '../../../src/backend/encoding.js';
import { MEMORY_IDS } from '../../../src/backend/memory.js';
import type { BeginInput } from '../../../src/backend/assert.js';
import {
  fakeAbsorb,
  ADMIN,
  ALICE,
  BOB,
  FakePlatform,
  MemoryStore,
  meter,
  newBackend,
  pseudoRandom,
  UPDATE_LIMIT,
  upgradeBackend
} from './fakes.js';

afterEach(() => meter(undefined));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function beginInput(assetId: string, data: Uint8Array, chunkSize: number, overrides: Partial<BeginInput> = {}): BeginInput {
  return {
    asset_id: assetId,
    variant: 'original',
    file_name: 'f',
    content_type: 'application/octet-stream',
    size: BigInt(data.length),
    chunk_size: chunkSize,
    sha256: sha256(data),
    ...overrides
  };
}

function ok<T>(result: { Ok: T } | { Err: unknown }): T {
  if ('Err' in result) throw new Error(`expected Ok, got ${JSON.stringify(result.Err, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return result.Ok;
}

function chunk(data: Uint8Array, size: number, index: number) {
  return data.subarray(index * size, Math.min(data.length, (index + 1) * size));
}

/** mapBytes must equal the bytes really held by every store but config. */
function storedTotals(stores: ReturnType<typeof newBackend>['stores']) {
  let total = 0;
  for (const [name, store] of Object.entries(stores)) if (name !== 'config') total += (store as MemoryStore).totalBytes();
  return BigInt(total);
}

describe('session state machine', () => {
  it('open → finished, idempotent finish, then InvalidState for put and abort', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(2500, 1);
    const session = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('a', data, 1000))));
    expect(session.chunkCount).toBe(3);
    for (const i of [2, 0, 1]) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, session.uploadId, i, chunk(data, 1000, i))));
    const blob = ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, session.uploadId, undefined)));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    expect(ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, session.uploadId, undefined)))).toEqual(blob);
    expect(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, session.uploadId, 0, chunk(data, 1000, 0)))).toMatchObject({
      Err: { InvalidState: expect.any(String) }
    });
    expect(platform.message(() => backend.uploads.abort(ALICE, session.uploadId))).toMatchObject({ Err: { InvalidState: expect.any(String) } });
    const stats = backend.stats.read();
    expect(stats).toMatchObject({ openUploads: 0, blobs: 1, assets: 1, storedBytes: 2500n });
    expect(stats.stableMemoryBytes).toBe(storedTotals(stores));
  });

  it('abort frees chunks; an Err leaves every store byte-identical', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(3000, 2);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('b', data, 1000))));
    ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, 1, chunk(data, 1000, 1))));
    const snapshot = JSON.stringify(Object.values(stores).map((s: MemoryStore) => s.items().map(([k, v]) => [hex(k), hex(v)])));
    const bad = chunk(data, 1000, 1).slice();
    bad[0] ^= 1;
    for (const attempt of [
      () => backend.uploads.putChunk(ALICE, uploadId, 1, bad),
      () => backend.uploads.putChunk(ALICE, uploadId, 3, bad),
      () => backend.uploads.putChunk(ALICE, uploadId, 0, bad.subarray(1)),
      () => backend.uploads.putChunk(BOB, uploadId, 0, chunk(data, 1000, 0)),
      () => backend.uploads.finish(ALICE, uploadId, undefined),
      () => backend.uploads.begin(BOB, beginInput('', data, 1000)),
      () => backend.uploads.abort(BOB, uploadId)
    ] as Array<() => { Ok: unknown } | { Err: unknown } | Promise<{ Ok: unknown } | { Err: unknown }>>) {
      expect('Err' in (await platform.messageAsync(async () => attempt()))).toBe(true);
      expect(JSON.stringify(Object.values(stores).map((s: MemoryStore) => s.items().map(([k, v]) => [hex(k), hex(v)])))).toBe(snapshot);
    }
    ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    expect(backend.stats.read()).toMatchObject({ openUploads: 0, storedBytes: 0n });
    expect(stores.smallChunks.len()).toBe(0);
    expect(backend.stats.read().stableMemoryBytes).toBe(storedTotals(stores));
  });

  it('caps open uploads per caller and refuses the anonymous principal', async () => {
    const { backend, platform } = newBackend({
      max_chunk_bytes: [],
      max_upload_bytes: [],
      upload_idle_timeout_s: [],
      max_open_uploads_per_caller: [1]
    });
    const data = pseudoRandom(10, 3);
    ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('c', data, 10))));
    expect(platform.message(() => backend.uploads.begin(ALICE, beginInput('d', data, 10)))).toMatchObject({ Err: { LimitExceeded: expect.any(String) } });
    ok(platform.message(() => backend.uploads.begin(BOB, beginInput('d', data, 10))));
    expect(platform.message(() => backend.uploads.begin(Uint8Array.of(4), beginInput('e', data, 10)))).toMatchObject({
      Err: { Forbidden: expect.any(String) }
    });
  });

  it('a zero-byte upload has no chunks and finishes with the empty digest', async () => {
    const { backend, platform } = newBackend();
    const empty = new Uint8Array(0);
    const { uploadId, chunkCount } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('empty', empty, 1000))));
    expect(chunkCount).toBe(0);
    const blob = ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, undefined)));
    expect(hex(blob.sha256)).toBe(hex(sha256(empty)));
    expect(backend.assets.readChunk(ALICE, blob.blobId, 0)).toEqual({ Err: { ChunkOutOfRange: { index: 0, chunk_count: 0 } } });
  });

  it('controllers read and delete; variant replacement frees the old blob', async () => {
    const { backend, stores, platform } = newBackend();
    const one = pseudoRandom(1500, 4);
    const two = pseudoRandom(700, 5);
    const upload = async (data: Uint8Array) => {
      const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('asset', data, 1000))));
      for (let i = 0; i * 1000 < data.length; i++) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, 1000, i))));
      return ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, undefined)));
    };
    const first = await upload(one);
    const second = await upload(two);
    expect(backend.assets.blobInfo(ALICE, first.blobId)).toMatchObject({ Err: { NotFound: expect.any(String) } });
    expect(backend.stats.read()).toMatchObject({ blobs: 1, assets: 1, storedBytes: 700n });
    expect(backend.assets.getAsset(BOB, 'asset')).toMatchObject({ Err: { Forbidden: expect.any(String) } });
    expect(hex(ok(backend.assets.readChunk(ADMIN, second.blobId, 0)))).toBe(hex(two));
    ok(platform.message(() => backend.assets.deleteAsset(ADMIN, 'asset')));
    expect(backend.stats.read()).toMatchObject({ blobs: 0, assets: 0, storedBytes: 0n });
    expect(backend.stats.read().stableMemoryBytes).toBe(storedTotals(stores));
  });
});

describe('hashing through the native method', () => {
  it('20 chunks of 1.9 MB in reverse order: each hashed once, in order, HashPending never needed at the end', async () => {
    const { backend, platform } = newBackend();
    const size = 1_900_000;
    const data = pseudoRandom(20 * size, 6);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('rev', data, size, { public: true }))));
    const callsBefore = fakeAbsorb.calls;
    for (let i = 19; i >= 0; i--) {
      const ack = ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, size, i)), size));
      // put_chunk hashes its own chunk when it is the frontier, and hands the rest to a timer.
      expect(ack.hashed).toBe(i === 0 ? 1 : 0);
    }
    const blob = ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, undefined)));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    expect(fakeAbsorb.calls - callsBefore).toBe(20);
    for (let i = 0; i < 20; i++) expect(hex(backend.chunkDigests.get(blob, i)!)).toBe(hex(sha256(chunk(data, size, i))));
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
  });

  it('only uploads that finish public ask for chunk digests (a second SHA-256 pass); those written are a prefix', async () => {
    const { backend, platform } = newBackend();
    const size = 1000;
    const data = pseudoRandom(5 * size, 9);
    const put = async (uploadId: bigint) => {
      for (let i = 0; i < 5; i++) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, size, i)), size));
      return ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, undefined)));
    };
    const asked = () => fakeAbsorb.chunkDigestsAsked;
    // Private (public unset, no such asset yet): none asked, none written.
    let before = asked();
    const privateBlob = await put(ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('priv', data, size)))).uploadId);
    expect(asked() - before).toBe(0);
    for (let i = 0; i < 5; i++) expect(backend.chunkDigests.get(privateBlob, i)).toBeUndefined();
    expect(backend.chunkDigests.complete(privateBlob)).toBe(false);
    // public = opt true: one per chunk, each the chunk's own SHA-256.
    before = asked();
    const publicBlob = await put(ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('pub', data, size, { public: true })))).uploadId);
    expect(asked() - before).toBe(5);
    for (let i = 0; i < 5; i++) expect(hex(backend.chunkDigests.get(publicBlob, i)!)).toBe(hex(sha256(chunk(data, size, i))));
    // Unset, into an asset that is public now: it will be served, so digests too.
    before = asked();
    const intoPublic = await put(ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('pub', data, size, { variant: 'display' })))).uploadId);
    expect(asked() - before).toBe(5);
    expect(backend.chunkDigests.complete(intoPublic)).toBe(true);
    // Made public after chunk 0 was hashed without one: the rest follow chunk 0 (a prefix, empty).
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('priv', data, size, { variant: 'display' }))));
    before = asked();
    ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, 0, chunk(data, size, 0)), size));
    ok(platform.message(() => backend.assets.setPublic(ALICE, 'priv', true)));
    for (let i = 1; i < 5; i++) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, size, i)), size));
    const late = ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, undefined)));
    expect(asked() - before).toBe(0);
    expect(backend.chunkDigests.complete(late)).toBe(false);
  });

  it('a chunk arriving while a call is in flight waits its turn; finish answers HashPending while another message hashes', async () => {
    const { backend, platform } = newBackend();
    const data = pseudoRandom(3000, 9);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('busy', data, 1000))));
    const first = backend.uploads.putChunk(ALICE, uploadId, 0, chunk(data, 1000, 0));
    // Arrives while chunk 0's call is out: stored, answered at once, hashed later.
    expect(ok(await backend.uploads.putChunk(ALICE, uploadId, 1, chunk(data, 1000, 1)))).toEqual({ received: 2, hashed: 0 });
    expect(ok(await first)).toEqual({ received: 1, hashed: 1 });
    ok(await backend.uploads.putChunk(ALICE, uploadId, 2, chunk(data, 1000, 2)));
    while ((await platform.runDueTimersAsync()) > 0);
    const blob = ok(await backend.uploads.finish(ALICE, uploadId, undefined));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
  });
});

describe('upgrades', () => {
  it('restores midstates while hashing catches up and keeps limits given at install', async () => {
    const first = newBackend({ max_chunk_bytes: [1_900_000], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [] });
    const size = 1_900_000;
    const data = pseudoRandom(4 * size, 8);
    const { uploadId } = ok(first.platform.message(() => first.backend.uploads.begin(ALICE, beginInput('up', data, size))));
    for (const i of [3, 2, 1, 0]) ok(await first.platform.messageAsync(() => first.backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, size, i)), size));
    const before = ok(first.backend.uploads.status(ALICE, uploadId));
    expect(before.hashed).toBeLessThan(4);
    const second = upgradeBackend(first);
    const after = ok(second.backend.uploads.status(ALICE, uploadId));
    expect(after.hashed).toBe(before.hashed);
    expect(after.hashedOffset).toBe(before.hashedOffset);
    expect(second.stores.hashStates.len()).toBe(0);
    expect(second.backend.limits.current.maxChunkBytes).toBe(1_900_000);
    while ((await second.platform.runDueTimersAsync()) > 0);
    const blob = ok(await second.platform.messageAsync(() => second.backend.uploads.finish(ALICE, uploadId, undefined)));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    expect(second.backend.stats.read().stableMemoryBytes).toBe(storedTotals(second.stores));
  });

  it('a corrupted saved midstate is not trusted: hashing restarts from chunk 0', async () => {
    const first = newBackend();
    const data = pseudoRandom(300_000, 9);
    const { uploadId } = ok(first.platform.message(() => first.backend.uploads.begin(ALICE, beginInput('bad', data, 100_000))));
    ok(await first.platform.messageAsync(() => first.backend.uploads.putChunk(ALICE, uploadId, 0, chunk(data, 100_000, 0))));
    first.platform.message(() => first.backend.lifecycle.preUpgrade());
    const saved = first.stores.hashStates.get(u64Key(uploadId))!;
    first.stores.hashStates.insert(u64Key(uploadId), saved.subarray(0, saved.length - 1)); // truncated
    const second = upgradeBackend(first, undefined, false);
    expect(ok(second.backend.uploads.status(ALICE, uploadId)).hashed).toBe(0);
    for (const i of [1, 2]) ok(await second.platform.messageAsync(() => second.backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, 100_000, i))));
    while ((await second.platform.runDueTimersAsync()) > 0);
    const blob = ok(await second.platform.messageAsync(() => second.backend.uploads.finish(ALICE, uploadId, undefined)));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
  });

  it('InitArgs given to an upgrade override only the fields they set; invalid ones refuse the upgrade', async () => {
    const first = newBackend({ max_chunk_bytes: [500], max_upload_bytes: [], upload_idle_timeout_s: [60n], max_open_uploads_per_caller: [] });
    const second = upgradeBackend(first, { max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [3] });
    expect(second.backend.limits.current).toMatchObject({ maxChunkBytes: 500, uploadIdleTimeoutS: 60n, maxOpenUploadsPerCaller: 3 });
    expect(() =>
      upgradeBackend(second, { max_chunk_bytes: [0], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [] })
    ).toThrow(/max_chunk_bytes/);
  });
});

describe('expiry', () => {
  it('a timer aborts uploads idle past the timeout and frees their chunks; touched ones live on', async () => {
    const { backend, stores, platform } = newBackend({ max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [100n], max_open_uploads_per_caller: [] });
    const data = pseudoRandom(3000, 10);
    const idle = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('idle', data, 1000))));
    const busy = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('busy', data, 1000))));
    ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, idle.uploadId, 0, chunk(data, 1000, 0))));
    platform.advance(60);
    ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, busy.uploadId, 0, chunk(data, 1000, 0))));
    platform.advance(45);
    for (let i = 0; i < 5; i++) (await platform.runDueTimersAsync());
    expect(ok(backend.uploads.status(ALICE, idle.uploadId)).state).toEqual({ kind: 'aborted' });
    expect(ok(backend.uploads.status(ALICE, busy.uploadId)).state).toEqual({ kind: 'open' });
    expect(backend.stats.read()).toMatchObject({ openUploads: 1, storedBytes: 1000n });
    expect(backend.stats.read().stableMemoryBytes).toBe(storedTotals(stores));
  });

  it('closed session records are pruned after a day', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(10, 11);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('gone', data, 10))));
    ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    expect(stores.sessions.len()).toBe(1);
    platform.advance(24 * 3600 + 120);
    for (let i = 0; i < 3; i++) (await platform.runDueTimersAsync());
    expect(stores.sessions.len()).toBe(0);
    expect(backend.uploads.status(ALICE, uploadId)).toMatchObject({ Err: { NotFound: expect.any(String) } });
    expect(backend.uploads.myUploads(ALICE)).toEqual([]);
  });
});

describe('memory ids', () => {
  it('are distinct and within 0..=253', async () => {
    const ids = Object.values(MEMORY_IDS);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id >= 0 && id <= 253).toBe(true);
  });
});

// Keeps the FakePlatform import used for type-only helpers in editors.
export type { Backend, FakePlatform };

describe('my_uploads', () => {
  it('lists every open upload and the most recent closed ones, at most 100, by upload id', async () => {
    const { backend, platform } = newBackend();
    const data = pseudoRandom(10, 12);
    const closed: bigint[] = [];
    for (let i = 0; i < 105; i++) {
      const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput(`m${i}`, data, 10))));
      ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
      closed.push(uploadId);
    }
    const open = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('open', data, 10))));
    const listed = backend.uploads.myUploads(ALICE).map((s) => s.uploadId);
    expect(listed).toHaveLength(100);
    expect(listed).toEqual([...closed.slice(-99), open.uploadId]);
    expect(backend.uploads.myUploads(BOB)).toEqual([]);
  });
});

describe('variants', () => {
  it('an asset holds at most 32 variants; replacing one is always allowed', async () => {
    const { backend, platform } = newBackend();
    const data = pseudoRandom(10, 13);
    const upload = async (variant: string) => {
      const begun = platform.message(() => backend.uploads.begin(ALICE, beginInput('many', data, 10, { variant })));
      if ('Err' in begun) return begun;
      ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, begun.Ok.uploadId, 0, data)));
      return await platform.messageAsync(() => backend.uploads.finish(ALICE, begun.Ok.uploadId, undefined));
    };
    for (let i = 0; i < 32; i++) ok(await upload(`v${i}`));
    expect(await upload('v32')).toMatchObject({ Err: { LimitExceeded: expect.stringContaining('32 variants') } });
    ok(await upload('v7'));
    expect(ok(backend.assets.getAsset(ALICE, 'many')).blobs).toHaveLength(32);
    expect(backend.stats.read()).toMatchObject({ blobs: 32, assets: 1, storedBytes: 320n });
  });
});

describe('freeing', () => {
  it('frees a large upload in budgeted slices, finishing by timer; stats stay exact meanwhile', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(40 * 1000, 14);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('free', data, 1000))));
    for (let i = 0; i < 40; i++) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, 1000, i))));
    // Make each removal cost 3 billion instructions, as a 2 MB chunk would on a slow day.
    const chunks = stores.smallChunks as MemoryStore;
    const remove = chunks.remove.bind(chunks);
    chunks.remove = (key: Uint8Array) => {
      platform.instructions += 3_000_000_000n;
      return remove(key);
    };
    ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    const partly = backend.stats.read();
    expect(partly.storedBytes).toBeGreaterThan(0n);
    expect(partly.storedBytes).toBeLessThan(40_000n);
    expect(stores.garbage.len()).toBe(1);
    expect(partly.stableMemoryBytes).toBe(storedTotals(stores));
    let runs = 0;
    while ((await platform.runDueTimersAsync()) > 0 && runs < 20) runs++;
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(backend.stats.read().storedBytes).toBe(0n);
    expect(stores.garbage.len()).toBe(0);
    expect(stores.smallChunks.len()).toBe(0);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
    expect(backend.stats.read().stableMemoryBytes).toBe(storedTotals(stores));
  });
});

describe('freeing an aborted upload', () => {
  it('visits only the chunks it received, also when freeing continues by timer', async () => {
    const { backend, stores, platform } = newBackend();
    const size = 65_536;
    const data = pseudoRandom(size, 15);
    const { uploadId, chunkCount } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('sparse', data, 1))));
    expect(chunkCount).toBe(65_536);
    const received = [0, 7, 8, 1000, 30_000, 40_000, 65_535];
    for (const i of received) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, 1, i))));
    const chunks = stores.smallChunks as MemoryStore;
    const remove = chunks.remove.bind(chunks);
    let removals = 0;
    chunks.remove = (key: Uint8Array) => {
      removals++;
      platform.instructions += 12_000_000_000n; // three removals a message: the rest by timer
      return remove(key);
    };
    ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    expect(stores.garbage.len()).toBe(1);
    for (let runs = 0; runs < 10 && (await platform.runDueTimersAsync()) > 0; runs++);
    expect(stores.garbage.len()).toBe(0);
    expect(stores.smallChunks.len()).toBe(0);
    expect(removals).toBe(received.length);
    expect(backend.stats.read().storedBytes).toBe(0n);
    expect(backend.stats.read().stableMemoryBytes).toBe(storedTotals(stores));
  });
});

describe('max_chunk_bytes', () => {
  const args = (max: number): InitArgsInput => ({ max_chunk_bytes: [max], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [] });

  it('refuses more than fits in a 2 MiB ingress message, at install and upgrade', async () => {
    expect(applyInitArgs(DEFAULT_LIMITS, args(MAX_CHUNK_BYTES_CEILING)).maxChunkBytes).toBe(2_000_000);
    expect(() => applyInitArgs(DEFAULT_LIMITS, args(2_000_001))).toThrow(InvalidInitArgs);
    expect(() => newBackend(args(2_097_152))).toThrow(/max_chunk_bytes must be at most 2000000/);
    const installed = newBackend(args(1_000_000));
    expect(() => upgradeBackend(installed, args(3_000_000))).toThrow(/max_chunk_bytes/);
  });

  it('lowers a stored value above the ceiling, so an upgrade without arguments succeeds', async () => {
    expect(applyInitArgs({ ...DEFAULT_LIMITS, maxChunkBytes: 3_000_000 }, undefined).maxChunkBytes).toBe(MAX_CHUNK_BYTES_CEILING);
  });
});
