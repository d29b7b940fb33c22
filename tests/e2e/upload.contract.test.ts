// One contract suite over the fake service (tests/support/fake_upload_service.ts, which the client
// and CLI unit tests use) and the canister on the replica, so that the two can't drift apart on
// what these cases check: Err variants, paging with an explicit end, visibility, ownership, and
// what a controller may do.
import { beforeAll, describe, expect, it } from 'vitest';
import type { IcUploadService } from '../../candid/ic_upload.js';
import { ADMIN, ALICE, BOB, FakeUploadService } from '../support/fake_upload_service.js';
import { admin, alice, beginArgs, bob, picPerFile, sha256, setupUpload } from '../support/upload.js';

interface Subject {
  /** Services for two principals over one shared state. */
  alice: IcUploadService;
  bob: IcUploadService;
  /** A controller of the canister (the fake's `controllers`). */
  admin: IcUploadService;
}

const file = picPerFile();
const subjects: Record<string, () => Promise<Subject>> = {
  fake: async () => {
    const fake = new FakeUploadService({ caller: ALICE, controllers: [ADMIN] });
    const as = (who: typeof ALICE): IcUploadService =>
      new Proxy(fake, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            target.caller = who;
            return value.apply(target, args);
          };
        }
      });
    return { alice: as(ALICE), bob: as(BOB), admin: as(ADMIN) };
  },
  canister: async () => {
    const canister = await setupUpload(file.pic);
    return { alice: canister.as(alice), bob: canister.as(bob), admin: canister.as(admin) };
  }
};

async function upload(service: IcUploadService, assetId: string, data: Uint8Array, isPublic: [] | [boolean] = []) {
  const begun = await service.begin({
    asset_id: assetId,
    variant: 'original',
    file_name: `${assetId}.bin`,
    content_type: 'application/octet-stream',
    size: BigInt(data.length),
    chunk_size: Math.max(1, data.length),
    sha256: [sha256(data)],
    idempotency_key: [],
    public: isPublic
  });
  if (!('Ok' in begun)) throw new Error(`begin ${assetId}: ${Object.keys(begun.Err)}`);
  if (data.length > 0) await service.put_chunk({ upload_id: begun.Ok.upload_id, index: 0, bytes: data });
  const finished = await service.finish({ upload_id: begun.Ok.upload_id, sha256: [] });
  if (!('Ok' in finished)) throw new Error(`finish ${assetId}: ${Object.keys(finished.Err)}`);
  return finished.Ok;
}

describe.each(Object.keys(subjects))('the contract on the %s', (name) => {
  let s: Subject;
  beforeAll(async () => {
    s = await subjects[name]!();
  });

  it('paging answers next exactly when more remain, and only the caller’s assets', async () => {
    for (const id of ['c-3', 'c-1', 'c-2']) await upload(s.alice, id, Uint8Array.of(1, 2));
    await upload(s.bob, 'c-bob', Uint8Array.of(3));
    const first = await s.alice.list_assets_page([], 2);
    expect(first.assets.map((a) => a.asset_id)).toEqual(['c-1', 'c-2']);
    expect(first.next).toEqual(['c-2']);
    const second = await s.alice.list_assets_page(first.next, 2);
    expect(second.assets.map((a) => a.asset_id)).toEqual(['c-3']);
    expect(second.next).toEqual([]);
    expect((await s.alice.list_assets_page(['c-3'], 2)).assets).toEqual([]);
    expect((await s.bob.list_assets_page([], 10)).assets.map((a) => a.asset_id)).toEqual(['c-bob']);
  });

  it('visibility: private by default, public by begin or by the owner, never by another principal', async () => {
    await upload(s.alice, 'v-pub', Uint8Array.of(5), [true]);
    const got = await s.alice.get_asset('v-pub');
    expect('Ok' in got && got.Ok.public).toBe(true);
    const flipped = await s.alice.set_public('c-1', true);
    expect('Ok' in flipped && flipped.Ok.public).toBe(true);
    const refused = await s.bob.set_public('c-1', false);
    expect('Err' in refused && Object.keys(refused.Err)).toEqual(['Forbidden']);
    const missing = await s.alice.set_public('nothing', true);
    expect('Err' in missing && Object.keys(missing.Err)).toEqual(['NotFound']);
  });

  it('ownership: another principal’s asset id and upload answer Forbidden', async () => {
    const begun = await s.bob.begin(beginArgs({ asset_id: 'c-1', size: 1n, chunk_size: 1 }));
    expect('Err' in begun && Object.keys(begun.Err)).toEqual(['Forbidden']);
    const asset = await s.bob.get_asset('c-1');
    expect('Err' in asset && Object.keys(asset.Err)).toEqual(['Forbidden']);
    expect(await s.bob.delete_asset('c-1')).toMatchObject({ Err: { Forbidden: expect.any(String) } });
  });

  it('a controller reads, publishes and deletes another principal’s asset and blob, but neither its upload nor its asset id', async () => {
    const data = Uint8Array.of(7, 8, 9);
    const blob = await upload(s.alice, 'k-1', data);
    const seen = await s.admin.get_asset('k-1');
    expect('Ok' in seen && seen.Ok.owner.toText()).toBe(blob.owner.toText());
    expect(await s.admin.blob_info(blob.blob_id)).toEqual({ Ok: blob });
    const read = await s.admin.read_chunk(blob.blob_id, 0);
    expect('Ok' in read && Array.from(read.Ok)).toEqual([7, 8, 9]);
    const published = await s.admin.set_public('k-1', true);
    expect('Ok' in published && published.Ok.public).toBe(true);
    // Listings are the caller's own; the asset id stays its owner's.
    expect((await s.admin.list_assets_page([], 100)).assets.map((a) => a.asset_id)).not.toContain('k-1');
    const claimed = await s.admin.begin(beginArgs({ asset_id: 'k-1', variant: 'thumb', size: 1n, chunk_size: 1 }));
    expect('Err' in claimed && Object.keys(claimed.Err)).toEqual(['Forbidden']);
    // An upload is its owner's alone, controllers included.
    const open = await s.alice.begin(beginArgs({ asset_id: 'k-2', size: 2n, chunk_size: 1 }));
    if (!('Ok' in open)) throw new Error('begin k-2');
    const status = await s.admin.upload_status(open.Ok.upload_id);
    expect('Err' in status && Object.keys(status.Err)).toEqual(['Forbidden']);
    const aborted = await s.admin.abort(open.Ok.upload_id);
    expect('Err' in aborted && Object.keys(aborted.Err)).toEqual(['Forbidden']);
    expect(await s.admin.delete_asset('k-1')).toEqual({ Ok: null });
    const gone = await s.alice.get_asset('k-1');
    expect('Err' in gone && Object.keys(gone.Err)).toEqual(['NotFound']);
  });

  it('limits answer the defaults both share', async () => {
    const limits = await s.alice.limits();
    expect(limits.max_chunks_per_upload).toBe(65_536);
    expect(limits.max_variants_per_asset).toBe(32);
    expect(limits.max_asset_id_bytes).toBe(256);
    expect(limits.max_open_uploads).toBe(10_000n);
  });
});
