// Retrieval and assets: get_asset, blob_info, list_assets paging; a finished variant replaces
// and frees the previous blob; delete_asset frees all; stats stays exact throughout.
import { describe, expect, it } from 'vitest';
import {
  alice,
  beginUpload,
  errOf,
  hex,
  okOf,
  readBlob,
  sha256,
  testBytes,
  uploadFile,
  uploadPerFile
} from '../support/upload.js';


const canister = uploadPerFile();

describe('retrieval', () => {
  it('get_asset and blob_info describe what was uploaded', async () => {
    const data = testBytes(5000, 40);
    const blob = await uploadFile(canister.pic, canister.actor, {
      assetId: 'doc',
      data,
      chunkSize: 2000,
      fileName: 'report.pdf',
      contentType: 'application/pdf'
    });
    const info = okOf(await canister.actor.blob_info(blob.blob_id));
    expect(info).toEqual(blob);
    expect(info).toMatchObject({
      asset_id: 'doc',
      variant: 'original',
      file_name: 'report.pdf',
      content_type: 'application/pdf',
      size: 5000n,
      chunk_size: 2000,
      chunk_count: 3
    });
    expect(info.owner.toText()).toBe(alice.getPrincipal().toText());
    expect(hex(info.sha256)).toBe(hex(sha256(data)));
    const asset = okOf(await canister.actor.get_asset('doc'));
    expect(asset.owner.toText()).toBe(alice.getPrincipal().toText());
    expect(asset.variants).toEqual([['original', blob]]);
  });

  it('list_assets pages by asset id', async () => {
    const ids = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e', 'p-f', 'p-g'];
    for (const [i, assetId] of [...ids].reverse().entries()) {
      await uploadFile(canister.pic, canister.actor, { assetId, data: testBytes(100 + i, 50 + i), chunkSize: 64 });
    }
    const seen: string[] = [];
    let after: [] | [string] = ['p-'];
    for (;;) {
      const page = await canister.actor.list_assets(after, 3);
      expect(page.length).toBeLessThanOrEqual(3);
      if (page.length === 0) break;
      seen.push(...page.map((a) => a.asset_id));
      after = [page[page.length - 1].asset_id];
    }
    expect(seen).toEqual(ids);
    const all = (await canister.actor.list_assets([], 100)).map((a) => a.asset_id);
    expect(all).toEqual(['doc', ...ids]);
    expect(await canister.actor.list_assets([], 0)).toEqual([]);
  });
});

describe('replacing and deleting', () => {
  it('a finished variant replaces the previous blob and frees it', async () => {
    const first = testBytes(3000, 60);
    const second = testBytes(4500, 61);
    const old = await uploadFile(canister.pic, canister.actor, { assetId: 'replace', data: first, chunkSize: 1000 });
    const before = await canister.actor.stats();
    const fresh = await uploadFile(canister.pic, canister.actor, { assetId: 'replace', data: second, chunkSize: 1000 });
    const after = await canister.actor.stats();
    expect(after.blobs).toBe(before.blobs);
    expect(after.assets).toBe(before.assets);
    expect(after.stored_bytes - before.stored_bytes).toBe(1500n);
    expect(Object.keys(errOf(await canister.actor.blob_info(old.blob_id)))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.read_chunk(old.blob_id, 0)))).toEqual(['NotFound']);
    const asset = okOf(await canister.actor.get_asset('replace'));
    expect(asset.variants).toEqual([['original', fresh]]);
    expect(hex(await readBlob(canister.actor, fresh))).toBe(hex(second));
  });

  it('delete_asset frees all its blobs', async () => {
    const before = await canister.actor.stats();
    const variants = { original: testBytes(2000, 70), thumb: testBytes(300, 71) };
    const blobs = [];
    for (const [variant, data] of Object.entries(variants)) {
      blobs.push(await uploadFile(canister.pic, canister.actor, { assetId: 'to-delete', variant, data, chunkSize: 1000 }));
    }
    const during = await canister.actor.stats();
    expect(during.blobs - before.blobs).toBe(2n);
    expect(during.assets - before.assets).toBe(1n);
    expect(during.stored_bytes - before.stored_bytes).toBe(2300n);
    okOf(await canister.actor.delete_asset('to-delete'));
    const after = await canister.actor.stats();
    expect(after.blobs).toBe(before.blobs);
    expect(after.assets).toBe(before.assets);
    expect(after.stored_bytes).toBe(before.stored_bytes);
    expect(after.stable_memory_bytes).toBeLessThan(during.stable_memory_bytes);
    for (const blob of blobs) expect(Object.keys(errOf(await canister.actor.blob_info(blob.blob_id)))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.get_asset('to-delete')))).toEqual(['NotFound']);
  });

  it('stats counts open uploads and their stored chunks exactly', async () => {
    const before = await canister.actor.stats();
    const data = testBytes(2500, 80);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'stats-open', data, chunkSize: 1000 });
    okOf(await canister.actor.put_chunk({ upload_id, index: 2, bytes: data.subarray(2000) }));
    const open = await canister.actor.stats();
    expect(open.open_uploads - before.open_uploads).toBe(1n);
    expect(open.stored_bytes - before.stored_bytes).toBe(500n);
    okOf(await canister.actor.abort(upload_id));
    const after = await canister.actor.stats();
    expect(after.open_uploads).toBe(before.open_uploads);
    expect(after.stored_bytes).toBe(before.stored_bytes);
  });
});
