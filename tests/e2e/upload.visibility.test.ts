// The second version's additions on the replica: visibility (set_public, BeginArgs.public),
// the limits query, list_assets_page's explicit end, stats.upgrade_instructions.
import { createIdentity } from '@dfinity/pic';
import { describe, expect, it } from 'vitest';
import {
  admin,
  bob,
  errOf,
  okOf,
  sha256,
  testBytes,
  UPLOAD_WASM,
  uploadFile,
  uploadPerFile
} from '../support/upload.js';


const canister = uploadPerFile();

const httpGet = (url: string) => ({ method: 'GET', url, headers: [], body: new Uint8Array(0), certificate_version: [2] as [number] });

describe('visibility', () => {
  it('http_request serves an asset once public and its chunk digests computed, certified; private again, 404', async () => {
    // Its own owner's: the listing tests below count the other callers' assets.
    const owner = canister.as(createIdentity('ic-upload e2e http owner'));
    const data = testBytes(300, 7);
    await uploadFile(canister.pic, owner, { assetId: 'web/three-chunks.bin', data, chunkSize: 128 });
    expect((await owner.http_request(httpGet('/web/three-chunks.bin'))).status_code).toBe(404);
    okOf(await owner.set_public('web/three-chunks.bin', true));
    // Three chunks: each piece is certified by its chunk's digest, computed by timer messages;
    // until then the asset answers the certified 404.
    let response = await owner.http_request(httpGet('/web/three-chunks.bin'));
    for (let round = 0; round < 20 && response.status_code !== 206; round++) {
      await canister.pic.tick();
      response = await owner.http_request(httpGet('/web/three-chunks.bin'));
    }
    expect(response.status_code).toBe(206);
    expect(Buffer.from(response.body).equals(Buffer.from(data.subarray(0, 128)))).toBe(true);
    const headers = new Map(response.headers.map(([n, v]) => [n.toLowerCase(), v]));
    expect(headers.get('content-range')).toBe('bytes 0-127/300');
    expect(headers.get('ic-certificate')).toMatch(/^certificate=:.+:, tree=:.+:, expr_path=:.+:, version=2$/);
    okOf(await owner.set_public('web/three-chunks.bin', false));
    const hidden = await owner.http_request(httpGet('/web/three-chunks.bin'));
    expect(hidden.status_code).toBe(404);
    expect(hidden.headers.some(([n]) => n.toLowerCase() === 'ic-certificate')).toBe(true);
  });


  it('an asset is private until its owner makes it public; a controller may too, another principal not', async () => {
    await uploadFile(canister.pic, canister.actor, { assetId: 'vis', data: testBytes(300, 1), chunkSize: 128 });
    expect(okOf(await canister.actor.get_asset('vis')).public).toBe(false);
    expect(okOf(await canister.actor.set_public('vis', true)).public).toBe(true);
    expect(okOf(await canister.actor.get_asset('vis')).public).toBe(true);
    expect(Object.keys(errOf(await canister.as(bob).set_public('vis', false)))).toEqual(['Forbidden']);
    expect(okOf(await canister.actor.get_asset('vis')).public).toBe(true);
    expect(okOf(await canister.as(admin).set_public('vis', false)).public).toBe(false);
    expect(Object.keys(errOf(await canister.actor.set_public('missing', true)))).toEqual(['NotFound']);
  });

  it('BeginArgs.public on the finishing upload sets it; absent leaves it as it is', async () => {
    const data = testBytes(10, 2);
    const begun = okOf(
      await canister.actor.begin({
        asset_id: 'pub-begin',
        variant: 'original',
        file_name: 'p',
        content_type: '',
        size: 10n,
        chunk_size: 10,
        sha256: [sha256(data)],
        idempotency_key: [],
        public: [true]
      })
    );
    okOf(await canister.actor.put_chunk({ upload_id: begun.upload_id, index: 0, bytes: data }));
    okOf(await canister.actor.finish({ upload_id: begun.upload_id, sha256: [] }));
    expect(okOf(await canister.actor.get_asset('pub-begin')).public).toBe(true);
    await uploadFile(canister.pic, canister.actor, { assetId: 'pub-begin', variant: 'thumb', data: testBytes(5, 3), chunkSize: 5 });
    expect(okOf(await canister.actor.get_asset('pub-begin')).public).toBe(true);
  });
});

describe('limits and paging', () => {
  it('limits answers the defaults', async () => {
    expect(await canister.actor.limits()).toEqual({
      max_chunk_bytes: 2_000_000,
      max_upload_bytes: 2n * 1024n ** 3n,
      max_chunks_per_upload: 65_536,
      upload_idle_timeout_s: 900n,
      max_open_uploads_per_caller: 16,
      max_open_uploads: 10_000n,
      max_variants_per_asset: 32,
      max_asset_id_bytes: 256,
      max_bytes_per_caller: [],
      max_assets_per_caller: []
    });
  });

  it('list_assets_page answers next exactly when more remain', async () => {
    for (const id of ['pg-1', 'pg-2', 'pg-3']) await uploadFile(canister.pic, canister.actor, { assetId: id, data: testBytes(20, 4), chunkSize: 20 });
    const all = (await canister.actor.list_assets_page([], 100)).assets.map((a) => a.asset_id);
    expect(all).toEqual(['pg-1', 'pg-2', 'pg-3', 'pub-begin', 'vis']);
    const seen: string[] = [];
    let after: [] | [string] = [];
    let pages = 0;
    for (;;) {
      const page = await canister.actor.list_assets_page(after, 2);
      pages++;
      seen.push(...page.assets.map((a) => a.asset_id));
      if (page.next.length === 0) break;
      expect(page.next).toEqual([page.assets.at(-1)!.asset_id]);
      after = page.next;
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
    const exact = await canister.actor.list_assets_page(['pg-3'], 2);
    expect(exact.assets.map((a) => a.asset_id)).toEqual(['pub-begin', 'vis']);
    expect(exact.next).toEqual([]);
    expect(await canister.as(bob).list_assets_page([], 10)).toEqual({ assets: [], next: [] });
  });
});

describe('upgrade_instructions', () => {
  it('is absent before the first upgrade and reports both hooks after it', async () => {
    expect((await canister.actor.stats()).upgrade_instructions).toEqual([]);
    await canister.pic.upgradeCanister({ canisterId: canister.canisterId, wasm: UPLOAD_WASM, sender: admin.getPrincipal() });
    const [used] = (await canister.actor.stats()).upgrade_instructions;
    expect(used).toBeGreaterThan(100_000_000n);
    expect(used).toBeLessThan(5_000_000_000n);
    expect(okOf(await canister.actor.get_asset('vis')).public).toBe(false);
    expect(okOf(await canister.actor.get_asset('pub-begin')).public).toBe(true);
  });
});
