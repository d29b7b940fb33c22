// Properties of the upload path on in-memory stores, with an instruction counter charged at a
// high cost per byte for any JavaScript hashing: whatever the chunk order, duplicates, finish
// attempts and timer runs, no message exceeds the limit (hashing runs in the native method's own
// messages), the digest is the client's, and the bytes read back are the bytes sent.
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBeginArgs } from '../../../src/backend/assert.js';
import { DEFAULT_LIMITS } from '../../../src/backend/model/limits.js';
import { ALICE, meter, newBackend, pseudoRandom, UPDATE_LIMIT } from './fakes.js';

afterEach(() => meter(undefined));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('any order, any retries', () => {
  it('ends with the right digest and bytes, never over the instruction limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 400_000 }),
        fc.integer({ min: 1_000, max: 150_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.constantFrom('finish', 'timers'), { maxLength: 10 }),
        async (size, chunkSize, seed, duplicates, interjections) => {
          const { backend, platform } = newBackend();
          meter(platform, 300_000); // JavaScript hashing of a whole chunk in a message would exceed the limit
          const data = pseudoRandom(size, seed);
          const count = Math.ceil(size / chunkSize);
          const digest = sha256(data);
          const begun = platform.message(() =>
            backend.uploads.begin(ALICE, {
              asset_id: 'p',
              variant: 'original',
              file_name: '',
              content_type: '',
              size: BigInt(size),
              chunk_size: chunkSize,
              sha256: digest
            })
          );
          if (!('Ok' in begun)) throw new Error('begin failed');
          const id = begun.Ok.uploadId;
          // A permutation from the seed, then some indexes again.
          const order = Array.from({ length: count }, (_, i) => i);
          let x = seed;
          for (let i = order.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) & 0x7fffffff;
            const j = x % (i + 1);
            [order[i], order[j]] = [order[j], order[i]];
          }
          if (count > 0) for (const d of duplicates) order.splice(d % order.length, 0, order[d % count]);
          let finished = false;
          for (const [n, index] of order.entries()) {
            const bytes = data.subarray(index * chunkSize, Math.min(size, (index + 1) * chunkSize));
            const ack = await platform.messageAsync(() => backend.uploads.putChunk(ALICE, id, index, bytes), bytes.length);
            // Once an early finish succeeded, late resends are refused, not stored.
            expect(Object.keys(ack)).toEqual(finished ? ['Err'] : ['Ok']);
            if (finished && 'Err' in ack) expect(Object.keys(ack.Err)).toEqual(['InvalidState']);
            const step = interjections[n];
            if (step === 'timers') (await platform.runDueTimersAsync());
            if (step === 'finish' && !finished) {
              const early = await platform.messageAsync(() => backend.uploads.finish(ALICE, id, undefined));
              if ('Err' in early) expect(Object.keys(early.Err)[0]).toMatch(/^(Incomplete|HashPending)$/);
              else finished = true;
            }
          }
          let result = await platform.messageAsync(() => backend.uploads.finish(ALICE, id, undefined));
          for (let i = 0; i < 1_000 && 'Err' in result && 'HashPending' in result.Err; i++) {
            if (i % 2 === 0) (await platform.runDueTimersAsync());
            result = await platform.messageAsync(() => backend.uploads.finish(ALICE, id, undefined));
          }
          if (!('Ok' in result)) throw new Error(`finish: ${Object.keys(result.Err)}`);
          expect(hex(result.Ok.sha256)).toBe(hex(digest));
          const back = new Uint8Array(size);
          for (let i = 0; i < count; i++) {
            const chunk = backend.assets.readChunk(ALICE, result.Ok.blobId, i);
            if (!('Ok' in chunk)) throw new Error('read_chunk failed');
            back.set(chunk.Ok, i * chunkSize);
          }
          expect(hex(sha256(back))).toBe(hex(digest));
          expect(platform.maxInstructions).toBeLessThan(UPDATE_LIMIT);
          expect(backend.stats.read().storedBytes).toBe(BigInt(size));
        }
      ),
      { numRuns: 40 }
    );
  });
});

describe('begin validation', () => {
  const base = {
    asset_id: 'a',
    variant: 'original',
    file_name: '',
    content_type: '',
    size: 10n,
    chunk_size: 5,
    sha256: undefined
  };

  it('counts text limits in UTF-8 bytes', async () => {
    expect(assertBeginArgs({ ...base, asset_id: 'é'.repeat(128) }, DEFAULT_LIMITS)).toBeUndefined();
    expect(assertBeginArgs({ ...base, asset_id: 'é'.repeat(128) + 'x' }, DEFAULT_LIMITS)).toMatchObject({
      InvalidArgument: expect.stringContaining('257')
    });
    expect(assertBeginArgs({ ...base, variant: '😀'.repeat(8) }, DEFAULT_LIMITS)).toBeUndefined();
    expect(assertBeginArgs({ ...base, variant: '😀'.repeat(8) + 'x' }, DEFAULT_LIMITS)).toMatchObject({
      InvalidArgument: expect.any(String)
    });
  });

  it('accepts exactly the limits and refuses one past them', async () => {
    const limits = { ...DEFAULT_LIMITS, maxChunkBytes: 100, maxUploadBytes: 1000n };
    expect(assertBeginArgs({ ...base, chunk_size: 100, size: 1000n }, limits)).toBeUndefined();
    expect(assertBeginArgs({ ...base, chunk_size: 101 }, limits)).toMatchObject({ LimitExceeded: expect.any(String) });
    expect(assertBeginArgs({ ...base, size: 1001n }, limits)).toMatchObject({ LimitExceeded: expect.any(String) });
    expect(assertBeginArgs({ ...base, size: 65_536n, chunk_size: 1 }, { ...limits, maxUploadBytes: 10n ** 9n })).toBeUndefined();
    expect(assertBeginArgs({ ...base, size: 65_537n, chunk_size: 1 }, { ...limits, maxUploadBytes: 10n ** 9n })).toMatchObject({
      LimitExceeded: expect.any(String)
    });
    expect(assertBeginArgs({ ...base, sha256: new Uint8Array(33) }, limits)).toMatchObject({ InvalidArgument: expect.any(String) });
  });
});
