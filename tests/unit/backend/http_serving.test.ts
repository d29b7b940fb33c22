// HTTP serving over the backend's stores: a multi-chunk public asset is served once it finishes
// (the upload path wrote each chunk's digest), assets public before serving existed are found
// after the upgrade and their digests computed by native calls from timers, and
// freed blobs take their digests with them.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backend/backend.js';
import type { BeginInput } from '../../../src/backend/assert.js';
import { CONFIG_KEYS } from '../../../src/backend/memory.js';
import type { HttpRequest } from '../../../candid/ic_upload.js';
import { ADMIN, ALICE, fakeAbsorb, type FakePlatform, type MemoryStore, meter, newBackend, pseudoRandom, UPDATE_LIMIT, upgradeBackend } from './fakes.js';

afterEach(() => meter(undefined));

const CHUNK = 1_000_000;
const get = (url: string): HttpRequest => ({ method: 'GET', url, headers: [], body: new Uint8Array(0), certificate_version: [2] });

interface UploadOptions {
  chunkSize?: number;
  caller?: Uint8Array;
  contentType?: string;
}

async function upload(backend: Backend, platform: FakePlatform, assetId: string, data: Uint8Array, isPublic?: boolean, options: UploadOptions = {}): Promise<void> {
  const { chunkSize = CHUNK, caller = ALICE, contentType = 'application/octet-stream' } = options;
  const args: BeginInput = {
    asset_id: assetId,
    variant: 'original',
    file_name: 'f.bin',
    content_type: contentType,
    size: BigInt(data.length),
    chunk_size: chunkSize,
    sha256: sha256(data),
    public: isPublic
  };
  const begun = platform.message(() => backend.uploads.begin(caller, args));
  if (!('Ok' in begun)) throw new Error('begin failed');
  for (let i = 0; i * chunkSize < data.length; i++) {
    await platform.messageAsync(() => backend.uploads.putChunk(caller, begun.Ok.uploadId, i, data.subarray(i * chunkSize, (i + 1) * chunkSize)));
  }
  for (let round = 0; round < 50; round++) {
    const finished = await platform.messageAsync(() => backend.uploads.finish(caller, begun.Ok.uploadId, undefined));
    if ('Ok' in finished) return;
    await platform.runDueTimersAsync();
  }
  throw new Error('finish never succeeded');
}

/** Runs timer messages until nothing is due; answers how many ran. */
async function drainTimers(platform: FakePlatform): Promise<number> {
  let ran = 0;
  for (let n = await platform.runDueTimersAsync(); n > 0; n = await platform.runDueTimersAsync()) ran += n;
  return ran;
}

const PIECE = 1000;

/** A backend with one small public asset served, its tree's size then, and the bytes of a many-piece file. */
async function withManyPieces(pieces: number, seed: number) {
  const { backend, stores, platform } = newBackend();
  await upload(backend, platform, 'first.txt', pseudoRandom(100, seed), true);
  await drainTimers(platform);
  const treeNodes = (stores.httpTree as MemoryStore).len();
  return { backend, stores, platform, treeNodes, data: pseudoRandom(pieces * PIECE, seed + 1) };
}

