// Migration from the first layout of the stable maps (tests/fixtures/ic_upload-050aff9.wasm.gz:
// the canister as built at commit 050aff9, before the indexes moved into stable maps) to this one:
// install the old Wasm, fill it, upgrade, and find every asset, blob and open upload intact and
// the open upload resumable.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  beginUpload,
  bob,
  chunksOf,
  finishUpload,
  okOf,
  readBlob,
  sha256,
  testBytes,
  UPLOAD_WASM,
  uploadFile,
  uploadPerFile
} from '../support/upload.js';

const OLD_WASM = gunzipSync(readFileSync(fileURLToPath(new URL('../fixtures/ic_upload-050aff9.wasm.gz', import.meta.url))));

const files = new Map<string, Uint8Array>();
const open = { data: testBytes(5_000, 77), chunkSize: 1_000, uploadId: 0n };

const canister = uploadPerFile();

beforeAll(async () => {
  // uploadPerFile installed the current Wasm; start again from the old one.
  await canister.pic.reinstallCode({ canisterId: canister.canisterId, wasm: OLD_WASM, sender: admin.getPrincipal() });
  for (let n = 0; n < 12; n++) {
    const data = testBytes(300 + n * 10, n);
    files.set(`m-${String(n).padStart(2, '0')}`, data);
    await uploadFile(canister.pic, canister.actor, { assetId: `m-${String(n).padStart(2, '0')}`, data, chunkSize: 128 });
  }
  const thumb = testBytes(64, 99);
  files.set('m-00#thumb', thumb);
  await uploadFile(canister.pic, canister.actor, { assetId: 'm-00', variant: 'thumb', data: thumb, chunkSize: 64 });
  const bobs = testBytes(50, 55);
  files.set('bob-1', bobs);
  await uploadFile(canister.pic, canister.as(bob), { assetId: 'bob-1', data: bobs, chunkSize: 50 });
  okOf(await canister.actor.delete_asset('m-11'));
  files.delete('m-11');
  const begun = await beginUpload(canister.actor, { assetId: 'open-1', data: open.data, chunkSize: open.chunkSize });
  open.uploadId = begun.upload_id;
  const chunks = chunksOf(open.data, open.chunkSize);
  for (const index of [0, 1, 3]) okOf(await canister.actor.put_chunk({ upload_id: open.uploadId, index, bytes: chunks[index]! }));
  await canister.pic.upgradeCanister({ canisterId: canister.canisterId, wasm: UPLOAD_WASM, sender: admin.getPrincipal() });
  // The migration runs in post_upgrade and timers: let them run.
  for (let i = 0; i < 5; i++) await canister.pic.tick();
}, 600_000);

describe('upgrade from the first layout', () => {
  it('keeps every asset and blob, byte for byte, and lists them all', async () => {
    const page = await canister.actor.list_assets_page([], 100);
    expect(page.next).toEqual([]);
    expect(page.assets.map((a) => a.asset_id)).toEqual([...files.keys()].filter((k) => k.startsWith('m-') && !k.includes('#')).sort());
    for (const asset of page.assets) {
      expect(asset.public).toBe(false);
      for (const [variant, blob] of asset.variants) {
        const key = variant === 'original' ? asset.asset_id : `${asset.asset_id}#${variant}`;
        expect(await readBlob(canister.actor, blob)).toEqual(files.get(key));
      }
    }
    expect((await canister.as(bob).list_assets_page([], 10)).assets.map((a) => a.asset_id)).toEqual(['bob-1']);
    const stats = await canister.actor.stats();
    expect(stats.assets).toBe(12n);
    expect(stats.open_uploads).toBe(1n);
  });

  it('keeps the open upload, which resumes and finishes with the right digest', async () => {
    const status = okOf(await canister.actor.upload_status(open.uploadId));
    expect([...status.received]).toEqual([0, 1, 3]);
    expect((await canister.actor.my_uploads()).map((u) => u.upload_id)).toContain(open.uploadId);
    const chunks = chunksOf(open.data, open.chunkSize);
    for (const index of [2, 4]) okOf(await canister.actor.put_chunk({ upload_id: open.uploadId, index, bytes: chunks[index]! }));
    const blob = await finishUpload(canister.pic, canister.actor, open.uploadId, []);
    expect(blob.sha256).toEqual(sha256(open.data));
    expect(await readBlob(canister.actor, blob)).toEqual(open.data);
    expect((await canister.actor.list_assets_page([], 100)).assets.map((a) => a.asset_id)).toContain('open-1');
  });

  it('keeps per-owner totals for the quotas: deleting an asset after the migration counts down', async () => {
    okOf(await canister.actor.delete_asset('m-10'));
    expect((await canister.actor.stats()).assets).toBe(12n);
  });
});
