// What each owner holds, kept exact as assets change, for the quotas (max_assets_per_caller,
// max_bytes_per_caller) without a scan: owner prefix → asset count, stored bytes.
import { Reader, Writer } from '../encoding.js';
import { ownerPrefix } from '../keys.js';
import type { KeyValueStore } from '../kv.js';

export interface OwnerTotals {
  assets: bigint;
  /** Bytes of the owner's blobs (an asset's every variant). */
  bytes: bigint;
}

const V1 = 1;

export class OwnerTotalsStore {
  constructor(private readonly store: KeyValueStore) {}

  get(owner: Uint8Array): OwnerTotals {
    const bytes = this.store.get(ownerPrefix(owner));
    if (bytes === undefined) return { assets: 0n, bytes: 0n };
    const r = new Reader(bytes);
    r.u8();
    const totals = { assets: r.u64(), bytes: r.u64() };
    r.end();
    return totals;
  }

  add(owner: Uint8Array, assets: bigint, bytes: bigint): void {
    if (assets === 0n && bytes === 0n) return;
    const totals = this.get(owner);
    const next = { assets: totals.assets + assets, bytes: totals.bytes + bytes };
    if (next.assets <= 0n && next.bytes <= 0n) this.store.remove(ownerPrefix(owner));
    else this.store.insert(ownerPrefix(owner), new Writer(17).u8(V1).u64(next.assets).u64(next.bytes).finish());
  }
}
