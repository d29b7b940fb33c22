// The Candid codecs of the two upload methods whose argument is one upload id, abort and
// upload_status, without Azle's generic codec (method_wire.ts): the argument when it is a lone
// `nat64`, and the reply (abort's `null`; upload_status's UploadStatus).
//
// Why: the generic encoder builds the whole result type's table, the contract's Error included,
// on every call (tens of millions of instructions in QuickJS) for a reply of a few bytes.
import type { UploadState, UploadStatus } from '../../../candid/ic_upload.js';
import { parseArgument } from '../candid_reader.js';
import { recordWriter, variantWriter } from '../candid_writer.js';
import type { Result } from '../errors.js';
import { methodWire, type MethodCodec } from './method_wire.js';

export type AbortCodec = MethodCodec<bigint, Result<null>>;

/** The contract's UploadStatus with its principal as bytes and its indexes as a Uint32Array. */
export type WireUploadStatus = Omit<UploadStatus, 'owner' | 'received'> & { owner: Uint8Array; received: Uint32Array };

export type UploadStatusCodec = MethodCodec<bigint, Result<WireUploadStatus>>;

export function parseUploadId(arg: Uint8Array): bigint | undefined {
  return parseArgument(arg, 'nat64');
}

export function abortWire(generic: AbortCodec): AbortCodec {
  return methodWire(generic, parseUploadId, null, () => {});
}

const writeState = variantWriter<UploadState>({ Open: () => {}, Finished: (w, blobId) => w.nat64(blobId), Aborted: () => {} });

export const writeUploadStatus = recordWriter<WireUploadStatus>({
  upload_id: (w, v) => w.nat64(v),
  owner: (w, v) => w.principal(v),
  asset_id: (w, v) => w.text(v),
  variant: (w, v) => w.text(v),
  size: (w, v) => w.nat64(v),
  chunk_size: (w, v) => w.nat32(v),
  chunk_count: (w, v) => w.nat32(v),
  received: (w, v) => w.nat32s(v),
  hashed: (w, v) => w.nat32(v),
  state: writeState,
  expires_at_ns: (w, v) => w.nat64(v)
});

/** Every field distinct, so a type table taken with the wrong field order is caught. */
const SAMPLE: WireUploadStatus = {
  upload_id: 0x0102030405060708n,
  owner: Uint8Array.of(0xa1, 0xa2, 0xa3),
  asset_id: 'sample-asset',
  variant: 'sample-variant',
  size: 0x1112131415161718n,
  chunk_size: 0x21222324,
  chunk_count: 0x31323334,
  received: Uint32Array.of(0x51525354, 0x61626364),
  hashed: 0x71727374,
  state: { Finished: 0x8182838485868788n },
  expires_at_ns: 0x4142434445464748n
};

export function uploadStatusWire(generic: UploadStatusCodec): UploadStatusCodec {
  return methodWire(generic, parseUploadId, SAMPLE, writeUploadStatus);
}
