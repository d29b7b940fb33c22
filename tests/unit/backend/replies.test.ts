// Query replies stay within the IC's limits whatever the caller holds: a query that used more
// than 5 billion instructions, or answered more than 3 MiB, would answer nothing at all. Replies
// are measured by encoding them with the contract's Candid types, as the canister does.
import { IDL } from '@icp-sdk/core/candid';
import { sha256 } from '@noble/hashes/sha2.js';
import { Principal } from '@icp-sdk/core/principal';
import { beforeAll, describe, expect, it } from 'vitest';
import { contractTypes } from '../../../candid/ic_upload.js';
import type { BeginInput } from '../../../src/backend/assert.js';
import { ChunkBitmap } from '../../../src/backend/bitmap.js';
import { u64Key } from '../../../src/backend/encoding.js';
import { toAsset, toUploadStatus } from '../../../src/backend/interface.js';
import { sessionKey } from '../../../src/backend/keys.js';
import { MY_UPLOADS_REPLY_BUDGET_BYTES } from '../../../src/backend/session/compat.js';
import { encodeSession } from '../../../src/backend/upload/codec.js';
import { MAX_CHUNK_COUNT, type SessionRecord, type SessionState } from '../../../src/backend/upload/types.js';
import { LIST_ASSETS_MAX, LIST_INSTRUCTION_BUDGET, LIST_REPLY_BUDGET_BYTES } from '../../../src/backend/upload/service.js';
import { ALICE, BOB, MemoryStore, meter, newBackend, pseudoRandom, QUERY_LIMIT, upgradeBackend } from './fakes.js';

const t = contractTypes(IDL);
const REPLY_LIMIT = 3 * 1024 * 1024;
const principal = (bytes: Uint8Array) => Principal.fromUint8Array(bytes);

