// list_assets on the replica, whose per-query limits (5 billion instructions, 3 MiB reply) are
// the real ones: 62 assets × 32 variants with every text at its maximum length. Before pages
// were budgeted, list_assets(null, 10) trapped on the instruction limit here.
import { PocketIc } from '@dfinity/pic';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NO_LIMITS, okOf, setupUpload, sha256, type UploadCanister } from '../support/upload.js';

let pic: PocketIc;
let canister: UploadCanister;
const ASSETS = 62;
const VARIANTS = 32;
const assetIdOf = (n: number) => `${String(n).padStart(3, '0')}-`.padEnd(256, 'a');
const variantOf = (n: number) => `v${n}-`.padEnd(32, 'v');

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  canister = await setupUpload(pic, { ...NO_LIMITS, max_open_uploads_per_caller: [VARIANTS] });
  const empty = sha256(new Uint8Array(0));
  // Zero-byte uploads: begin and finish, no chunks. Sent in batches, as independent calls.
  for (let a = 0; a < ASSETS; a++) {
    await Promise.all(
      Array.from({ length: VARIANTS }, async (_, v) => {
        const begun = okOf(
          await canister.actor.begin({
            asset_id: assetIdOf(a),
            variant: variantOf(v),
            file_name: 'f'.repeat(1024),
            content_type: 'c'.repeat(256),
            size: 0n,
            chunk_size: 1,
            sha256: [empty],
            idempotency_key: [],
            public: []
          })
        );
        okOf(await canister.actor.finish({ upload_id: begun.upload_id, sha256: [] }));
      })
    );
  }
}, 600_000);

afterAll(async () => {
  await pic?.tearDown();
});

describe('list_assets with 62 assets × 32 variants of maximum-length texts', () => {
  it('answers a short page rather than trapping, and paging lists every asset once', async () => {
    const first = await canister.actor.list_assets([], 10);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((asset) => asset.variants.length === VARIANTS)).toBe(true);
    const ids: string[] = [];
    let after: [] | [string] = [];
    for (;;) {
      const page = await canister.actor.list_assets(after, 100);
      if (page.length === 0) break;
      ids.push(...page.map((asset) => asset.asset_id));
      after = [page[page.length - 1]!.asset_id];
    }
    expect(ids).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
  });
});