describe('HTTP serving in the backend', () => {
  it('serves a multi-chunk public asset once it finishes: the upload wrote each chunk digest', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(5 * CHUNK + 123, 5);
    await upload(backend, platform, 'big.bin', data, true);
    expect((stores.chunkDigests as MemoryStore).len()).toBe(6);
    await drainTimers(platform);
    const response = platform.query(() => backend.http.handle({ ...get('/big.bin'), headers: [['range', `bytes=${3 * CHUNK}-`]] }));
    expect(response.status_code).toBe(206);
    expect(Buffer.from(response.body).equals(Buffer.from(data.subarray(3 * CHUNK, 4 * CHUNK)))).toBe(true);
    const headers = new Map(response.headers);
    expect(headers.get('content-range')).toBe(`bytes ${3 * CHUNK}-${4 * CHUNK - 1}/${data.length}`);
    expect(headers.get('etag')).toBe(`"${Buffer.from(sha256(data)).toString('hex')}"`);

    expect(platform.message(() => backend.assets.deleteAsset(ALICE, 'big.bin'))).toEqual({ Ok: null });
    expect((stores.chunkDigests as MemoryStore).len()).toBe(0);
    expect(platform.query(() => backend.http.handle(get('/big.bin'))).status_code).toBe(404);
  });

  it('a private upload writes no chunk digests; made public later, its digests come from timer slices before it is served', async () => {
    const { backend, stores, platform } = newBackend();
    const data = pseudoRandom(4 * CHUNK + 7, 8);
    await upload(backend, platform, 'later.bin', data);
    expect((stores.chunkDigests as MemoryStore).len()).toBe(0);
    expect(platform.message(() => backend.assets.setPublic(ALICE, 'later.bin', true))).toMatchObject({ Ok: expect.anything() });
    expect(platform.query(() => backend.http.handle(get('/later.bin'))).status_code).not.toBe(206);
    await drainTimers(platform);
    expect((stores.chunkDigests as MemoryStore).len()).toBe(5);
    const response = platform.query(() => backend.http.handle({ ...get('/later.bin'), headers: [['range', `bytes=${2 * CHUNK}-`]] }));
    expect(response.status_code).toBe(206);
    expect(Buffer.from(response.body).equals(Buffer.from(data.subarray(2 * CHUNK, 3 * CHUNK)))).toBe(true);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
  });

  it('a one-chunk asset is served at once', async () => {
    const { backend, platform } = newBackend();
    const data = pseudoRandom(500, 6);
    await upload(backend, platform, 'small.txt', data, true);
    const response = platform.query(() => backend.http.handle(get('/small.txt')));
    expect(response.status_code).toBe(200);
    expect(Buffer.from(response.body).equals(Buffer.from(data))).toBe(true);
  });

  it('after the upgrade onto serving, assets public before it are found, their digests computed by native calls from timers, and served', async () => {
    const first = newBackend();
    const { stores, platform } = first;
    await upload(first.backend, platform, 'old/a.bin', pseudoRandom(2 * CHUNK + 1, 7), true);
    await upload(first.backend, platform, 'old/b.txt', pseudoRandom(300, 8), true);
    await upload(first.backend, platform, 'old/private.txt', pseudoRandom(300, 9), false);
    await drainTimers(platform);
    // The state a canister had before serving existed: no tree, digests or serving marker.
    for (const store of [stores.httpTree, stores.chunkDigests, stores.httpPending, stores.httpServed] as MemoryStore[]) store.restoreEntries(new Map());
    stores.config.remove(CONFIG_KEYS.httpReady);
    const { backend } = upgradeBackend(first);
    expect(platform.query(() => backend.http.handle(get('/old/b.txt'))).status_code).toBe(404);
    expect(platform.query(() => backend.http.handle(get('/old/a.bin'))).status_code).toBe(404);
    platform.maxInstructions = 0n;
    const calls = fakeAbsorb.calls;
    expect(await drainTimers(platform)).toBeGreaterThan(0);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
    // One native call per missing chunk digest, each a message of its own.
    expect(fakeAbsorb.calls - calls).toBe(3);
    // a.bin's three chunks; b.txt is one chunk, whose digest is the blob's, and the private asset needs none.
    expect((stores.chunkDigests as MemoryStore).len()).toBe(3);
    expect(platform.query(() => backend.http.handle(get('/old/b.txt'))).status_code).toBe(200);
    expect(platform.query(() => backend.http.handle(get('/old/a.bin'))).status_code).toBe(206);
    expect(platform.query(() => backend.http.handle(get('/old/private.txt'))).status_code).toBe(404);
    expect(stores.config.get(CONFIG_KEYS.httpBackfill)).toBeUndefined();
  });

  it('certifies an asset with more entries than one message can stage over timer slices under the limit, and serves it only once whole', async () => {
    const { backend, stores, platform, treeNodes, data } = await withManyPieces(1200, 20);
    platform.maxInstructions = 0n;
    await upload(backend, platform, 'many.bin', data, true, { chunkSize: PIECE });
    // Staging goes on in timers; until the asset is whole its URL answers the certified 404.
    expect(backend.http.handle(get('/many.bin')).status_code).toBe(404);
    // One timer slice is not enough either (each stops well under the limit).
    expect(await platform.runDueTimersAsync()).toBeGreaterThan(0);
    expect((stores.httpPending as MemoryStore).len()).toBe(1);
    expect(platform.query(() => backend.http.handle(get('/many.bin'))).status_code).toBe(404);
    expect(await drainTimers(platform)).toBeGreaterThan(0);
    expect((stores.httpPending as MemoryStore).len()).toBe(0);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
    for (const index of [0, 351, 1199]) {
      const response = platform.query(() => backend.http.handle({ ...get('/many.bin'), headers: [['range', `bytes=${index * PIECE}-`]] }));
      expect(response.status_code).toBe(206);
      expect(Buffer.from(response.body).equals(Buffer.from(data.subarray(index * PIECE, (index + 1) * PIECE)))).toBe(true);
    }
    // Making it private withdraws it at once; timers then free every node it had.
    expect('Ok' in platform.message(() => backend.assets.setPublic(ALICE, 'many.bin', false))).toBe(true);
    expect(platform.query(() => backend.http.handle(get('/many.bin'))).status_code).toBe(404);
    expect((stores.httpTree as MemoryStore).len()).toBeGreaterThan(treeNodes + 1000);
    platform.maxInstructions = 0n;
    expect(await drainTimers(platform)).toBeGreaterThan(0);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
    expect((stores.httpTree as MemoryStore).len()).toBe(treeNodes);
    expect(platform.query(() => backend.http.handle(get('/first.txt'))).status_code).toBe(200);
  });

  it('a change while an asset is being staged starts it again and leaves nothing behind', async () => {
    const { backend, stores, platform, treeNodes, data } = await withManyPieces(700, 22);
    await upload(backend, platform, 'many.bin', data, true, { chunkSize: PIECE });
    expect((stores.httpPending as MemoryStore).len()).toBe(1);
    expect('Ok' in platform.message(() => backend.assets.setPublic(ALICE, 'many.bin', false))).toBe(true);
    expect((stores.httpPending as MemoryStore).len()).toBe(0);
    await drainTimers(platform);
    expect((stores.httpTree as MemoryStore).len()).toBe(treeNodes);
    expect('Ok' in platform.message(() => backend.assets.setPublic(ALICE, 'many.bin', true))).toBe(true);
    await drainTimers(platform);
    const response = platform.query(() => backend.http.handle({ ...get('/many.bin'), headers: [['range', `bytes=${650 * PIECE}-`]] }));
    expect(response.status_code).toBe(206);
    expect(Buffer.from(response.body).equals(Buffer.from(data.subarray(650 * PIECE, 651 * PIECE)))).toBe(true);
  });

  it('serves an asset with the headers it was certified with, even after its owner stops being a controller', async () => {
    const { backend, platform } = newBackend();
    await upload(backend, platform, 'page.html', new TextEncoder().encode('<p>hi</p>'), true, { caller: ADMIN, contentType: 'text/html' });
    const headersOf = () => new Map(platform.query(() => backend.http.handle(get('/page.html'))).headers.map(([n, v]) => [n.toLowerCase(), v]));
    expect(headersOf().get('content-security-policy')).toBeUndefined();
    platform.controllers.clear();
    expect(headersOf().get('content-security-policy')).toBeUndefined();
    // Certified again (any change), it is an upload like any other: sandboxed, as an attachment.
    expect('Ok' in platform.message(() => backend.assets.setPublic(ADMIN, 'page.html', false))).toBe(true);
    expect('Ok' in platform.message(() => backend.assets.setPublic(ADMIN, 'page.html', true))).toBe(true);
    expect(headersOf().get('content-security-policy')).toBe('sandbox');
    expect(headersOf().get('content-disposition')).toMatch(/^attachment/);
  });
});
