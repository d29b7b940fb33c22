// Access rules: the anonymous principal can't begin; only an upload's owner can put, finish,
// abort or see it; only a blob's or asset's owner, or a controller, can read or delete it; an
// asset id belongs to whoever finished into it first.
import { AnonymousIdentity } from '@icp-sdk/core/agent';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlobInfo } from '../../candid/ic_upload.js';
import {
  admin,
  alice,
  beginArgs,
  beginUpload,
  bob,
  chunksOf,
  errOf,
  hex,
  okOf,
  readBlob,
  testBytes,
  type UploadActor,
  uploadFile,
  uploadPerFile
} from '../support/upload.js';

let asBob: UploadActor;
let asAdmin: UploadActor;
let finished: BlobInfo;
let openUpload: bigint;
const data = testBytes(3000, 30);

const canister = uploadPerFile();

beforeAll(async () => {
  asBob = canister.as(bob);
  asAdmin = canister.as(admin);
  finished = await uploadFile(canister.pic, canister.actor, { assetId: 'alice-asset', data, chunkSize: 1000 });
  openUpload = (await beginUpload(canister.actor, { assetId: 'alice-open', data, chunkSize: 1000 })).upload_id;
  okOf(await canister.actor.put_chunk({ upload_id: openUpload, index: 0, bytes: data.subarray(0, 1000) }));
});

const forbidden = (result: { Ok: unknown } | { Err: object }) => expect(Object.keys(errOf(result as never))).toEqual(['Forbidden']);

describe('anonymous', () => {
  it('cannot begin an upload: canister_inspect_message refuses the ingress message', async () => {
    const anonymous = canister.as(new AnonymousIdentity());
    await expect(
      anonymous.begin(beginArgs({ asset_id: 'anon', file_name: 'a', content_type: 'text/plain', size: 1n, chunk_size: 1 }))
    ).rejects.toThrow(/rejected the message/);
  });
});

describe('another principal', () => {
  it("cannot put, finish, abort or see someone else's upload", async () => {
    const before = okOf(await canister.actor.upload_status(openUpload));
    forbidden(await asBob.put_chunk({ upload_id: openUpload, index: 1, bytes: data.subarray(1000, 2000) }));
    forbidden(await asBob.finish({ upload_id: openUpload, sha256: [] }));
    forbidden(await asBob.abort(openUpload));
    forbidden(await asBob.upload_status(openUpload));
    expect(await asBob.my_uploads()).toEqual([]);
    expect(okOf(await canister.actor.upload_status(openUpload))).toEqual(before);
  });

  it("cannot read or delete someone else's blob or asset", async () => {
    forbidden(await asBob.blob_info(finished.blob_id));
    forbidden(await asBob.read_chunk(finished.blob_id, 0));
    forbidden(await asBob.get_asset('alice-asset'));
    forbidden(await asBob.delete_asset('alice-asset'));
    expect(await asBob.list_assets([], 10)).toEqual([]);
    expect(okOf(await canister.actor.get_asset('alice-asset')).variants).toHaveLength(1);
  });

  it("cannot begin on an asset id another principal owns", async () => {
    forbidden(
      await asBob.begin({
        asset_id: 'alice-asset',
        variant: 'thumb',
        file_name: 't',
        content_type: 'image/webp',
        size: 10n,
        chunk_size: 10,
        sha256: [],
        idempotency_key: [],
        public: []
      })
    );
  });

  it('loses the race for an unclaimed asset id: its finish answers Forbidden', async () => {
    const bobData = testBytes(1000, 31);
    const bobUpload = await beginUpload(asBob, { assetId: 'contested', data: bobData, chunkSize: 1000 });
    okOf(await asBob.put_chunk({ upload_id: bobUpload.upload_id, index: 0, bytes: bobData }));
    await uploadFile(canister.pic, canister.actor, { assetId: 'contested', data, chunkSize: 1000 });
    forbidden(await asBob.finish({ upload_id: bobUpload.upload_id, sha256: [] }));
    const asset = okOf(await canister.actor.get_asset('contested'));
    expect(asset.owner.toText()).toBe(alice.getPrincipal().toText());
  });
});

describe('the owner', () => {
  it('sees only its own uploads and assets', async () => {
    const mine = await canister.actor.my_uploads();
    expect(mine.every((u) => u.owner.toText() === alice.getPrincipal().toText())).toBe(true);
    expect(mine.map((u) => u.upload_id)).toContain(openUpload);
    const assets = await canister.actor.list_assets([], 10);
    expect(assets.map((a) => a.asset_id)).toEqual(['alice-asset', 'contested']);
  });
});

describe('a controller', () => {
  it("can read and delete another principal's asset", async () => {
    expect(okOf(await asAdmin.blob_info(finished.blob_id)).blob_id).toBe(finished.blob_id);
    expect(hex(await readBlob(asAdmin, finished))).toBe(hex(data));
    expect(okOf(await asAdmin.get_asset('alice-asset')).asset_id).toBe('alice-asset');
    okOf(await asAdmin.delete_asset('alice-asset'));
    expect(Object.keys(errOf(await canister.actor.get_asset('alice-asset')))).toEqual(['NotFound']);
    expect(Object.keys(errOf(await canister.actor.blob_info(finished.blob_id)))).toEqual(['NotFound']);
  });

  it('cannot touch an upload it does not own', async () => {
    forbidden(await asAdmin.put_chunk({ upload_id: openUpload, index: 1, bytes: chunksOf(data, 1000)[1] }));
  });
});
