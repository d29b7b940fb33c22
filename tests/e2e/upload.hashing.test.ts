// The rolling hash through the contract: chunks out of order and twice, a conflicting resend, and
// 20 chunks of 1.9 MB sent in reverse order, which releases everything at once when chunk 0
// arrives: put_chunk hashes its own chunk by a native call, a timer the rest, finish waits for
// the frontier (or answers HashPending while the timer holds it), never a trap.
import { describe, expect, it } from 'vitest';
import {
  beginUpload,
  chunksOf,
  errOf,
  finishUpload,
  hex,
  okOf,
  readBlob,
  sha256,
  testBytes,
  uploadPerFile
} from '../support/upload.js';


const canister = uploadPerFile();

describe('out of order', () => {
  it('hashes chunks once the gap before them closes, and accepts resends', async () => {
    const data = testBytes(5 * 40_000 - 7, 3);
    const chunks = chunksOf(data, 40_000);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'ooo', data, chunkSize: 40_000 });
    const put = async (index: number, bytes = chunks[index]) =>
      okOf(await canister.actor.put_chunk({ upload_id, index, bytes }));
    expect(await put(3)).toEqual({ received: 1, hashed: 0 });
    expect(await put(1)).toEqual({ received: 2, hashed: 0 });
    expect(await put(4)).toEqual({ received: 3, hashed: 0 });
    expect(await put(1)).toEqual({ received: 3, hashed: 0 }); // same bytes again: Ok, nothing new
    // put_chunk hashes its own chunk before answering; chunk 1 follows by timer.
    expect(await put(0)).toEqual({ received: 4, hashed: 1 });
    let status = okOf(await canister.actor.upload_status(upload_id));
    for (let round = 0; round < 20 && status.hashed < 2; round++) {
      await canister.pic.tick();
      status = okOf(await canister.actor.upload_status(upload_id));
    }
    expect(Array.from(status.received)).toEqual([0, 1, 3, 4]);
    expect(status.hashed).toBe(2);
    expect(status.state).toEqual({ Open: null });
    expect(await put(2)).toEqual({ received: 5, hashed: 3 });
    expect((await put(3)).received).toBe(5);
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, []);
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    expect(hex(await readBlob(canister.actor, blob))).toBe(hex(data));
  });

  it('answers ChunkConflict for different bytes at a stored index and keeps the first', async () => {
    const data = testBytes(3 * 10_000, 4);
    const chunks = chunksOf(data, 10_000);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'conflict', data, chunkSize: 10_000 });
    okOf(await canister.actor.put_chunk({ upload_id, index: 1, bytes: chunks[1] }));
    const before = okOf(await canister.actor.upload_status(upload_id));
    const other = chunks[1].slice();
    other[5_000] ^= 0xff;
    expect(errOf(await canister.actor.put_chunk({ upload_id, index: 1, bytes: other }))).toEqual({
      ChunkConflict: { index: 1 }
    });
    expect(okOf(await canister.actor.upload_status(upload_id))).toEqual(before);
    okOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: chunks[0] }));
    okOf(await canister.actor.put_chunk({ upload_id, index: 2, bytes: chunks[2] }));
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, []);
    expect(hex(await readBlob(canister.actor, blob))).toBe(hex(data));
  });
});

describe('reverse order', () => {
  it('20 chunks of 1.9 MB sent last to first finish after HashPending retries, without a trap', async () => {
    const chunkSize = 1_900_000;
    const data = testBytes(20 * chunkSize, 20);
    const chunks = chunksOf(data, chunkSize);
    const { upload_id, chunk_count } = await beginUpload(canister.actor, { assetId: 'reverse', data, chunkSize });
    expect(chunk_count).toBe(20);
    for (let index = 19; index >= 1; index--) {
      expect(okOf(await canister.actor.put_chunk({ upload_id, index, bytes: chunks[index] })).hashed).toBe(0);
    }
    // Chunk 0 releases all 20 chunks: its put_chunk hashes chunk 0 (one native call) and hands
    // the other 19 to the hashing timer, one call in flight at a time.
    const ack = okOf(await canister.actor.put_chunk({ upload_id, index: 0, bytes: chunks[0] }));
    expect(ack).toEqual({ received: 20, hashed: 1 });
    const pending: number[] = [];
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, [], (hashed) => pending.push(hashed));
    // Progress reported by HashPending never goes backwards.
    expect([...pending].sort((a, b) => a - b)).toEqual(pending);
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    const back = await readBlob(canister.actor, blob);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    const status = okOf(await canister.actor.upload_status(upload_id));
    expect(status.state).toEqual({ Finished: blob.blob_id });
    expect(status.hashed).toBe(20);
  });
});
