// Persisted: the assets map, keyed by asset id (UTF-8), and the record's versioned encoding.
import { Reader, Writer } from '../encoding.js';
import { V2, version } from './format.js';

/** Persisted: assets map, keyed by asset id (UTF-8). Variants sorted by name. */
export interface AssetRecord {
  assetId: string;
  owner: Uint8Array;
  variants: Array<[variant: string, blobId: bigint]>;
  /** Served over HTTP only when public. */
  public: boolean;
}

export function encodeAsset(a: AssetRecord): Uint8Array {
  const w = new Writer(64 + 48 * a.variants.length).u8(V2).text(a.assetId).bytes(a.owner).u32(a.variants.length);
  for (const [variant, blobId] of a.variants) w.text(variant).u64(blobId);
  return w.u8(a.public ? 1 : 0).finish();
}

export function decodeAsset(bytes: Uint8Array): AssetRecord {
  const r = new Reader(bytes);
  const v = version(r, 'asset', V2);
  const assetId = r.text();
  const owner = r.bytes();
  const count = r.u32();
  const variants: Array<[string, bigint]> = [];
  for (let i = 0; i < count; i++) variants.push([r.text(), r.u64()]);
  const isPublic = v >= V2 ? r.u8() === 1 : false;
  r.end();
  return { assetId, owner, variants, public: isPublic };
}
