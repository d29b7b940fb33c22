// Work the canister does in later messages — expiry, freeing — keeps going whatever happens to
// one of those messages and never does more than a message may.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BeginInput } from '../../../src/backend/assert.js';
import type { InitArgsInput } from '../../../src/backend/init_args.js';
import { ALICE, MemoryStore, meter, newBackend, pseudoRandom, UPDATE_LIMIT } from './fakes.js';

afterEach(() => meter(undefined));


function ok<T>(result: { Ok: T } | { Err: unknown }): T {
  if ('Err' in result) throw new Error(`expected Ok, got ${JSON.stringify(result.Err, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return result.Ok;
}

function beginInput(assetId: string, data: Uint8Array, chunkSize: number): BeginInput {
  return {
    asset_id: assetId,
    variant: 'original',
    file_name: 'f',
    content_type: '',
    size: BigInt(data.length),
    chunk_size: chunkSize,
    sha256: sha256(data)
  };
}

const chunk = (data: Uint8Array, size: number, index: number) => data.subarray(index * size, Math.min(data.length, (index + 1) * size));

const TIMEOUT_S = 100;
const limits: InitArgsInput = { max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [BigInt(TIMEOUT_S)], max_open_uploads_per_caller: [] };


describe('a timer run that traps does not stop later runs', () => {
  /** Makes `method` of a store throw once, as a trap would interrupt the message using it. */
  function trapOnce(store: MemoryStore, method: 'get' | 'insert' | 'remove') {
    const original = store[method].bind(store) as (...args: Uint8Array[]) => Uint8Array | undefined;
    let armed = true;
    (store as unknown as Record<string, unknown>)[method] = (...args: Uint8Array[]) => {
      if (armed) {
        armed = false;
        throw new Error(`trap in ${method}`);
      }
      return original(...args);
    };
  }

  it('the expiry sweep: a trapped sweep does not stop the next one', async () => {
    const { backend, platform, stores } = newBackend(limits);
    platform.trapsRollBack(backend);
    const data = pseudoRandom(3000, 23);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('idle', data, 1000))));
    ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, 0, chunk(data, 1000, 0))));
    platform.advance(TIMEOUT_S + 1);
    trapOnce(stores.sessions as MemoryStore, 'insert'); // the sweep's save of the aborted session
    platform.runDueTimers();
    expect(platform.traps).toHaveLength(1);
    expect(ok(backend.uploads.status(ALICE, uploadId)).state).toEqual({ kind: 'open' });
    platform.advance(TIMEOUT_S / 4);
    platform.runDueTimers();
    expect(ok(backend.uploads.status(ALICE, uploadId)).state).toEqual({ kind: 'aborted' });
    expect(backend.stats.read()).toMatchObject({ openUploads: 0, storedBytes: 0n });
  });

  it('freeing: after a trapped slice, the chain restarts at the next sweep and finishes', async () => {
    const { backend, platform, stores } = newBackend();
    platform.trapsRollBack(backend);
    const data = pseudoRandom(40 * 1000, 24);
    const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput('free', data, 1000))));
    for (let i = 0; i < 40; i++) ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, i, chunk(data, 1000, i))));
    const chunks = stores.smallChunks as MemoryStore;
    const remove = chunks.remove.bind(chunks);
    chunks.remove = (key: Uint8Array) => {
      platform.instructions += 3_000_000_000n; // ~11 removals a message
      return remove(key);
    };
    ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    expect(stores.garbage.len()).toBe(1);
    trapOnce(chunks, 'remove');
    platform.runDueTimers();
    expect(platform.traps).toHaveLength(1);
    platform.advance(60); // one sweep period; then only timers due now (delay 0) run
    for (let runs = 0; runs < 20 && platform.runDueTimers() > 0; runs++);
    expect(stores.garbage.len()).toBe(0);
    expect(stores.smallChunks.len()).toBe(0);
    expect(backend.stats.read().storedBytes).toBe(0n);
  });
});

describe('the expiry sweep does bounded work per message', () => {
  const many: InitArgsInput = { ...limits, max_open_uploads_per_caller: [2000] };

  it('expires 1,500 idle uploads over several messages, none over the limit', async () => {
    const { backend, platform, stores } = newBackend(many);
    const data = pseudoRandom(10, 25);
    for (let i = 0; i < 1500; i++) ok(platform.message(() => backend.uploads.begin(ALICE, beginInput(`e${i}`, data, 10))));
    const sessions = stores.sessions as MemoryStore;
    const insert = sessions.insert.bind(sessions);
    sessions.insert = (key: Uint8Array, value: Uint8Array) => {
      platform.instructions += 100_000_000n; // a session record written back: 150 billion in all
      return insert(key, value);
    };
    platform.maxInstructions = 0n;
    platform.advance(TIMEOUT_S + 1);
    let messages = 0;
    while ((await platform.runDueTimersAsync()) > 0 && messages < 50) messages++;
    expect(backend.stats.read().openUploads).toBe(0);
    expect(messages).toBeGreaterThanOrEqual(4);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
  });

  it('prunes 1,500 closed session records over several messages, none over the limit', async () => {
    const { backend, platform, stores } = newBackend(many);
    const data = pseudoRandom(10, 26);
    for (let i = 0; i < 1500; i++) {
      const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, beginInput(`p${i}`, data, 10))));
      ok(platform.message(() => backend.uploads.abort(ALICE, uploadId)));
    }
    const sessions = stores.sessions as MemoryStore;
    const remove = sessions.remove.bind(sessions);
    sessions.remove = (key: Uint8Array) => {
      platform.instructions += 50_000_000n; // 75 billion in all
      return remove(key);
    };
    platform.maxInstructions = 0n;
    platform.advance(24 * 3600 + 60);
    let messages = 0;
    while ((await platform.runDueTimersAsync()) > 0 && messages < 50) messages++;
    expect(stores.sessions.len()).toBe(0);
    expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
    expect(backend.uploads.myUploads(ALICE)).toEqual([]);
  });
});
