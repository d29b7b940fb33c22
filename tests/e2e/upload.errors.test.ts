// Bad inputs: every Error variant at least once (HashPending is in upload.hashing.test.ts,
// Forbidden in upload.access.test.ts), and an Err changes nothing the caller can observe.
import { describe, expect, it } from 'vitest';
import type { BeginArgs } from '../../candid/ic_upload.js';
import {
  beginArgs,
  beginUpload,
  chunksOf,
  errOf,
  finishUpload,
  hex,
  NO_LIMITS,
  okOf,
  setupUpload,
  sha256,
  testBytes,
  uploadPerFile
} from '../support/upload.js';

const MAX_CHUNK = 100_000;

const canister = uploadPerFile({ ...NO_LIMITS, max_chunk_bytes: [MAX_CHUNK], max_upload_bytes: [1_000_000n] });

const begin = (overrides: Partial<BeginArgs>) => canister.actor.begin(beginArgs(overrides));

/** Everything a caller can observe, to compare before and after an Err. */
async function observe(uploadId?: bigint) {
  return {
    stats: await canister.actor.stats(),
    mine: await canister.actor.my_uploads(),
    status: uploadId === undefined ? undefined : await canister.actor.upload_status(uploadId)
  };
}

describe('begin', () => {
  it.each([
    ['an empty asset id', { asset_id: '' }],
    ['an asset id over 256 bytes', { asset_id: 'a'.repeat(257) }],
    ['an empty variant', { variant: '' }],
    ['a variant over 32 bytes', { variant: 'v'.repeat(33) }],
    ['a digest of the wrong length', { sha256: [new Uint8Array(31)] as [Uint8Array] }],
    ['a zero chunk size', { chunk_size: 0 }]
  ])('answers InvalidArgument for %s and changes nothing', async (_, overrides) => {
    const before = await observe();
    const error = errOf(await begin(overrides));
    expect(Object.keys(error)).toEqual(['InvalidArgument']);
    expect(await observe()).toEqual(before);
  });

  it('answers LimitExceeded above max_chunk_bytes, max_upload_bytes or the chunk count limit', async () => {
    const before = await observe();
    expect(Object.keys(errOf(await begin({ chunk_size: MAX_CHUNK + 1 })))).toEqual(['LimitExceeded']);
    expect(Object.keys(errOf(await begin({ size: 1_000_001n, chunk_size: MAX_CHUNK })))).toEqual(['LimitExceeded']);
    expect(Object.keys(errOf(await begin({ size: 1_000_000n, chunk_size: 1 })))).toEqual(['LimitExceeded']);
    expect(await observe()).toEqual(before);
  });
});

describe('put_chunk', () => {
  it('answers ChunkOutOfRange, ChunkSizeMismatch and NotFound, changing nothing', async () => {
    const { upload_id, chunk_count } = okOf(await begin({ asset_id: 'put-errors', size: 1200n, chunk_size: 500 }));
    expect(chunk_count).toBe(3);
    const before = await observe(upload_id);
    expect(errOf(await canister.actor.put_chunk({ upload_id, index: 3, bytes: new Uint8Array(200) }))).toEqual({
      ChunkOutOfRange: { index: 3, chunk_count: 3 }
    });
    expect(errOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: new Uint8Array(499) }))).toEqual({
      ChunkSizeMismatch: { index: 0, expected: 500, actual: 499 }
    });
    expect(errOf(await canister.actor.put_chunk({ upload_id, index: 2, bytes: new Uint8Array(500) }))).toEqual({
      ChunkSizeMismatch: { index: 2, expected: 200, actual: 500 }
    });
    expect(Object.keys(errOf(await canister.actor.put_chunk({ upload_id: 9_999n, index: 0, bytes: new Uint8Array(1) })))).toEqual([
      'NotFound'
    ]);
    expect(await observe(upload_id)).toEqual(before);
    okOf(await canister.actor.abort(upload_id));
  });
});

