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
import { MY_UPLOADS_MAX_RECEIVED_INDEXES } from '../../../src/backend/uploads/service.js';
import { decodeCounters, encodeCounters } from '../../../src/backend/model/counters_record.js';
import { encodeSession, type SessionRecord } from '../../../src/backend/model/session_record.js';
import { CONFIG_KEYS } from '../../../src/backend/memory.js';
import { MAX_CHUNK_COUNT } from '../../../src/backend/model/limits.js';
import type { SessionState } from '../../../src/backend/session/record.js';
import {
  ENCODE_INSTRUCTIONS_PER_REPLY_BYTE,
  LIST_ASSETS_MAX,
  LIST_INSTRUCTION_BUDGET,
  LIST_REPLY_BUDGET_BYTES,
  LIST_TOTAL_INSTRUCTION_BUDGET
} from '../../../src/backend/assets/catalogue.js';
import { ALICE, BOB, MemoryStore, meter, newBackend, pseudoRandom, QUERY_LIMIT, upgradeBackend } from './fakes.js';

const t = contractTypes(IDL);
const REPLY_LIMIT = 3 * 1024 * 1024;
const principal = (bytes: Uint8Array) => Principal.fromUint8Array(bytes);

function ok<T>(result: { Ok: T } | { Err: unknown }): T {
  if ('Err' in result) throw new Error(`expected Ok, got ${JSON.stringify(result.Err, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  return result.Ok;
}

/** Texts at their maximum lengths (model/limits.ts: asset id 256, variant 32; file name 1024, content type 256). */
const assetIdOf = (n: number) => `${String(n).padStart(3, '0')}-`.padEnd(256, 'a');
const variantOf = (n: number) => `v${n}-`.padEnd(32, 'v');

describe('list_assets on 100 assets × 32 variants with every text at its maximum length', () => {
  const fixture = newBackend();
  const { backend, platform, stores } = fixture;
  const data = pseudoRandom(10, 1);
  const digest = sha256(data);
  const ASSETS = 100;

  beforeAll(async () => {
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
        const { uploadId } = ok(platform.message(() => backend.uploads.begin(ALICE, args)));
        ok(await platform.messageAsync(() => backend.uploads.putChunk(ALICE, uploadId, 0, data)));
        ok(await platform.messageAsync(() => backend.uploads.finish(ALICE, uploadId, digest)));
      }
    }
  }, 120_000);

  const encode = (views: ReturnType<typeof backend.assets.listAssets>) =>
    IDL.encode([IDL.Vec(t.Asset)], [views.map((view) => toAsset(view, principal))]).byteLength;

  /** Pages through with `after` as a client does; answers the pages. */
  function pages(limit: number) {
    const out: Array<ReturnType<typeof backend.assets.listAssets>> = [];
    let after: string | undefined;
    for (;;) {
      const page = platform.query(() => backend.assets.listAssets(ALICE, after, limit));
      out.push(page);
      if (page.length === 0) return out;
      after = page[page.length - 1].asset.assetId;
    }
  }

  it('every page encodes under the reply budget, and paging lists every asset once, in order', async () => {
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
    expect(platform.query(() => backend.assets.listAssets(BOB, undefined, 100))).toEqual([]);
  });

  it('stops at the instruction budget, counting the reply encoding still to come', async () => {
    // Costs measured on the replica for these assets: ≈ 24 million instructions a blob record
    // read, ≈ 15,400 a reply byte encoded (after the method returns).
    const blobs = stores.blobs as MemoryStore;
    const get = blobs.get.bind(blobs);
    blobs.get = (key: Uint8Array) => {
      platform.instructions += 24_000_000n;
      return get(key);
    };
    try {
      const estimate = (page: ReturnType<typeof backend.assets.listAssets>) =>
        Number(platform.instructions) + encode(page) * 15_400;
      const first = platform.query(() => backend.assets.listAssets(ALICE, undefined, 10));
      // 10 such assets would be ≈ 16 billion instructions read and encoded: a trap.
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThan(10);
      expect(estimate(first)).toBeLessThan(Number(QUERY_LIMIT) * 0.9);
      expect(Number(platform.instructions) + first.reduce((n, v) => n + v.replyBytes, 0) * ENCODE_INSTRUCTIONS_PER_REPLY_BYTE).toBeLessThan(
        LIST_TOTAL_INSTRUCTION_BUDGET + 32 * 24_000_000
      );
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = platform.query(() => backend.assets.listAssets(ALICE, after, 10));
        expect(estimate(page)).toBeLessThan(Number(QUERY_LIMIT) * 0.9);
        expect(platform.instructions).toBeLessThan(LIST_INSTRUCTION_BUDGET + 32n * 24_000_000n);
        if (page.length === 0) break;
        ids.push(...page.map((view) => view.asset.assetId));
        after = page[page.length - 1].asset.assetId;
      }
      expect(ids).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
    } finally {
      blobs.get = get;
    }
  });

  it('clamps the requested count', async () => {
    const page = platform.query(() => backend.assets.listAssets(ALICE, assetIdOf(ASSETS - 3), 0xffff_ffff));
    expect(page.map((view) => view.asset.assetId)).toEqual([assetIdOf(ASSETS - 2), assetIdOf(ASSETS - 1)]);
    expect(LIST_ASSETS_MAX).toBeLessThanOrEqual(1000);
  });
});

describe('my_uploads with many received chunks', () => {
  /** A session record whose first `received` chunks (of 65,536) have arrived. */
  function bigSession(uploadId: bigint, state: SessionState, nowNs: bigint, received: number): SessionRecord {
    const bitmap = ChunkBitmap.empty(MAX_CHUNK_COUNT);
    for (let i = 0; i < received; i++) bitmap.set(i);
    return {
      uploadId,
      owner: ALICE,
      sessionKey: sessionKey(uploadId),
      size: BigInt(MAX_CHUNK_COUNT) * 32_768n,
      chunkSize: 32_768,
      chunkCount: MAX_CHUNK_COUNT,
      received: bitmap,
      receivedCount: received,
      hashed: 0,
      hashedOffset: 0,
      createdAtNs: nowNs,
      updatedAtNs: nowNs,
      expiresAtNs: nowNs + 900_000_000_000n,
      state,
      meta: { assetId: `big${uploadId}`, variant: 'original', fileName: 'f', contentType: '', expectedSha256: undefined, public: undefined, idempotencyKey: undefined }
    };
  }

  it('lists open uploads first, whole, keeping the indexes (costly for Azle to encode) bounded', async () => {
    const first = newBackend({ max_chunk_bytes: [], max_upload_bytes: [], upload_idle_timeout_s: [], max_open_uploads_per_caller: [64] });
    const data = pseudoRandom(10, 2);
    const small = ok(first.platform.message(() => first.backend.uploads.begin(ALICE, { asset_id: 'small', variant: 'original', file_name: '', content_type: '', size: 10n, chunk_size: 10, sha256: undefined })));
    ok(await first.platform.messageAsync(() => first.backend.uploads.putChunk(ALICE, small.uploadId, 0, data)));
    // 30 closed uploads of 3,000 received chunks, 2 open ones of 40,000, one complete of 65,536.
    const closedIds: bigint[] = [];
    for (let n = 0; n < 30; n++) {
      const id = 100n + BigInt(n);
      closedIds.push(id);
      first.stores.sessions.insert(u64Key(id), encodeSession(bigSession(id, { kind: 'aborted' }, first.platform.now, 3_000)));
    }
    const openIds = [200n, 201n];
    for (const id of openIds) first.stores.sessions.insert(u64Key(id), encodeSession(bigSession(id, { kind: 'open' }, first.platform.now, 40_000)));
    first.stores.sessions.insert(u64Key(300n), encodeSession(bigSession(300n, { kind: 'finished', blobId: 1n }, first.platform.now, MAX_CHUNK_COUNT)));
    // Records written straight into the sessions map, as the first layout kept them (no indexes):
    // the upgrade migrates them into the indexes, walking upload ids up to the next one.
    first.platform.message(() => first.backend.lifecycle.preUpgrade());
    first.stores.config.remove(CONFIG_KEYS.layout);
    const counters = decodeCounters(first.stores.config.get(CONFIG_KEYS.counters)!);
    first.stores.config.insert(CONFIG_KEYS.counters, encodeCounters({ ...counters, nextUploadId: 301n }));
    const { backend, platform } = upgradeBackend(first, undefined, false);

    const listed = platform.query(() => backend.uploads.myUploads(ALICE));
    const ids = listed.map((s) => s.uploadId);
    for (const id of [small.uploadId, ...openIds]) expect(ids).toContain(id);
    expect(ids).not.toContain(300n);
    const indexes = listed.reduce((n, s) => n + s.received.indexes().length, 0);
    expect(indexes).toBeLessThanOrEqual(MY_UPLOADS_MAX_RECEIVED_INDEXES);
    // By upload id; the closed ones that fit are the most recent.
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    const closedListed = ids.filter((id) => closedIds.includes(id));
    expect(closedListed).toEqual(closedIds.slice(closedIds.length - closedListed.length));
    // Never cut short: each listed record carries all its received indexes.
    for (const s of listed) expect(s.received.indexes()).toHaveLength(s.receivedCount);
    const reply = IDL.encode([IDL.Vec(t.UploadStatus)], [listed.map((s) => toUploadStatus(s, principal))]).byteLength;
    expect(reply).toBeLessThan(REPLY_LIMIT);
  });
});
