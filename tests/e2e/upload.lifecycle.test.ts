// Lifecycle: limits from InitArgs on install and upgrade (the argument may be absent, `(null)` or
// a record), the per-caller cap on open uploads, an upgrade in the middle of an upload, and idle
// uploads expiring by timer with their chunks freed.
import { describe, expect, it } from 'vitest';
import type { BeginArgs } from '../../candid/ic_upload.js';
import {
  admin,
  beginArgs,
  beginUpload,
  chunksOf,
  encodeInitArgs,
  errOf,
  finishUpload,
  hex,
  idlFactory,
  NO_LIMITS,
  okOf,
  readBlob,
  sha256,
  testBytes,
  UPLOAD_WASM,
  uploadPerFile
} from '../support/upload.js';

const TIMEOUT_S = 120n;

const canister = uploadPerFile({
  ...NO_LIMITS,
  max_chunk_bytes: [1_000_000],
  upload_idle_timeout_s: [TIMEOUT_S],
  max_open_uploads_per_caller: [2]
});

const args = (assetId: string, chunkSize = 100): BeginArgs => beginArgs({ asset_id: assetId, file_name: 'f', chunk_size: chunkSize });

async function upgrade(arg: Uint8Array) {
  await canister.pic.upgradeCanister({ canisterId: canister.canisterId, wasm: UPLOAD_WASM, arg, sender: admin.getPrincipal() });
}

describe('limits', () => {
  it('applies InitArgs on install: chunk size and open uploads per caller', async () => {
    expect(Object.keys(errOf(await canister.actor.begin(args('limit', 1_000_001))))).toEqual(['LimitExceeded']);
    const first = okOf(await canister.actor.begin(args('cap-1')));
    okOf(await canister.actor.begin(args('cap-2')));
    expect(Object.keys(errOf(await canister.actor.begin(args('cap-3'))))).toEqual(['LimitExceeded']);
    okOf(await canister.actor.abort(first.upload_id));
    const third = okOf(await canister.actor.begin(args('cap-3')));
    okOf(await canister.actor.abort(third.upload_id));
  });

  it('keeps the limits across an upgrade with (null), and applies new ones given to the upgrade', async () => {
    await upgrade(encodeInitArgs(undefined));
    expect(Object.keys(errOf(await canister.actor.begin(args('limit', 1_000_001))))).toEqual(['LimitExceeded']);
    // cap-2 is still open: one more fits under the cap of 2, a second does not.
    const one = okOf(await canister.actor.begin(args('cap-4')));
    expect(Object.keys(errOf(await canister.actor.begin(args('cap-5'))))).toEqual(['LimitExceeded']);
    await upgrade(encodeInitArgs({ ...NO_LIMITS, max_open_uploads_per_caller: [3] }));
    const two = okOf(await canister.actor.begin(args('cap-5')));
    expect(Object.keys(errOf(await canister.actor.begin(args('limit', 1_000_001))))).toEqual(['LimitExceeded']);
    for (const upload of [...(await canister.actor.my_uploads())].filter((u) => 'Open' in u.state)) {
      okOf(await canister.actor.abort(upload.upload_id));
    }
    expect([one, two].every((u) => u.upload_id > 0n)).toBe(true);
  });

  it('installs with an empty argument and uses the defaults', async () => {
    const fixture = await canister.pic.setupCanister({ idlFactory, wasm: UPLOAD_WASM, sender: admin.getPrincipal(), arg: new Uint8Array() });
    const other = canister.pic.createActor<import('../../candid/ic_upload.js').IcUploadService>(idlFactory, fixture.canisterId);
    other.setIdentity(admin);
    expect(Object.keys(errOf(await other.begin(args('default', 2_000_001))))).toEqual(['LimitExceeded']);
    okOf(await other.begin({ ...args('default', 2_000_000), size: 4_000_000n }));
  });
});