describe('finish', () => {
  it('answers Incomplete listing the missing chunk', async () => {
    const data = testBytes(4 * 1000, 8);
    const chunks = chunksOf(data, 1000);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'incomplete', data, chunkSize: 1000 });
    for (const index of [0, 1, 3]) okOf(await canister.actor.put_chunk({ upload_id, index, bytes: chunks[index] }));
    const before = await observe(upload_id);
    const error = errOf(await canister.actor.finish({ upload_id, sha256: [] }));
    if (!('Incomplete' in error)) throw new Error(`expected Incomplete, got ${Object.keys(error)}`);
    expect(Array.from(error.Incomplete.missing)).toEqual([2]);
    expect(await observe(upload_id)).toEqual(before);
    okOf(await canister.actor.put_chunk({ upload_id, index: 2, bytes: chunks[2] }));
    expect(hex((await finishUpload(canister.pic, canister.actor, upload_id, [])).sha256)).toBe(hex(sha256(data)));
  });

  it('answers HashMismatch for a wrong digest and stores nothing', async () => {
    const data = testBytes(2500, 9);
    const wrong = sha256(testBytes(2500, 10));
    const { upload_id } = okOf(
      await begin({ asset_id: 'mismatch', size: 2500n, chunk_size: 1000, sha256: [wrong] })
    );
    for (const [index, bytes] of chunksOf(data, 1000).entries()) {
      okOf(await canister.actor.put_chunk({ upload_id, index, bytes }));
    }
    const before = await observe(upload_id);
    const error = errOf(await canister.actor.finish({ upload_id, sha256: [] }));
    if (!('HashMismatch' in error)) throw new Error(`expected HashMismatch, got ${Object.keys(error)}`);
    expect(hex(error.HashMismatch.expected)).toBe(hex(wrong));
    expect(hex(error.HashMismatch.actual)).toBe(hex(sha256(data)));
    expect(await observe(upload_id)).toEqual(before);
    expect(Object.keys(errOf(await canister.actor.get_asset('mismatch')))).toEqual(['NotFound']);
    okOf(await canister.actor.abort(upload_id));
  });

  it('needs a digest from begin or finish, and both to agree', async () => {
    const data = testBytes(1000, 11);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'digests', data, chunkSize: 1000, digestAt: 'finish' });
    okOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: data }));
    expect(Object.keys(errOf(await canister.actor.finish({ upload_id, sha256: [] })))).toEqual(['InvalidArgument']);
    expect(Object.keys(errOf(await canister.actor.finish({ upload_id, sha256: [new Uint8Array(5)] })))).toEqual([
      'InvalidArgument'
    ]);
    const blob = okOf(await canister.actor.finish({ upload_id, sha256: [sha256(data)] }));
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));

    const withBoth = await beginUpload(canister.actor, { assetId: 'digests-2', data, chunkSize: 1000 });
    okOf(await canister.actor.put_chunk({ upload_id: withBoth.upload_id, index: 0, bytes: data }));
    expect(Object.keys(errOf(await canister.actor.finish({ upload_id: withBoth.upload_id, sha256: [new Uint8Array(32)] })))).toEqual([
      'InvalidArgument'
    ]);
    okOf(await canister.actor.finish({ upload_id: withBoth.upload_id, sha256: [sha256(data)] }));
  });

  it('is idempotent, and a finished upload answers InvalidState to put_chunk and abort', async () => {
    const data = testBytes(3000, 12);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'done', data, chunkSize: 1000 });
    for (const [index, bytes] of chunksOf(data, 1000).entries()) {
      okOf(await canister.actor.put_chunk({ upload_id, index, bytes }));
    }
    const first = okOf(await canister.actor.finish({ upload_id, sha256: [] }));
    const before = await observe(upload_id);
    expect(okOf(await canister.actor.finish({ upload_id, sha256: [] }))).toEqual(first);
    expect(Object.keys(errOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: data.subarray(0, 1000) })))).toEqual([
      'InvalidState'
    ]);
    expect(Object.keys(errOf(await canister.actor.abort(upload_id)))).toEqual(['InvalidState']);
    expect(await observe(upload_id)).toEqual(before);
  });

  it('an aborted upload answers InvalidState to put_chunk and finish', async () => {
    const data = testBytes(1000, 13);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'aborted', data, chunkSize: 1000 });
    okOf(await canister.actor.abort(upload_id));
    okOf(await canister.actor.abort(upload_id));
    expect(okOf(await canister.actor.upload_status(upload_id)).state).toEqual({ Aborted: null });
    expect(Object.keys(errOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: data })))).toEqual(['InvalidState']);
    expect(Object.keys(errOf(await canister.actor.finish({ upload_id, sha256: [] })))).toEqual(['InvalidState']);
  });
});

describe('reads of things that do not exist', () => {
  it('answer NotFound or ChunkOutOfRange', async () => {
    expect(Object.keys(errOf(await canister.actor.upload_status(123_456n)))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.blob_info(123_456n)))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.read_chunk(123_456n, 0)))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.get_asset('missing')))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.delete_asset('missing')))).toEqual(['NotFound']);
    const data = testBytes(1500, 14);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'range', data, chunkSize: 1500 });
    okOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: data }));
    const done = okOf(await canister.actor.finish({ upload_id, sha256: [] }));
    expect(errOf(await canister.actor.read_chunk(done.blob_id, 1))).toEqual({ ChunkOutOfRange: { index: 1, chunk_count: 1 } });
  });
});

describe('InitArgs', () => {
  // A put_chunk ingress message is at most 2 MiB: a larger max_chunk_bytes would admit uploads
  // whose chunks can never be sent, so install refuses it.
  it('refuses max_chunk_bytes over 2,000,000 at install', async () => {
    await expect(setupUpload(canister.pic, { ...NO_LIMITS, max_chunk_bytes: [2_000_001] })).rejects.toThrow(/max_chunk_bytes must be at most 2000000/);
  });
});
