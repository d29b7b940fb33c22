// get_asset's argument and reply in Candid without Azle's generic codec (method_wire.ts): the
// argument when it is a lone `text`, and the reply, an Asset or an Err.
//
// Why: the CLI asks get_asset for every file it puts (is it stored already?), and measured on
// the replica Azle's IDL made that query cost 38.6 million instructions for a NotFound, nearly
// all of it building the reply type's table.
import type { Asset } from '../../../candid/ic_upload.js';
import { parseArgument } from '../candid_reader.js';
import { recordWriter } from '../candid_writer.js';
import type { Result } from '../errors.js';
import { SAMPLE_BLOB_INFO, writeBlobInfo, type WireBlobInfo } from './blob_info_wire.js';
import { methodWire, type MethodCodec } from './method_wire.js';

/** The contract's Asset with principals as bytes. */
export type WireAsset = Omit<Asset, 'owner' | 'variants'> & { owner: Uint8Array; variants: Array<[string, WireBlobInfo]> };

export type GetAssetCodec = MethodCodec<string, Result<WireAsset>>;

export const writeAsset = recordWriter<WireAsset>({
  asset_id: (w, v) => w.text(v),
  owner: (w, v) => w.principal(v),
  // `vec record { text; BlobInfo }`: a tuple is a record with fields 0 and 1, in that order.
  variants: (w, v) => {
    w.uleb(v.length);
    for (const [variant, info] of v) writeBlobInfo(w.text(variant), info);
  },
  public: (w, v) => w.bool(v)
});

const SAMPLE: WireAsset = {
  asset_id: 'sample-asset',
  owner: Uint8Array.of(0xc1, 0xc2),
  variants: [['sample-variant', SAMPLE_BLOB_INFO]],
  public: true
};

export function getAssetWire(generic: GetAssetCodec): GetAssetCodec {
  return methodWire(generic, (arg) => parseArgument(arg, 'text'), SAMPLE, writeAsset);
}
