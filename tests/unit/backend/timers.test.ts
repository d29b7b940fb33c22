// Work the canister does in later messages — budgeted hashing, expiry, freeing — keeps going
// whatever happens to one of those messages, never does more than a message may, and never
// expires an upload whose client has sent everything while the canister is still hashing it.
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BeginInput } from '../../../src/backend/assert.js';
import { ALICE, meter, newBackend, pseudoRandom } from './fakes.js';

afterEach(() => meter(undefined));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

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
const limits = { max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [BigInt(TIMEOUT_S)], max_open_uploads_per_caller: [] } as const;
const SIZE = 1_900_000;

/** Six 1.9 MB chunks sent in reverse: the last put releases ~11 MB to hash, several messages' worth. */
function reverseUpload() {
  const fixture = newBackend({ ...limits, max_chunk_bytes: [], max_open_uploads_per_caller: [] });
  const data = pseudoRandom(6 * SIZE, 21);
  const { uploadId } = ok(fixture.platform.message(() => fixture.backend.begin(ALICE, beginInput('rev', data, SIZE))));
  for (let i = 5; i >= 0; i--) ok(fixture.platform.message(() => fixture.backend.putChunk(ALICE, uploadId, i, chunk(data, SIZE, i)), SIZE));
  expect(ok(fixture.backend.uploadStatus(ALICE, uploadId)).hashed).toBeLessThan(6);
  return { ...fixture, data, uploadId };
}

describe('an upload whose chunks have all arrived does not expire while hashing catches up', () => {
  it('hashing progress in timers counts as activity', () => {
    const { backend, platform, data, uploadId } = reverseUpload();
    platform.advance(TIMEOUT_S - 10);
    platform.runDueTimers(); // a hashing slice, 90 s after the last put
    const progressed = ok(backend.uploadStatus(ALICE, uploadId));
    expect(progressed.hashed).toBeLessThan(6);
    platform.advance(30); // past the last put's expiry, not past the last slice's
    platform.runDueTimers();
    expect(ok(backend.uploadStatus(ALICE, uploadId)).state).toEqual({ kind: 'open' });
    while (platform.runDueTimers() > 0 && ok(backend.uploadStatus(ALICE, uploadId)).hashed < 6) platform.advance(1);
    expect(hex(ok(platform.message(() => backend.finish(ALICE, uploadId, undefined))).sha256)).toBe(hex(sha256(data)));
  });

  it('finish answering HashPending counts as activity', () => {
    const { backend, platform, data, uploadId } = reverseUpload();
    platform.advance(TIMEOUT_S - 40);
    expect(platform.message(() => backend.finish(ALICE, uploadId, undefined))).toMatchObject({ Err: { HashPending: { chunk_count: 6 } } });
    const status = ok(backend.uploadStatus(ALICE, uploadId));
    expect(status.expiresAtNs).toBe(platform.now + BigInt(TIMEOUT_S) * 1_000_000_000n);
    platform.advance(60); // 120 s after the last put
    platform.runDueTimers();
    expect(ok(backend.uploadStatus(ALICE, uploadId)).state).toEqual({ kind: 'open' });
    let result = platform.message(() => backend.finish(ALICE, uploadId, undefined));
    while ('Err' in result && 'HashPending' in result.Err) result = platform.message(() => backend.finish(ALICE, uploadId, undefined));
    expect(hex(ok(result).sha256)).toBe(hex(sha256(data)));
  });
});
