// Persisted: the blobs map, keyed by blob id, and the record's versioned encoding.
import { Reader, Writer } from '../encoding.js';
import { V1, version } from './format.js';

/** Persisted: blobs map, keyed by blob id. The blob's chunks stay under its session key. */
export interface BlobRecord {
  blobId: bigint;
  owner: Uint8Array;
  assetId: string;
  variant: string;
  fileName: string;
  contentType: string;
  size: bigint;
  sha256: Uint8Array;
  chunkSize: number;
  chunkCount: number;
  sessionKey: Uint8Array;
  createdAtNs: bigint;
}

export function encodeBlob(b: BlobRecord): Uint8Array {
  return new Writer(256)
    .u8(V1)
    .u64(b.blobId)
    .bytes(b.owner)
    .text(b.assetId)
    .text(b.variant)
    .text(b.fileName)
    .text(b.contentType)
    .u64(b.size)
    .fixed(b.sha256)
    .u32(b.chunkSize)
    .u32(b.chunkCount)
    .fixed(b.sessionKey)
    .u64(b.createdAtNs)
    .finish();
}

export function decodeBlob(bytes: Uint8Array): BlobRecord {
  const r = new Reader(bytes);
  version(r, 'blob');
  const record: BlobRecord = {
    blobId: r.u64(),
    owner: r.bytes(),
    assetId: r.text(),
    variant: r.text(),
    fileName: r.text(),
    contentType: r.text(),
    size: r.u64(),
    sha256: r.fixed(32),
    chunkSize: r.u32(),
    chunkCount: r.u32(),
    sessionKey: r.fixed(32),
    createdAtNs: r.u64()
  };
  r.end();
  return record;
}
