// The contract's BlobInfo written by hand (finish's and get_asset's replies carry it), and the
// blob_info query's codec (method_wire.ts): the argument when it is a lone `nat64`, and the reply.
import type { BlobInfo } from '../../../candid/ic_upload.js';
import { parseArgument } from '../candid_reader.js';
import { recordWriter } from '../candid_writer.js';
import type { Result } from '../errors.js';
import { methodWire, type MethodCodec } from './method_wire.js';

/** The contract's BlobInfo with its principal as bytes: the generic encoder makes the Principal. */
export type WireBlobInfo = Omit<BlobInfo, 'owner' | 'sha256'> & { owner: Uint8Array; sha256: Uint8Array };

export const writeBlobInfo = recordWriter<WireBlobInfo>({
  blob_id: (w, v) => w.nat64(v),
  owner: (w, v) => w.principal(v),
  asset_id: (w, v) => w.text(v),
  variant: (w, v) => w.text(v),
  file_name: (w, v) => w.text(v),
  content_type: (w, v) => w.text(v),
  size: (w, v) => w.nat64(v),
  sha256: (w, v) => w.blob(v),
  chunk_size: (w, v) => w.nat32(v),
  chunk_count: (w, v) => w.nat32(v),
  created_at_ns: (w, v) => w.nat64(v)
});

/** Every field distinct, so a type table taken with the wrong field order is caught. */
export const SAMPLE_BLOB_INFO: WireBlobInfo = {
  blob_id: 0x0102030405060708n,
  owner: Uint8Array.of(0xa1, 0xa2, 0xa3, 0xa4, 0xa5),
  asset_id: 'sample-asset',
  variant: 'sample-variant',
  file_name: 'sample.bin',
  content_type: 'sample/type',
  size: 0x1112131415161718n,
  sha256: Uint8Array.of(0xb1, 0xb2, 0xb3),
  chunk_size: 0x21222324,
  chunk_count: 0x31323334,
  created_at_ns: 0x4142434445464748n
};

export type BlobInfoCodec = MethodCodec<bigint, Result<WireBlobInfo>>;

export function blobInfoWire(generic: BlobInfoCodec): BlobInfoCodec {
  return methodWire(generic, (arg) => parseArgument(arg, 'nat64'), SAMPLE_BLOB_INFO, writeBlobInfo);
}