function ok<T>(result: { Ok: T } | { Err: unknown }): T {
  if ('Err' in result) throw new Error(`expected Ok, got ${JSON.stringify(result.Err, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return result.Ok;
}

/** Texts at their maximum lengths (DESIGN.md: asset id 256, variant 32; file name 1024, content type 256). */
const assetIdOf = (n: number) => `${String(n).padStart(3, '0')}-`.padEnd(256, 'a');
const variantOf = (n: number) => `v${n}-`.padEnd(32, 'v');

describe('list_assets on 100 assets × 32 variants with every text at its maximum length', () => {
  const fixture = newBackend();
  const { backend, platform, stores } = fixture;
  const data = pseudoRandom(10, 1);
  const digest = sha256(data);
  const ASSETS = 100;

  beforeAll(() => {
    meter(undefined);
    for (let a = 0; a < ASSETS; a++) {
      for (let v = 0; v < 32; v++) {
        const args: BeginInput = {
          asset_id: assetIdOf(a),
          variant: variantOf(v),
          file_name: 'f'.repeat(1024),
          content_type: 'c'.repeat(256),
          size: 10n,
          chunk_size: 10,
          sha256: undefined
        };
        const { uploadId } = ok(platform.message(() => backend.begin(ALICE, args)));
        ok(platform.message(() => backend.putChunk(ALICE, uploadId, 0, data)));
        ok(platform.message(() => backend.finish(ALICE, uploadId, digest)));
      }
    }
  }, 120_000);

  const encode = (views: ReturnType<typeof backend.listAssets>) =>
    IDL.encode([IDL.Vec(t.Asset)], [views.map((view) => toAsset(view, principal))]).byteLength;

  /** Pages through with `after` as a client does; answers the pages. */
  function pages(limit: number) {
    const out: Array<ReturnType<typeof backend.listAssets>> = [];
    let after: string | undefined;
    for (;;) {
      const page = platform.query(() => backend.listAssets(ALICE, after, limit));
      out.push(page);
      if (page.length === 0) return out;
      after = page[page.length - 1].asset.assetId;
    }
  }

  it('every page encodes under the reply budget, and paging lists every asset once, in order', () => {
    const all = pages(100);
    for (const page of all) {
      const bytes = encode(page);
      expect(bytes).toBeLessThanOrEqual(LIST_REPLY_BUDGET_BYTES);
      expect(bytes).toBeLessThan(REPLY_LIMIT);
      // The estimate is an upper bound of the real encoding (less its type table).
      expect(page.reduce((sum, view) => sum + view.replyBytes, 0)).toBeGreaterThanOrEqual(bytes - encode([]));
      for (const view of page) expect(view.blobs).toHaveLength(32);
    }
    // Only the last page is empty; the others are short but not empty.
    expect(all.slice(0, -1).every((page) => page.length > 0)).toBe(true);
    expect(all.at(-1)).toEqual([]);
    expect(all[0].length).toBeLessThan(100);
    const ids = all.flat().map((view) => view.asset.assetId);
    expect(ids).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
    expect(platform.query(() => backend.listAssets(BOB, undefined, 100))).toEqual([]);
  });

  it('stops at the instruction budget, never reaching the query limit', () => {
    // Reading a 1.7 KB blob record costs far more in QuickJS than here: charge it.
    const blobs = stores.blobs as MemoryStore;
    const get = blobs.get.bind(blobs);
    blobs.get = (key: Uint8Array) => {
      platform.instructions += 20_000_000n;
      return get(key);
    };
    try {
      platform.maxInstructions = 0n;
      const first = platform.query(() => backend.listAssets(ALICE, undefined, 10));
      // 10 assets × 32 variants × 20 million = 6.4 billion: more than a query may use.
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThan(10);
      expect(platform.maxInstructions).toBeLessThan(LIST_INSTRUCTION_BUDGET + 32n * 20_000_000n + 1n);
      const all = pages(10);
      expect(all.flat().map((view) => view.asset.assetId)).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
      expect(platform.maxInstructions).toBeLessThan(QUERY_LIMIT);
    } finally {
      blobs.get = get;
    }
  });

  it('clamps the requested count', () => {
    const page = platform.query(() => backend.listAssets(ALICE, assetIdOf(ASSETS - 3), 0xffff_ffff));
    expect(page.map((view) => view.asset.assetId)).toEqual([assetIdOf(ASSETS - 2), assetIdOf(ASSETS - 1)]);
    expect(LIST_ASSETS_MAX).toBeLessThanOrEqual(1000);
  });
});

describe('my_uploads with uploads of 65,536 chunks', () => {
  /** A session record as a 65,536-chunk upload leaves it: every chunk received. */
  function fullSession(uploadId: bigint, state: SessionState, nowNs: bigint): SessionRecord {
    const received = ChunkBitmap.empty(MAX_CHUNK_COUNT);
    for (let i = 0; i < MAX_CHUNK_COUNT; i++) received.set(i);
    return {
      uploadId,
      owner: ALICE,
      sessionKey: sessionKey(`big${uploadId}`, uploadId),
      size: BigInt(MAX_CHUNK_COUNT) * 32_768n,
      chunkSize: 32_768,
      chunkCount: MAX_CHUNK_COUNT,
      received,
      receivedCount: MAX_CHUNK_COUNT,
      hashed: 0,
      hashedOffset: 0,
      createdAtNs: nowNs,
      updatedAtNs: nowNs,
      expiresAtNs: nowNs + 900_000_000_000n,
      state,
      meta: { assetId: `big${uploadId}`, variant: 'original', fileName: 'f', contentType: '', expectedSha256: undefined }
    };
  }

  it('lists every open upload first, whole, and keeps the reply bounded', () => {
    const first = newBackend({ max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [64] });
    const data = pseudoRandom(10, 2);
    const small = ok(first.platform.message(() => first.backend.begin(ALICE, { asset_id: 'small', variant: 'original', file_name: '', content_type: '', size: 10n, chunk_size: 10, sha256: undefined })));
    ok(first.platform.message(() => first.backend.putChunk(ALICE, small.uploadId, 0, data)));
    // 30 closed and 3 open uploads of 65,536 received chunks: 33 × 256 KiB of indexes.
    const closedIds: bigint[] = [];
    for (let n = 0; n < 30; n++) {
      const id = 100n + BigInt(n);
      closedIds.push(id);
      first.stores.sessions.insert(u64Key(id), encodeSession(fullSession(id, { kind: 'aborted' }, first.platform.now)));
    }
    const openIds = [200n, 201n, 202n];
    for (const id of openIds) first.stores.sessions.insert(u64Key(id), encodeSession(fullSession(id, { kind: 'open' }, first.platform.now)));
    const { backend, platform } = upgradeBackend(first);

    const listed = platform.query(() => backend.myUploads(ALICE));
    const reply = IDL.encode([IDL.Vec(t.UploadStatus)], [listed.map((s) => toUploadStatus(s, principal))]).byteLength;
    expect(reply).toBeLessThan(REPLY_LIMIT);
    expect(reply).toBeLessThanOrEqual(MY_UPLOADS_REPLY_BUDGET_BYTES);
    const ids = listed.map((s) => s.uploadId);
    for (const id of [small.uploadId, ...openIds]) expect(ids).toContain(id);
    // By upload id; the closed ones that fit are the most recent.
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    const closedListed = ids.filter((id) => closedIds.includes(id));
    expect(closedListed).toEqual(closedIds.slice(closedIds.length - closedListed.length));
    // Never cut short: each listed record carries all its received indexes.
    for (const s of listed) expect(s.received.indexes()).toHaveLength(s.receivedCount);

    // upload_status of one such upload still answers in full.
    const status = ok(platform.query(() => backend.uploadStatus(ALICE, closedIds[0])));
    const one = IDL.encode([t.UploadStatusResult], [{ Ok: toUploadStatus(status, principal) }]).byteLength;
    expect(one).toBeGreaterThan(4 * MAX_CHUNK_COUNT);
    expect(one).toBeLessThan(300 * 1024);
  });
});