describe('an upgrade in the middle of an upload', () => {
  it('keeps chunks and the hash state; the upload completes with the right digest', async () => {
    const chunkSize = 300_000;
    const data = testBytes(6 * chunkSize - 1234, 90);
    const chunks = chunksOf(data, chunkSize);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'upgrade', data, chunkSize });
    for (const index of [0, 1, 2, 4]) okOf(await canister.actor.put_chunk({ upload_id, index, bytes: chunks[index] }));
    const before = okOf(await canister.actor.upload_status(upload_id));
    expect(before.hashed).toBe(3);
    const statsBefore = await canister.actor.stats();
    await upgrade(encodeInitArgs(undefined));
    const after = okOf(await canister.actor.upload_status(upload_id));
    expect(after).toEqual(before);
    const statsAfter = await canister.actor.stats();
    expect(statsAfter.stored_bytes).toBe(statsBefore.stored_bytes);
    expect(statsAfter.open_uploads).toBe(statsBefore.open_uploads);
    // Chunk 3 closes the gap: its put_chunk hashes it, chunk 4 follows by timer.
    expect(okOf(await canister.actor.put_chunk({ upload_id, index: 3, bytes: chunks[3] })).hashed).toBe(4);
    okOf(await canister.actor.put_chunk({ upload_id, index: 5, bytes: chunks[5] }));
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, []);
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
    expect(hex(await readBlob(canister.actor, blob))).toBe(hex(data));
  });

  it('keeps a midstate taken while hashing catches up (chunks sent in reverse)', async () => {
    const chunkSize = 1_000_000;
    const data = testBytes(8 * chunkSize, 92);
    const chunks = chunksOf(data, chunkSize);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'upgrade-reverse', data, chunkSize });
    for (let index = 7; index >= 0; index--) {
      okOf(await canister.actor.put_chunk({ upload_id, index, bytes: chunks[index] }));
    }
    const before = okOf(await canister.actor.upload_status(upload_id));
    // put_chunk(0) hashed chunk 0; the other seven wait on the hashing timer's calls.
    expect(before.hashed).toBeLessThan(8);
    await upgrade(encodeInitArgs(undefined));
    const after = okOf(await canister.actor.upload_status(upload_id));
    expect(after.hashed).toBeGreaterThanOrEqual(before.hashed);
    expect(Array.from(after.received)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, []);
    expect(hex(blob.sha256)).toBe(hex(sha256(data)));
  });
});

describe('idle uploads', () => {
  it('expire after the timeout; a timer aborts them and frees their chunks', async () => {
    const baseline = await canister.actor.stats();
    const data = testBytes(5000, 91);
    const { upload_id, expires_at_ns } = await beginUpload(canister.actor, { assetId: 'idle', data, chunkSize: 1000 });
    for (const index of [0, 1, 3]) {
      okOf(await canister.actor.put_chunk({ upload_id, index, bytes: data.subarray(index * 1000, index * 1000 + 1000) }));
    }
    const open = await canister.actor.stats();
    expect(open.open_uploads - baseline.open_uploads).toBe(1n);
    expect(open.stored_bytes - baseline.stored_bytes).toBe(3000n);
    const status = okOf(await canister.actor.upload_status(upload_id));
    expect(status.expires_at_ns).toBeGreaterThanOrEqual(expires_at_ns);

    await canister.pic.advanceTime(Number(TIMEOUT_S) * 1000 + 61_000);
    await canister.pic.tick(3);

    expect(okOf(await canister.actor.upload_status(upload_id)).state).toEqual({ Aborted: null });
    const after = await canister.actor.stats();
    expect(after.open_uploads).toBe(baseline.open_uploads);
    expect(after.stored_bytes).toBe(baseline.stored_bytes);
    expect(Object.keys(errOf(await canister.actor.put_chunk({ upload_id, index: 2, bytes: data.subarray(2000, 3000) })))).toEqual([
      'InvalidState'
    ]);
  });
});
